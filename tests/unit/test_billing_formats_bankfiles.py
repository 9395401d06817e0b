import io
from datetime import date

import pytest

from services.billing.collection.accounts import luhn_ok
from services.billing.collection.layouts import all_layouts, load_layout
from services.billing.collection.records import RecordReader
from services.billing.collection import returns
from services.billing.collection.model import (DebitLine, FileRejected, OfferBatch, OfferLineError,
                                               ReturnLine, ReturnLines, parse_amounts)
from services.billing.collection.offer import read_offer, write_offer
from services.billing.collection.returns import read_return, write_return

BATCH = OfferBatch("D202405000001", date(2024, 5, 1), date(2024, 5, 6), "某市广电网络有限公司")


def card(n: int) -> str:
    body = f"6222{n:014d}"
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


NAMES = ["欧阳娜娜", "张伟", "李秀英", "司马相如", "王"]


def debits(count: int = 5):
    return [DebitLine(f"D202405000001-{i:06d}", card(i), NAMES[i % len(NAMES)], 12800 + i * 7,
                      f"U{3300000 + i}") for i in range(count)]


def outcomes(layout, lines):
    """Every third debit fails with the bank's first failure code."""
    failure = sorted(layout.reasons)[0]
    return [ReturnLine(0, d.reference, d.account_number, d.amount_minor, i % 3 != 1,
                       "" if i % 3 != 1 else failure, None, "" if i % 3 != 1 else "余额不足",
                       d.holder_name, d.user_number) for i, d in enumerate(lines)]


def offer_bytes(layout, lines):
    out = io.BytesIO()
    totals = write_offer(layout, BATCH, lines, out)
    return out.getvalue(), totals


def return_bytes(layout, results):
    out = io.BytesIO()
    write_return(layout, BATCH, results, out)
    return out.getvalue()


@pytest.mark.parametrize("code", sorted(all_layouts()))
def test_round_trip_offer_return_parse(code):
    layout = load_layout(code)
    lines = debits(7)
    data, totals = offer_bytes(layout, lines)
    assert (totals.count, totals.amount_minor) == (7, sum(d.amount_minor for d in lines))
    text = data.decode(layout.encoding)
    assert text.endswith(layout.line_ending.decode())
    assert "欧阳娜娜" in text and "D202405000001-000006" in text
    if layout.kind == "fixed":
        details = data.split(layout.line_ending)[1 if layout.offer.header else 0:][:7]
        assert {len(line) for line in details} == {layout.offer.detail.width}
    assert read_offer(layout, data) == [d._replace(account_number=d.account_number.replace(" ", ""))
                                        for d in lines]  # as the bank reads it
    result = read_return(layout, return_bytes(layout, outcomes(layout, lines)))
    assert [r.reference for r in result.lines] == [d.reference for d in lines]
    assert [r.amount_minor for r in result.lines] == [d.amount_minor for d in lines]
    assert [r.ok for r in result.lines] == [i % 3 != 1 for i in range(7)]
    failed = [r for r in result.lines if not r.ok]
    assert {r.reason for r in failed} == {layout.reasons[sorted(layout.reasons)[0]]}
    assert all(r.bank_code in layout.ok_codes and r.reason is None for r in result.lines if r.ok)
    assert result.total_count == 7 and result.ok_count == 5
    assert result.total_amount_minor == totals.amount_minor
    assert result.lines[0].holder_name == "欧阳娜娜" and result.lines[0].user_number == "U3300000"


def test_fixed_width_counts_gbk_bytes_and_truncates_without_splitting_a_character():
    icbc = load_layout("ICBC")  # holder_name is 40 bytes: 20 GBK characters
    long_name = "爱新觉罗" * 5 + "溥仪"  # 22 characters, 44 bytes
    odd = "A" + "张" * 25  # 1 + 50 bytes: the 20th character would straddle the edge
    lines = [d._replace(holder_name=n) for d, n in zip(debits(2), (long_name, odd))]
    data, _ = offer_bytes(icbc, lines)
    records = data.split(b"\r\n")[1:3]
    start = 1 + 8 + 30 + 19
    assert records[0][start:start + 40].decode("gbk") == "爱新觉罗" * 5
    assert records[1][start:start + 40].decode("gbk") == "A" + "张" * 19 + " "
    assert all(len(r) == icbc.offer.detail.width for r in records)


def test_boc_writes_yuan_with_two_decimals():
    boc = load_layout("BOC")
    data, _ = offer_bytes(boc, [debits(1)[0]._replace(amount_minor=5)])
    header, detail = data.split(b"\r\n")[:2]
    assert header.endswith(b"0.05") and b"2024-05-06" in header
    assert detail[32 + 19 + 30:32 + 19 + 30 + 14] == b"0.05".rjust(14)


