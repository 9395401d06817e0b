"""Fast GB 11643 check characters for the generator (the rule itself lives in the customer domain)."""
from __future__ import annotations

from services.customer.domain.idcard import WEIGHTS


def weighted_sum(digits: str, position: int = 0) -> int:
    """The check-sum contribution of `digits` placed at `position`; parts can be summed separately,
    which lets the generator precompute the area and birth-date parts once."""
    return sum(int(d) * w for d, w in zip(digits, WEIGHTS[position:]))
