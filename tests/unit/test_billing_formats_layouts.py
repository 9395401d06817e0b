import pytest

from services.billing.collection.layouts import LayoutError, all_layouts, load_layout, parse_layout
from services.billing.collection.reasons import REASONS


def test_at_least_three_banks_ship_and_load():
    layouts = all_layouts()
    assert {"ICBC", "CCB", "BOC"} <= set(layouts)
    kinds = {(l.kind, l.offer.header is not None, l.offer.trailer is not None, l.amount_format)
             for l in layouts.values()}
    assert len(kinds) == len(layouts)  # each shows a different variant


def test_layout_facts():
    icbc, ccb, boc = load_layout("icbc"), load_layout("CCB"), load_layout("BOC")
    assert (icbc.kind, icbc.encoding, icbc.line_ending) == ("fixed", "gbk", b"\r\n")
    assert icbc.offer.header and icbc.offer.trailer
    assert (ccb.kind, ccb.delimiter, ccb.offer.header) == ("delimited", "|", None)
    assert boc.amount_format == "yuan" and boc.offer.trailer is None
    assert icbc.accepts("pain.008") and not ccb.accepts("pain.008")
    assert all(word in REASONS for l in (icbc, ccb, boc) for word in l.reasons.values())
    assert icbc.reason_for("3008") == "insufficient_funds" and icbc.reason_for("7777") == "other"


def test_unknown_bank_names_the_known_ones():
    with pytest.raises(LayoutError, match="no layout for bank 'XYZ'.*ICBC"):
        load_layout("XYZ")


GOOD = """
code = "TST"
name = "Test"
bank_id = "TESTCNBJ"
creditor_id = "1"
creditor_account = "2"
encoding = "gbk"
line_ending = "lf"
kind = "fixed"
amount = "fen"
date_format = "%Y%m%d"
file_name = "{batch_no}.txt"
[account]
lengths = [19]
[offer]
detail = [{ name = "reference", width = 30 }, { name = "account_number", width = 19 },
          { name = "amount", width = 12, align = "right", pad = "0" }]
trailer = [{ name = "total_count", width = 8 }, { name = "total_amount", width = 12 }]
[returns]
ok_codes = ["0"]
detail = [{ name = "reference", width = 30 }, { name = "account_number", width = 19 },
          { name = "amount", width = 12 }, { name = "result_code", width = 4 }]
trailer = [{ name = "total_count", width = 8 }, { name = "total_amount", width = 12 }]
[returns.reasons]
"51" = "insufficient_funds"
"""


def _write(tmp_path, text):
    path = tmp_path / "tst.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_config_parses(tmp_path):
    layout = parse_layout(_write(tmp_path, GOOD))
    assert layout.offer.detail.width == 61


@pytest.mark.parametrize("change, key", [
    (('kind = "fixed"', 'kind = "xml"'), "kind"),
    (('encoding = "gbk"', 'encoding = "klingon"'), "encoding"),
    (('encoding = "gbk"', 'encoding = "utf-16"'), "encoding"),
    (('{ name = "account_number", width = 19 },\n          { name = "amount", width = 12, align',
      '{ name = "account_number" },\n          { name = "amount", width = 12, align'),
     "offer.detail[1].width"),
    (('"51" = "insufficient_funds"', '"51" = "broke"'), "returns.reasons.51"),
    (('trailer = [{ name = "total_count", width = 8 }, { name = "total_amount", width = 12 }]\n[returns]',
      '[returns]'), "offer.header"),
    (('{ name = "result_code", width = 4 }', '{ name = "result_message", width = 4 }'), "returns.detail"),
    (('lengths = [19]', 'lengths = "19"'), "account.lengths"),
    (('{ name = "reference", width = 30 }, { name = "account_number", width = 19 },\n          '
      '{ name = "amount", width = 12, align = "right"',
      '{ name = "reference", width = 30 }, { name = "account_number", width = 19 },\n          '
      '{ name = "amount", width = 12, align = "middle"'), "offer.detail[2].align"),
    (('code = "TST"', 'code = "OTHER"'), "code"),
])
def test_a_broken_config_names_file_and_key(tmp_path, change, key):
    old, new = change
    assert old in GOOD
    with pytest.raises(LayoutError) as e:
        parse_layout(_write(tmp_path, GOOD.replace(old, new, 1)))
    assert str(e.value).startswith(f"tst.toml: {key}:"), str(e.value)


def test_invalid_toml_names_the_file(tmp_path):
    with pytest.raises(LayoutError, match="tst.toml: not valid TOML"):
        parse_layout(_write(tmp_path, GOOD + "\n[[["))
