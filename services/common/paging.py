"""One page of a list, as every service's list calls take it: offset from 0, limit 1 to 100 (0: the default)."""
from __future__ import annotations

from .errors import InvalidArgument
from .inputrules import PAGE_MAX

DEFAULT_PAGE = 20


def page_bounds(offset: int, limit: int) -> tuple[int, int]:
    if offset < 0 or not 0 <= limit <= PAGE_MAX:
        raise InvalidArgument(f"offset must be >= 0 and limit between 1 and {PAGE_MAX}", reason="invalid-page")
    return offset, limit or DEFAULT_PAGE
