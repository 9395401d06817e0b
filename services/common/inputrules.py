"""What people may type, stated once: the limits every service's handlers enforce and the gateway's
schemas document, and the one form text takes before anything compares, stores or searches it.

Text from keyboards and copied pages comes in several spellings of the same thing: full-width digits
and letters from Chinese input methods (the ID number's "Ｘ"), compatibility ideographs, invisible
characters picked up with a copy (zero-width space and joiners, BOM, soft hyphen, direction marks).
Each field kind decides what to do with the rest:

- numbers (ID numbers, phones, codes) and keys (customer and service numbers, in any case): invisible
  and direction-control characters are removed, because they are never part of a number and a paste
  from a web page or a spreadsheet brings them; a digit of another script (Arabic-Indic, Devanagari...)
  is refused, since silently reading it could turn a typo into someone else's number.
- wording (names, addresses): invisible characters are removed, but direction embeddings, overrides
  and isolates (U+202A-202E, U+2066-2069) are refused: stored in a name they make it display in
  another order than it is written (the spoofing trick), and no Chinese name or address needs them.
  Digits of other scripts are refused as in numbers (a house number must compare equal to itself).
- prose (a contact summary, a reason): kept as typed apart from the invisible characters, without NFKC
  (full-width punctuation is correct Chinese prose); direction controls are refused as in wording.

Every kind refuses NUL (PostgreSQL text cannot hold it) and text over its limit.
"""
from __future__ import annotations

import re
import unicodedata

from .errors import InvalidArgument

NAME_MAX = 60        # a person's name
ADDRESS_MAX = 300    # an address; a much longer one cannot even be indexed (btree row limit)
TEXT_MAX = 2000      # the longest free text (a contact summary); every other field is shorter
LABEL_MAX = 50       # a contact kind, a user name: words, not prose
CODE_MAX = 40        # a product code
REASON_MAX = 500     # why a service is suspended, restored or disconnected
EMAIL_MAX = 254      # RFC 5321
SEARCH_MAX = 200     # what a clerk types into the search box
PAGE_MAX = 200       # rows a service answers per page
BATCH_MAX = 100      # keys a batched lookup takes in one call (the gateway's coalesced 360 views)

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"  # one @, a dot in the domain, no spaces
TIERS = ("VIP", "household", "regular")
# What a browse of all customers filters by (the customer service's domain/browse.py and the gateway).
CUSTOMER_STATUSES = ("active", "merged")
ORIGINS = ("cms", "sms", "bss")  # bss: a customer in neither legacy system
STATION_CODE_PATTERN = r"[0-9A-Za-z_-]{1,16}"
CONTACT_CHANNELS = ("counter", "phone", "field", "online")  # where a person talked to the customer
# What a product order may be (a work order's type has the same words), the service kinds, appointment slots.
ORDER_TYPES = ("install", "relocation", "digital_conversion", "equipment_swap", "disconnect")
SERVICE_KINDS = ("analog_tv", "digital_tv", "broadband")
APPOINTMENT_SLOTS = ("AM", "PM")

# Invisible characters that mean nothing in a name, number or address: soft hyphen, Mongolian vowel
# separator, zero-width space / non-joiner / joiner, left-to-right and right-to-left marks, word joiner
# and invisible operators, zero-width no-break space (BOM).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064"
                                    "\ufeff"))
_INVISIBLE_SEARCH = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
_DIRECTION = re.compile("[\u202a-\u202e\u2066-\u2069]")


def fold(text: str) -> str:
    """One spelling: NFKC (full-width letters and digits and the ideographic space become ASCII,
    compatibility ideographs their unified form), without invisible characters. Anything not text is
    returned as it is, so a schema can fold before it type-checks."""
    if not isinstance(text, str):
        return text
    if text.isascii():  # already NFKC and without invisible characters: most numbers, at import speed
        return text
    text = unicodedata.normalize("NFKC", text)
    # A search is much cheaper than a translation of every character, and finds nothing in most text.
    return text.translate(_INVISIBLE) if _INVISIBLE_SEARCH.search(text) else text


def _checked(field: str, value: str, limit: int) -> str:
    if "\x00" in value:
        raise InvalidArgument(f"{field} must not contain NUL characters", reason="invalid-text")
    if len(value) > limit:
        raise InvalidArgument(f"{field} has at most {limit} characters", reason="invalid-text")
    return value


def _ascii_digits(field: str, value: str) -> str:
    foreign = sorted({c for c in value if unicodedata.category(c) == "Nd" and not "0" <= c <= "9"})
    if foreign:
        raise InvalidArgument(f"{field} has digits of another script ({''.join(foreign)}): type 0-9",
                              reason="invalid-digits")
    return value


def _no_direction_controls(field: str, value: str) -> str:
    if _DIRECTION.search(value):
        raise InvalidArgument(f"{field} must not contain direction-control characters (U+202A-202E, U+2066-2069)",
                              reason="invalid-text")
    return value


def number(field: str, value: str, limit: int = LABEL_MAX) -> str:
    return _ascii_digits(field, _checked(field, _DIRECTION.sub("", fold(value)), limit))


def key(field: str, value: str, limit: int = LABEL_MAX) -> str:
    """A number people see with a letter prefix (C…, S…): the same in any case."""
    return number(field, value, limit).strip().upper()


def wording(field: str, value: str, limit: int = TEXT_MAX) -> str:
    return _ascii_digits(field, _no_direction_controls(field, _checked(field, fold(value), limit)))


def prose(field: str, value: str, limit: int = TEXT_MAX) -> str:
    return _no_direction_controls(field, _checked(field, value.translate(_INVISIBLE), limit))
