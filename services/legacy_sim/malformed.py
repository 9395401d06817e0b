"""The broken values that years of counter work leave in a legacy table, for the importer to quarantine."""
from __future__ import annotations

import random

from services.customer.domain.idcard import CHECK_CHARS

GARBAGE_PHONES = ("无", "待补", "1381234", "139123456789", "0000", "13812345678/", "?", "电话停机", "同上")


def wrong_check(id_no: str, rng: random.Random) -> str:
    return id_no[:17] + rng.choice(CHECK_CHARS.replace(id_no[17].upper(), ""))


def wrong_length(id_no: str, rng: random.Random) -> str:
    """A digit dropped or typed twice."""
    i = rng.randrange(17)
    return id_no[:i] + id_no[i + 1:] if rng.random() < 0.5 else id_no[:i] + id_no[i] + id_no[i:]


def garbage_phone(rng: random.Random) -> str:
    return rng.choice(GARBAGE_PHONES)


def bad_date(ymd: str, rng: random.Random) -> str:
    """'20231305' (month 13), '20231399', '00000000' or '2023-3-5': all still fit CHAR(8)."""
    kind = rng.randrange(4)
    if kind == 0:
        return ymd[:4] + "13" + ymd[6:]
    if kind == 1:
        return ymd[:6] + "99"
    if kind == 2:
        return "00000000"
    return f"{ymd[:4]}-{int(ymd[4:6])}-{int(ymd[6:])}"[:8]
