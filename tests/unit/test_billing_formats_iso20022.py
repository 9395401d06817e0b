from datetime import date, datetime

import pytest
from lxml import etree

from services.billing.collection.accounts import luhn_ok
from services.billing.collection.detect import read_result_file
from services.billing.collection.iso20022 import (CAMT054, PAIN002, PAIN008, Creditor, read_camt054,
                                                  read_pain002, schema, write_camt054, write_pain002,
                                                  write_pain008)
from services.billing.collection.layouts import load_layout
from services.billing.collection.model import (DebitLine, FileRejected, OfferBatch, OfferLineError,
                                               ReturnLine)

BATCH = OfferBatch("D202405000002", date(2024, 5, 1), date(2024, 5, 6), "某市广电网络有限公司 & 分公司",
                   created_at=datetime.fromisoformat("2024-05-01T09:30:00+08:00"))
ICBC = load_layout("ICBC")
CREDITOR = Creditor.from_layout(ICBC, "某市广电网络有限公司")
AT = datetime.fromisoformat("2024-05-07T08:00:00+08:00")


def card(n: int) -> str:
    body = f"6222{n:014d}"
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def debits(count=4):
    return [DebitLine(f"D202405000002-{i:06d}", card(i), ["欧阳<娜娜>", "张伟"][i % 2], 9900 + i,
                      f"U{i}", f"M{i}" if i % 2 else None) for i in range(count)]


def outcomes(lines, code="AM04"):
    return [ReturnLine(0, d.reference, d.account_number, d.amount_minor, i % 2 == 0,
                       "" if i % 2 == 0 else code, None, "" if i % 2 == 0 else "余额不足", d.holder_name)
            for i, d in enumerate(lines)]


def assert_valid(name, data):
    schema(name).assertValid(etree.fromstring(data))


def test_pain008_is_valid_and_carries_totals_and_references():
    data = write_pain008(BATCH, debits(), CREDITOR, layout=ICBC)
    assert_valid(PAIN008, data)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
    doc = etree.fromstring(data)
    assert doc.xpath("string(//p:GrpHdr/p:NbOfTxs)", namespaces=ns) == "4"
    assert doc.xpath("string(//p:GrpHdr/p:CtrlSum)", namespaces=ns) == "396.06"
    assert doc.xpath("//p:EndToEndId/text()", namespaces=ns) == [d.reference for d in debits()]
    assert doc.xpath("string(//p:Dbtr/p:Nm)", namespaces=ns) == "欧阳<娜娜>"
    assert doc.xpath("string(//p:ReqdColltnDt)", namespaces=ns) == "2024-05-06"
    assert doc.xpath("string(//p:CdtrAgt//p:BICFI)", namespaces=ns) == "ICBKCNBJ"


@pytest.mark.parametrize("change, message", [
    ({"account_number": "12345"}, "ICBC account number"),
    ({"holder_name": "张\x07三"}, "control character"),
    ({"holder_name": "名" * 141}, "longer than 140"),
    ({"amount_minor": -1}, "positive integer"),
    ({"reference": "x" * 36}, "reference must be"),
])
def test_pain008_refuses_a_debit_it_cannot_send(change, message):
    lines = debits()
    lines[1] = lines[1]._replace(**change)
    with pytest.raises(OfferLineError, match=message) as e:
        write_pain008(BATCH, lines, CREDITOR, layout=ICBC)
    assert e.value.reference == lines[1].reference


def test_pain002_round_trip_and_validity():
    lines = debits(6)
    data = write_pain002(BATCH, outcomes(lines), created_at=AT)
    assert_valid(PAIN002, data)
    result = read_pain002(data)
    assert result.format == PAIN002 and result.batch_no == BATCH.batch_no
    assert [r.reference for r in result.lines] == [d.reference for d in lines]
    assert [r.ok for r in result.lines] == [True, False] * 3
    failed = result.lines[1]
    assert (failed.bank_code, failed.reason, failed.message) == ("AM04", "insufficient_funds", "余额不足")
    assert failed.amount_minor == lines[1].amount_minor and failed.account_number == lines[1].account_number
    assert (result.total_count, result.ok_count) == (6, 3)


def test_camt054_round_trip_and_validity():
    lines = debits(5)
    data = write_camt054(BATCH, outcomes(lines, "AC04"), ICBC.creditor_account, created_at=AT)
    assert_valid(CAMT054, data)
    result = read_camt054(data)
    assert result.format == CAMT054 and result.batch_no == BATCH.batch_no
    assert [r.reference for r in result.lines] == [d.reference for d in lines]
    assert [r.reason for r in result.lines] == [None, "account_closed"] * 2 + [None]
    assert result.total_amount_minor == sum(d.amount_minor for d in lines)
    assert result.ok_amount_minor == sum(d.amount_minor for d in lines[::2])


def rejected(reader, data):
    with pytest.raises(FileRejected) as e:
        reader(data)
    return e.value.errors


