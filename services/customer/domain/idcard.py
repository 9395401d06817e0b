"""Resident ID-card numbers (GB 11643-1999), as typed at legacy counters.

The number is the strongest identity key we have, so a number is only trusted when its check
character and its birth date hold; a number that fails is dropped (the record stays) with a reason.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from services.common.inputrules import fold

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1900

# ASCII digits only: Python's \d also takes other scripts' digits, which a number is never stored with.
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")


class InvalidIdNumber(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_char(first17: str) -> str:
    """The check character of 17 ASCII digits. Their weights are 2**(17-i) mod 11, and 13 is 2 mod 11, so
    the weighted sum is, mod 11, twice the digits read as one base-13 number: int() weighs them in C, at a
    tenth of the cost of weighing each digit in Python (a million numbers at a legacy import)."""
    return CHECK_CHARS[2 * int(first17, 13) % 11]


@lru_cache(maxsize=1 << 16)  # a century of birth dates, each read once rather than once a person
def _calendar_date(digits8: str) -> date | None:
    try:
        return date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        return None


def _birth_date(digits8: str, today: date) -> date:
    born = _calendar_date(digits8)
    if born is None:
        raise InvalidIdNumber("birth date does not exist")
    if born.year < EARLIEST_BIRTH_YEAR or born > today:
        raise InvalidIdNumber("birth date out of range")
    return born


def normalize_id_no(raw: str | None, today: date | None = None) -> str:
    """The 18-character number with an upper-case X, or InvalidIdNumber with the reason.

    A 15-digit number (GB 11643-1989, issued before 1999) is upgraded: its 2-digit year gets the
    century 19 and a check character is computed."""
    if raw is None:
        raise InvalidIdNumber("missing")
    # Counter clerks type full-width digits and letters with Chinese input methods.
    value = fold(raw).strip().replace(" ", "").replace("\t", "").replace("-", "").upper()
    if not value:
        raise InvalidIdNumber("missing")
    today = today or date.today()
    upgraded = _ID15.fullmatch(value)
    if not upgraded and not _ID18.fullmatch(value):
        raise InvalidIdNumber("not 15 or 18 digits")
    if value[0] == "0":
        raise InvalidIdNumber("region code invalid")
    if upgraded:
        first17 = value[:6] + "19" + value[6:]
        _birth_date(first17[6:14], today)
        return first17 + check_char(first17)
    _birth_date(value[6:14], today)
    if check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("check character mismatch")
    return value


def parse_id_no(raw: str | None, today: date | None = None) -> tuple[str | None, str | None]:
    """(normalized number, None) or (None, reason); (None, None) when nothing was typed."""
    if raw is None or not raw.strip():
        return None, None
    try:
        return normalize_id_no(raw, today), None
    except InvalidIdNumber as e:
        return None, e.reason
