import pytest

from services.billing.collection.accounts import InvalidAccountNumber, luhn_ok, validate_account_number
from services.billing.collection.layouts import load_layout


def with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


ICBC_CARD = with_check_digit("622202123456789012")


def test_luhn_known_numbers():
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
    assert luhn_ok("4111111111111111")


def test_a_valid_number_is_normalised():
    icbc = load_layout("ICBC")
    assert validate_account_number(icbc, ICBC_CARD) == ICBC_CARD
    grouped = " ".join(ICBC_CARD[i:i + 4] for i in range(0, 19, 4))
    assert validate_account_number(icbc, grouped) == ICBC_CARD
    full_width = ICBC_CARD.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert validate_account_number(icbc, full_width) == ICBC_CARD


@pytest.mark.parametrize("number, rule", [
    ("", "empty"),
    (None, "empty"),
    ("62220212345678901A3", "digits_only"),
    ("622202123456789", "length"),
    (with_check_digit("123402123456789012"), "prefix"),
    (ICBC_CARD[:-1] + str((int(ICBC_CARD[-1]) + 1) % 10), "luhn"),
])
def test_each_broken_rule_is_named(number, rule):
    with pytest.raises(InvalidAccountNumber) as e:
        validate_account_number(load_layout("ICBC"), number)
    assert e.value.rule == rule
    assert str(e.value).startswith("ICBC account number:")
    assert isinstance(e.value, ValueError)


def test_banks_differ():
    boc = load_layout("BOC")
    # A BOC passbook account: 12 digits, no check digit.
    assert validate_account_number(boc, "123456789010") == "123456789010"
    with pytest.raises(InvalidAccountNumber) as e:
        validate_account_number(load_layout("ICBC"), "123456789010")
    assert e.value.rule == "length"
    ccb_card = with_check_digit("436742123456789")
    assert validate_account_number(load_layout("CCB"), ccb_card) == ccb_card
