import pytest

from gateway.app.masking import MASKED_FOR, mask, mask_bank_account, mask_id_no, mask_middle, mask_phone


def test_id_number_keeps_region_and_last_four():
    assert mask_id_no("110101199003071234") == "110101********1234"
    assert mask_id_no("11010119900307123X") == "110101********123X"


def test_phone_keeps_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_bank_account_keeps_its_bank_and_last_four():
    assert mask_bank_account("6222020200112233445") == "622202*********3445"


@pytest.mark.parametrize("value, expected", [("", ""), ("1234", "****"), ("12345", "*****"), ("123456", "1*3456")])
def test_values_too_short_to_keep_anything_are_starred_entirely(value, expected):
    assert mask_middle(value, 1, 4) == expected


@pytest.mark.parametrize("role, id_masked, phone_masked, account_masked", [
    ("counter", False, False, False), ("supervisor", False, False, False), ("admin", False, False, False),
    ("agent", True, False, True), ("technician", True, False, True), ("bank", True, True, True),
])
def test_policy_per_role(role, id_masked, phone_masked, account_masked):
    id_no, phone, account = "110101199003071234", "13812345678", "6222020200112233445"
    assert (mask("id_no", id_no, role) != id_no) is id_masked
    assert (mask("phone", phone, role) != phone) is phone_masked
    assert (mask("bank_account_no", account, role) != account) is account_masked


def test_empty_values_stay_empty_for_every_role():
    assert all(mask(field, "", role) == "" for field, roles in MASKED_FOR.items() for role in roles)


def test_unknown_field_is_a_programming_error():
    with pytest.raises(KeyError):
        mask("address", "somewhere", "bank")
