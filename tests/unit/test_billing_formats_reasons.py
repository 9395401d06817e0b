import pytest

from services.billing.collection.layouts import all_layouts
from services.billing.collection.reasons import ISO_REASONS, REASONS, iso_reason, reason


@pytest.mark.parametrize("iso, word", [
    ("AM04", "insufficient_funds"), ("AC04", "account_closed"), ("AC06", "account_frozen"),
    ("MD01", "mandate_invalid"), ("AC01", "invalid_account"), ("BE01", "holder_mismatch"),
    ("ms03", "bank_error"), ("ZZ99", "other"), (None, "other"), ("", "other"),
])
def test_iso_codes_map_to_the_vocabulary(iso, word):
    assert iso_reason(iso) == word


def test_retry_policy_follows_the_issue():
    assert reason("insufficient_funds").retryable
    for word in ("account_closed", "mandate_invalid"):
        assert not reason(word).retryable and reason(word).flags_mandate
    assert not reason("other").retryable and not reason("other").flags_mandate


def test_every_mapping_lands_in_the_vocabulary():
    assert set(ISO_REASONS.values()) <= set(REASONS)
    for layout in all_layouts().values():
        assert set(layout.reasons.values()) <= set(REASONS)
        assert not set(layout.reasons) & layout.ok_codes