@pytest.mark.parametrize("change, message", [
    ({"account_number": "6222"}, "ICBC account number: 4 characters"),
    ({"holder_name": "𠮷野家"}, "gbk cannot write"),
    ({"amount_minor": 0}, "positive integer"),
    ({"amount_minor": 1.5}, "positive integer"),
    ({"reference": "有中文"}, "reference must be"),
    ({"user_number": "U" * 21}, "user_number 'UUUUUUUUUUUUUUUUUUUUU' is 21 bytes, the field has 20"),
    ({"holder_name": "张\n三"}, "line break"),
])
def test_a_debit_that_cannot_be_written_is_named_and_nothing_is_written(change, message):
    lines = debits(3)
    lines[2] = lines[2]._replace(**change)
    out = io.BytesIO()
    with pytest.raises(OfferLineError) as e:
        write_offer(load_layout("ICBC"), BATCH, lines, out)
    assert e.value.reference == lines[2].reference and message in str(e.value)
    assert out.getvalue() == b""


def test_delimiter_inside_a_value_is_refused():
    with pytest.raises(OfferLineError, match="delimiter"):
        write_offer(load_layout("CCB"), BATCH, [debits(1)[0]._replace(holder_name="张|三")], io.BytesIO())


def test_a_gbk_trail_byte_equal_to_the_delimiter_does_not_split_the_field():
    ccb = load_layout("CCB")
    assert "亅".encode("gbk")[1:] == b"|"
    lines = [debits(1)[0]._replace(holder_name="亅倈")]
    result = read_return(ccb, return_bytes(ccb, outcomes(ccb, lines)))
    assert result.lines[0].holder_name == "亅倈"


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError, match="at least one debit"):
        write_offer(load_layout("ICBC"), BATCH, [], io.BytesIO())


def test_offer_streams_a_generator():
    data, totals = offer_bytes(load_layout("CCB"), (d for d in debits(50)))
    assert totals.count == 50 and data.count(b"\r\n") == 51


# --- rejected return files ---------------------------------------------------------------------

def rejected(layout, data) -> list:
    with pytest.raises(FileRejected) as e:
        read_return(layout, data)
    return [(err.where, err.message) for err in e.value.errors]


def test_wrong_trailer_total_is_rejected_naming_the_trailer():
    ccb = load_layout("CCB")
    data = return_bytes(ccb, outcomes(ccb, debits(4))).decode("gbk")
    lines = data.split("\r\n")
    fields = lines[4].split("|")
    fields[2] = "5"
    lines[4] = "|".join(fields)
    errors = rejected(ccb, "\r\n".join(lines).encode("gbk"))
    assert errors == [("line 5 (trailer)", "total_count is 5 but the detail lines add up to 4")]


def test_wrong_header_amount_is_rejected_naming_the_header():
    boc = load_layout("BOC")
    data = return_bytes(boc, outcomes(boc, debits(3))).decode("gbk").split("\r\n")
    stated = data[0][50:66]
    data[0] = data[0][:50] + "999.99".rjust(16) + data[0][66:]
    errors = rejected(boc, "\r\n".join(data).encode("gbk"))
    assert errors == [("line 1 (header)",
                       f"total_amount is 999.99 but the detail lines add up to {stated.strip()}")]


def test_icbc_failed_totals_in_the_trailer_are_checked():
    icbc = load_layout("ICBC")
    data = return_bytes(icbc, outcomes(icbc, debits(3)))
    rows = data.split(b"\r\n")
    rows[-2] = rows[-2][:26] + b"0000000000" + rows[-2][36:]
    errors = rejected(icbc, b"\r\n".join(rows))
    assert errors == [("line 5 (trailer)", "failed_count is 0 but the detail lines add up to 1")]


def test_malformed_lines_are_all_named_and_nothing_is_returned():
    icbc = load_layout("ICBC")
    rows = return_bytes(icbc, outcomes(icbc, debits(6))).split(b"\r\n")
    rows[2] = rows[2][:98] + b"000000000012.80" + rows[2][113:]       # line 3: amount in yuan
    rows[4] = rows[4] + b"EXTRA"                                      # line 5: too long
    rows[5] = b"X" + rows[5][1:]                                      # line 6: wrong record type
    rows[6] = rows[6][:9] + rows[1][9:39] + rows[6][39:]               # line 7: duplicate reference
    errors = rejected(icbc, b"\r\n".join(rows))
    assert [where for where, _ in errors] == ["line 3", "line 5", "line 6", "line 7"]
    assert errors[0][1] == "amount '12.80' is not a whole number of fen"
    assert errors[1][1] == f"{icbc.returns.detail.width + 5} bytes, the record has {icbc.returns.detail.width}"
    assert errors[2][1] == "record_type is 'X', expected 'D'"
    assert errors[3][1] == "reference D202405000001-000000 is already on line 2"


def test_wrong_field_count_and_bad_encoding_are_named():
    ccb = load_layout("CCB")
    rows = return_bytes(ccb, outcomes(ccb, debits(3))).split(b"\r\n")
    rows[0] = rows[0].replace(b"|", b"", 1)
    rows[1] = rows[1].replace("张伟".encode("gbk"), b"\xff\xfe")
    errors = rejected(ccb, b"\r\n".join(rows))
    assert errors == [("line 1", "7 fields, the record has 8"), ("line 2", "byte 23 is not valid gbk")]


