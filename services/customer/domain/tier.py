"""Customer tier: who gets the VIP counter and household offers."""
from __future__ import annotations

from typing import Iterable

TIERS = ("VIP", "household", "regular")
VIP_MONTHLY_FEES_FEN = 10000
HOUSEHOLD_MIN_ACTIVE_SERVICES = 2


def tier(marked_vip: bool, active_monthly_fees_fen: Iterable[int]) -> str:
    """VIP when the SMS marks the subscriber VIP or the active services bring 100 yuan a month or
    more; household with two or more active services; regular otherwise."""
    fees = list(active_monthly_fees_fen)
    if marked_vip or sum(fees) >= VIP_MONTHLY_FEES_FEN:
        return "VIP"
    if len(fees) >= HOUSEHOLD_MIN_ACTIVE_SERVICES:
        return "household"
    return "regular"
