"""One page of a list, as every service's list calls take it: offset from 0, limit 1 to 200 (0: the default);
and the size of a batched lookup."""
from __future__ import annotations

from typing import Sequence

from .errors import InvalidArgument
from .inputrules import BATCH_MAX, PAGE_MAX, key

DEFAULT_PAGE = 20


def page_bounds(offset: int, limit: int) -> tuple[int, int]:
    if offset < 0 or not 0 <= limit <= PAGE_MAX:
        raise InvalidArgument(f"offset must be >= 0 and limit between 1 and {PAGE_MAX}", reason="invalid-page")
    return offset, limit or DEFAULT_PAGE


def batch_keys(field: str, values: Sequence[str]) -> list[str | None]:
    """The keys of a batched lookup (at most BATCH_MAX), each read as one asked alone is (inputrules.key),
    in order; a malformed one is None, answered as an unknown one, so that it fails no other in the batch."""
    if len(values) > BATCH_MAX:
        raise InvalidArgument(f"at most {BATCH_MAX} keys in one call", reason="batch-too-large")
    keys: list[str | None] = []
    for value in values:
        try:
            keys.append(key(field, value))
        except InvalidArgument:
            keys.append(None)
    return keys
