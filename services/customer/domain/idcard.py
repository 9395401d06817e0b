"""Resident ID-card numbers (GB 11643-1999), as typed at legacy counters.

The number is the strongest identity key we have, so a number is only trusted when its check
character and its birth date hold; a number that fails is dropped (the record stays) with a reason.
"""
from __future__ import annotations

import operator
import re
from datetime import date

from services.common.inputrules import fold

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1900

# ASCII digits only: Python's \d also takes other scripts' digits, which a number is never stored with.
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")
_NOISE = str.maketrans("", "", " \t-")


class InvalidIdNumber(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(map(operator.mul, map(int, first17), WEIGHTS)) % 11]


def _birth_date(digits8: str, today: date) -> date:
    try:
        born = date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        raise InvalidIdNumber("birth date does not exist") from None
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
    value = fold(raw).strip().translate(_NOISE).upper()
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
