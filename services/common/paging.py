"""One page of a list, as every service's list calls take it: offset from 0, limit 1 to 200 (0: the default);
and the size of a batched lookup."""
from __future__ import annotations

from typing import Sequence

from .errors import InvalidArgument
from .inputrules import BATCH_MAX, PAGE_MAX

DEFAULT_PAGE = 20


def page_bounds(offset: int, limit: int) -> tuple[int, int]:
    if offset < 0 or not 0 <= limit <= PAGE_MAX:
        raise InvalidArgument(f"offset must be >= 0 and limit between 1 and {PAGE_MAX}", reason="invalid-page")
    return offset, limit or DEFAULT_PAGE


def batch_bounds(keys: Sequence[str]) -> None:
    """A batched lookup takes at most BATCH_MAX keys."""
    if len(keys) > BATCH_MAX:
        raise InvalidArgument(f"at most {BATCH_MAX} keys in one call", reason="batch-too-large")
