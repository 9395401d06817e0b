"""GB 11643 resident ID numbers: 6-digit area, 8-digit birth date, 3-digit sequence, check character."""
from __future__ import annotations

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def weighted_sum(digits: str, position: int = 0) -> int:
    """The check-sum contribution of `digits` placed at `position`; parts can be summed separately,
    which lets the generator precompute the area and birth-date parts once."""
    return sum(int(d) * w for d, w in zip(digits, WEIGHTS[position:]))


def check_char(first17: str) -> str:
    return CHECK_CHARS[weighted_sum(first17) % 11]


def is_valid(id_no: str | None) -> bool:
    return (id_no is not None and len(id_no) == 18 and id_no[:17].isdigit()
            and id_no[17] == check_char(id_no[:17]))