def test_empty_line_inside_empty_file_and_missing_trailer():
    ccb = load_layout("CCB")
    rows = return_bytes(ccb, outcomes(ccb, debits(2))).split(b"\r\n")
    assert rejected(ccb, b"\r\n".join(rows[:1] + [b""] + rows[1:]))[0] == ("line 2", "empty line")
    assert rejected(ccb, b"") == [("file", "no detail lines"), ("file", "the trailer line is missing")]


def test_many_errors_are_capped():
    icbc = load_layout("ICBC")
    rows = return_bytes(icbc, outcomes(icbc, debits(150))).split(b"\r\n")
    rows[1:151] = [b"Q" + r[1:] for r in rows[1:151]]
    errors = rejected(icbc, b"\r\n".join(rows))
    assert len(errors) == 101 and "more than 100 errors" in errors[-1][1]


def test_a_stream_and_lf_endings_and_trailing_spaces_stripped_are_accepted():
    icbc = load_layout("ICBC")
    data = return_bytes(icbc, outcomes(icbc, debits(3)))
    relaxed = b"\n".join(r.rstrip(b" ") for r in data.split(b"\r\n"))
    result = read_return(icbc, io.BytesIO(relaxed))
    assert result.total_count == 3 and result.batch_no == BATCH.batch_no


def test_unknown_bank_code_fails_as_other_and_keeps_the_code():
    ccb = load_layout("CCB")
    lines = debits(1)
    result = read_return(ccb, return_bytes(ccb, [ReturnLine(0, lines[0].reference, lines[0].account_number,
                                                            lines[0].amount_minor, False, "Z9", None)]))
    assert (result.lines[0].ok, result.lines[0].bank_code, result.lines[0].reason) == (False, "Z9", "other")


def test_lines_read_in_chunks_find_a_reference_repeated_in_a_later_chunk(monkeypatch):
    monkeypatch.setattr(returns, "_CHUNK", 2)
    ccb = load_layout("CCB")
    lines = debits(5)
    rows = return_bytes(ccb, outcomes(ccb, lines)).split(b"\r\n")
    rows[4] = rows[4].replace(lines[4].reference.encode(), lines[0].reference.encode())
    assert rejected(ccb, b"\r\n".join(rows)) == [
        ("line 5", f"reference {lines[0].reference} is already on line 1")]
    result = read_return(ccb, return_bytes(ccb, outcomes(ccb, lines)))
    assert [x.reference for x in result.lines] == [d.reference for d in lines]
    assert [x.line_no for x in result.lines] == [1, 2, 3, 4, 5]


def test_errors_are_listed_in_the_file_order_whatever_found_them():
    boc = load_layout("BOC")
    rows = return_bytes(boc, outcomes(boc, debits(4))).split(b"\r\n")
    rows[3] = rows[3][:51] + b"\xff\xff" + rows[3][53:]          # line 5: no character of GBK in the name
    rows[1] = rows[1][:81] + b"12.345".rjust(14) + rows[1][95:]   # line 3: three decimals
    errors = rejected(boc, b"\r\n".join([b" "] + rows))
    assert errors == [("line 1", "empty line"), ("line 3", "amount '12.345' is not yuan with at most two decimals"),
                      ("line 5", "holder_name is not valid gbk")]


@pytest.mark.parametrize("texts, fmt, expected", [
    (["0", "12800", "007"], "fen", [0, 12800, 7]),
    (["12", "12.5", "12.05", "0.01"], "yuan", [1200, 1250, 1205, 1]),
    (["12.345"], "yuan", None), ([".5"], "yuan", None), (["12."], "yuan", None), ([""], "fen", None),
    (["１２"], "fen", None), (["12.5"], "fen", None), (["100000001"], "yuan", None), ([], "fen", []),
])
def test_amounts_of_a_whole_column(texts, fmt, expected):
    assert parse_amounts(texts, fmt) == expected


@pytest.mark.parametrize("code", sorted(all_layouts()))
def test_no_records_read_as_no_values(code):
    layout = load_layout(code)
    columns, problems = RecordReader(layout, layout.returns.detail).read_all([])
    assert problems == {} and all(values == [] for values in columns.values())


def test_return_lines_are_held_a_column_each_and_read_as_lines():
    lines = ReturnLines([ReturnLine(1, "R1", "6222", 100, True, "0000", None, "", "张伟", "U1")])
    lines.extend([2, 3], ["R2", "R3"], ["6223", "6224"], [200, 300], [False, True], ["3008", "0000"],
                 ["insufficient_funds", None])
    assert len(lines) == 3
    assert lines[1] == ReturnLine(2, "R2", "6223", 200, False, "3008", "insufficient_funds")
    assert lines[-1].message == lines[-1].holder_name == lines[-1].user_number == ""
    assert [x.reference for x in lines] == ["R1", "R2", "R3"] and lines[1:] == list(lines)[1:]
    assert lines.columns[1] == ["R1", "R2", "R3"] and lines.columns[4] == [True, False, True]
