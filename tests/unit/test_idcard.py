import random
from datetime import date

import pytest

from services.customer.domain.idcard import (CHECK_CHARS, WEIGHTS, InvalidIdNumber, check_char, normalize_id_no,
                                             parse_id_no)

VALID = "11010519491231002X"


def test_valid_number_is_returned_unchanged():
    assert normalize_id_no(VALID) == VALID


def test_lowercase_x_spaces_and_full_width_are_normalized():
    assert normalize_id_no(" 110105 19491231 002x ") == VALID
    assert normalize_id_no("１１０１０５１９４９１２３１００２Ｘ") == VALID


def test_wrong_check_character_is_refused():
    with pytest.raises(InvalidIdNumber) as e:
        normalize_id_no("110105194912310021")
    assert e.value.reason == "check character mismatch"


def test_check_character_is_the_standards_weighted_sum():
    numbers = ["0" * 17, "9" * 17, "11010519491231002"] + [
        "".join(random.choice("0123456789") for _ in range(17)) for _ in range(2000)]
    for first17 in numbers:
        assert check_char(first17) == CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11], first17


def test_a_hyphenated_number_and_tabs_are_read():
    assert normalize_id_no("110105-19491231-002X\t") == VALID


def test_fifteen_digit_number_is_upgraded_with_century_19():
    assert normalize_id_no("110105491231002") == VALID


@pytest.mark.parametrize("body", ["11010519490231", "11010518991231", "11010520991231"])
def test_impossible_or_implausible_birth_date_is_refused(body):
    first17 = body + "002"
    with pytest.raises(InvalidIdNumber) as e:
        normalize_id_no(first17 + check_char(first17), today=date(2024, 1, 1))
    assert "birth date" in e.value.reason


@pytest.mark.parametrize("raw,reason", [
    ("12345", "not 15 or 18 digits"),
    ("11010519491231002Y", "not 15 or 18 digits"),
    ("01010519491231002X", "region code invalid"),
])
def test_malformed_numbers_are_refused(raw, reason):
    assert parse_id_no(raw) == (None, reason)


def test_parse_distinguishes_blank_from_invalid():
    assert parse_id_no("  ") == (None, None)
    assert parse_id_no(None) == (None, None)
    assert parse_id_no(VALID.lower()) == (VALID, None)


def test_folded_forms_are_read_and_other_scripts_digits_refused():
    assert parse_id_no("\u200b" + VALID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))) == (VALID, None)
    assert parse_id_no(VALID.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))) == (None, "not 15 or 18 digits")
