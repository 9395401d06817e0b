"""Customer tier: who gets the VIP counter and household offers."""
from __future__ import annotations

from typing import Iterable

VIP_MONTHLY_FEES_FEN = 10000
HOUSEHOLD_MIN_ACTIVE_SERVICES = 2
RANK = ("regular", "household", "VIP")


def tier(marked_vip: bool, active_monthly_fees_fen: Iterable[int]) -> str:
    """VIP when the SMS marks the subscriber VIP or the active services bring 100 yuan a month or
    more; household with two or more active services; regular otherwise."""
    fees = list(active_monthly_fees_fen)
    if marked_vip or sum(fees) >= VIP_MONTHLY_FEES_FEN:
        return "VIP"
    if len(fees) >= HOUSEHOLD_MIN_ACTIVE_SERVICES:
        return "household"
    return "regular"


def merged_tier(survivor: str, merged: str, active_monthly_fees_fen: Iterable[int]) -> str:
    """Two records of one person made one: the higher of their tiers (one may carry the SMS VIP mark the
    other never had), or higher still if their services together earn it."""
    return max(survivor, merged, tier(False, active_monthly_fees_fen), key=RANK.index)
