"""The one form text takes at every entry point (services/common/inputrules.py), and what each kind of
field refuses."""
import pytest

from services.common.errors import InvalidArgument
from services.common.inputrules import fold, key, number, prose, wording
from services.customer.handlers import Actor, ChangeServiceState, CreateCustomer, EntitleSmartCard, RecordContact, \
    UpdateContact

ACTOR = Actor("clerk")
ID_NO = "11010119900307123X"
FULLWIDTH_ID_NO = "１１０１０１１９９００３０７１２３Ｘ"
ARABIC_INDIC = "١٣٨١٢٣٤٥٦٧٨"  # 13812345678 in Arabic-Indic digits
DEVANAGARI = "१३८१२३४५६७८"


def test_fold_makes_full_width_compatibility_and_invisible_forms_one_form():
    assert fold(FULLWIDTH_ID_NO) == ID_NO
    assert fold("ＡＢＣ１２３\u3000") == "ABC123 "
    assert fold("\uf90a三") == "金三"  # CJK COMPATIBILITY IDEOGRAPH-F90A is 金
    assert fold("\ufeff138\u200b1234\u00ad5678\u200d") == "13812345678"
    assert fold(None) is None and fold(7) == 7  # schemas fold before they type-check


@pytest.mark.parametrize("clean", [number, key])
def test_numbers_lose_direction_controls_and_refuse_other_scripts_digits(clean):
    assert clean("phone", "\u202a138 1234 5678\u202c") == "138 1234 5678"
    assert clean("phone", "\u2066１３８１２３４５６７８\u2069") == "13812345678"
    for foreign in (ARABIC_INDIC, DEVANAGARI, "138١2345678"):
        with pytest.raises(InvalidArgument) as err:
            clean("phone", foreign)
        assert err.value.reason == "invalid-digits" and "0-9" in err.value.message


def test_a_key_is_the_same_in_any_case():
    assert key("customer_no", " c10000001 ") == "C10000001"
    assert key("customer_no", "ｃ１０００００１") == "C1000001"


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2067", "\u2069"])
@pytest.mark.parametrize("clean", [wording, prose])
def test_direction_controls_are_refused_in_names_addresses_and_prose(clean, control):
    with pytest.raises(InvalidArgument) as err:
        clean("name", f"王{control}小明")
    assert err.value.reason == "invalid-text" and "direction" in err.value.message


def test_wording_is_folded_and_prose_keeps_its_punctuation():
    assert wording("name", "王\u200b小明") == "王小明"
    assert wording("address", "文三路１２号") == "文三路12号"
    with pytest.raises(InvalidArgument):
        wording("address", "文三路١٢号")
    assert prose("summary", "客户来电，要求停机。\u200b") == "客户来电，要求停机。"


@pytest.mark.parametrize("clean", [number, key, wording, prose])
def test_every_kind_refuses_nul_and_overlong_text(clean):
    for bad in ("a\x00b", "a" * 11):
        with pytest.raises(InvalidArgument) as err:
            clean("f", bad, 10)
        assert err.value.reason == "invalid-text"


def test_commands_carry_the_folded_form():
    cmd = CreateCustomer(name="王\u200b小明", id_no=FULLWIDTH_ID_NO, phone="\u202d１３８１２３４５６７８",
                         address="文三路１００号", actor=ACTOR)
    assert (cmd.name, cmd.id_no, cmd.phone, cmd.address) == ("王小明", ID_NO, "13812345678", "文三路100号")
    assert UpdateContact(customer_no="c123", actor=ACTOR).customer_no == "C123"
    change = ChangeServiceState(customer_no="c123", service_no="s456", action="suspend", actor=ACTOR)
    assert (change.customer_no, change.service_no) == ("C123", "S456")
    assert EntitleSmartCard(customer_no="c1", card_no="８1", product_code="HD", actor=ACTOR).customer_no == "C1"
    assert RecordContact(customer_no="c1", channel="phone", kind="note", summary="hi", actor=ACTOR).customer_no == "C1"
    with pytest.raises(InvalidArgument):
        CreateCustomer(name="王小明", phone=ARABIC_INDIC, actor=ACTOR)
    with pytest.raises(InvalidArgument):
        CreateCustomer(name="王\u202e明小", actor=ACTOR)
