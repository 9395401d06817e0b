"""A batched lookup's keys: read as one asked alone, in order, a malformed one None, at most BATCH_MAX."""
import pytest

from services.common.errors import InvalidArgument
from services.common.inputrules import BATCH_MAX
from services.common.paging import batch_keys


def test_each_key_is_read_as_alone_and_a_malformed_one_is_none():
    assert batch_keys("customerNo", [" c10000001", "Ｃ１２", "C\u0661", "C2"]) == ["C10000001", "C12", None, "C2"]
    assert batch_keys("customerNo", []) == []


def test_a_batch_beyond_the_bound_is_refused():
    assert len(batch_keys("customerNo", ["C1"] * BATCH_MAX)) == BATCH_MAX
    with pytest.raises(InvalidArgument) as refused:
        batch_keys("customerNo", ["C1"] * (BATCH_MAX + 1))
    assert refused.value.reason == "batch-too-large"