def test_invalid_pain002_names_every_element_and_line():
    data = write_pain002(BATCH, outcomes(debits(3)), created_at=AT)
    data = data.replace(b"<TxSts>RJCT</TxSts>", b"<TxSts>REJECTED</TxSts>")
    data = data.replace(b"<OrgnlMsgNmId>", b"<Bogus>x</Bogus><OrgnlMsgNmId>")
    errors = rejected(read_pain002, data)
    wheres = [e.where for e in errors]
    assert any(w.endswith("/OrgnlGrpInfAndSts/Bogus") for w in wheres)
    assert any(w.startswith("line 4 ") and w.endswith("/TxInfAndSts/TxSts") for w in wheres)
    assert all(e.message.startswith("Element '") for e in errors)


def test_pain002_counts_per_status_are_checked():
    data = write_pain002(BATCH, outcomes(debits(4)), created_at=AT)
    data = data.replace(b"<DtldNbOfTxs>2</DtldNbOfTxs><DtldSts>RJCT</DtldSts>",
                        b"<DtldNbOfTxs>3</DtldNbOfTxs><DtldSts>RJCT</DtldSts>")
    errors = rejected(read_pain002, data)
    assert [e.message for e in errors] == ["3 transactions RJCT, the file lists 2"] * 2
    assert errors[0].where.endswith("OrgnlPmtInfAndSts D202405000002/NbOfTxsPerSts")
    assert errors[1].where.endswith("OrgnlGrpInfAndSts/NbOfTxsPerSts")


def test_pain002_pending_and_group_rejection():
    data = write_pain002(BATCH, outcomes(debits(2)), created_at=AT).replace(
        b"<TxSts>ACSC</TxSts>", b"<TxSts>ACSP</TxSts>").replace(b"<DtldSts>ACSC</DtldSts>",
                                                                 b"<DtldSts>ACSP</DtldSts>")
    result = read_pain002(data)
    assert result.pending_references == [debits(2)[0].reference]
    assert [r.reference for r in result.lines] == [debits(2)[1].reference]


def test_camt054_totals_and_entry_amounts_are_checked():
    data = write_camt054(BATCH, outcomes(debits(3)), ICBC.creditor_account, created_at=AT)
    bad = data.replace(b"<TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>99.01</Sum>",
                       b"<TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>99.00</Sum>")
    assert [(e.where, e.message) for e in rejected(read_camt054, bad)] == [
        ("line 2 TxsSummry/TtlDbtNtries", "Sum is 99.00, the entries add up to 99.01")]
    bad = data.replace(b'<Amt Ccy="CNY">99.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>',
                       b'<Amt Ccy="CNY">99.10</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>')
    messages = [e.message for e in rejected(read_camt054, bad)]
    assert "entry amount 99.10, its transactions add up to 99.00" in messages


def test_camt054_in_another_currency_is_refused():
    data = write_camt054(BATCH, outcomes(debits(1)), ICBC.creditor_account, created_at=AT)
    errors = rejected(read_camt054, data.replace(b'Ccy="CNY"', b'Ccy="USD"'))
    assert {e.message for e in errors} == {"currency USD is not CNY"}


def test_not_well_formed_xml_is_rejected_with_its_line():
    data = write_pain002(BATCH, outcomes(debits(2)), created_at=AT)
    errors = rejected(read_pain002, data.replace(b"</TxInfAndSts>", b"</TxInfAndSt>", 1))
    assert errors[0].where.startswith("line 3")


def test_detect_chooses_the_reader():
    lines = debits(2)
    assert read_result_file(write_pain002(BATCH, outcomes(lines), created_at=AT), ICBC).format == PAIN002
    camt = write_camt054(BATCH, outcomes(lines), ICBC.creditor_account, created_at=AT)
    assert read_result_file(camt, ICBC).format == CAMT054
    assert read_result_file(b"\xef\xbb\xbf\n" + camt.split(b"\n", 1)[1], ICBC).format == CAMT054


def test_detect_rejects_unknown_xml_and_uses_the_layout_otherwise():
    old = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><x/></Document>'
    errors = rejected(lambda d: read_result_file(d, ICBC), old)
    assert errors[0].where == "root element" and "pain.002.001.03" in errors[0].message
    broken = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">\n<b></Document>'
    errors = rejected(lambda d: read_result_file(d, ICBC), broken)
    assert errors[0].where == "line 2" and errors[0].message.startswith("not well-formed XML")
    with pytest.raises(FileRejected) as e:
        read_result_file(b"H garbage\r\n", ICBC)
    assert [(err.where, err.message) for err in e.value.errors] == [
        ("file", "no detail lines"), ("file", "the trailer line is missing")]


def test_entities_are_not_expanded():
    data = write_pain002(BATCH, outcomes(debits(1)), created_at=AT)
    evil = data.replace(b"<Document", b'<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                      b"<Document", 1).replace(b"<AddtlInf>", b"<AddtlInf>&x;", 1)
    try:
        result = read_pain002(evil)
    except FileRejected:
        return
    assert "root:" not in result.lines[0].message
