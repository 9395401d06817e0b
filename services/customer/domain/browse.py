"""What a supervisor may filter a browse of all customers by, checked before any SQL is built."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from services.common.inputrules import CUSTOMER_STATUSES as STATUSES, ORIGINS, STATION_CODE_PATTERN, TIERS

_STATION_CODE = re.compile(STATION_CODE_PATTERN)


@dataclass(frozen=True)
class BrowseFilter:
    station_code: str | None = None
    status: str | None = None
    tier: str | None = None
    origin: str | None = None

    def given(self) -> dict[str, str]:
        """The filters that were set, by name."""
        return {name: value for name, value in asdict(self).items() if value is not None}


def browse_filter(station_code: str = "", status: str = "", tier: str = "", origin: str = "") -> BrowseFilter:
    """A filter from the wire's strings (empty = any); ValueError names the first bad one."""
    for name, value, allowed in (("status", status, STATUSES), ("tier", tier, TIERS), ("origin", origin, ORIGINS)):
        if value and value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    if station_code and not _STATION_CODE.fullmatch(station_code):
        raise ValueError("station must be a station code: at most 16 letters, digits, _ or -")
    return BrowseFilter(station_code or None, status or None, tier or None, origin or None)
