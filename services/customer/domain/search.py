"""What a clerk typed into the one search box, and which field it should be looked up in."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import normalize_address, normalize_name

_CUSTOMER_NO = re.compile(r"^[Cc]\d{6,12}$")
_ID_NO = re.compile(r"^(\d{17}[\dXx]|\d{15})$")
_SMART_CARD = re.compile(r"^8\d{15}$")
_PHONE_CHARS = re.compile(r"^[\d\s+()\-]{7,20}$")
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
_ADDRESS_HINT = re.compile(r"[\d０-９]|[路街道巷弄号號栋幢单元室村镇区县市省小区]")


@dataclass(frozen=True)
class SearchQuery:
    field: str  # customer_no | id_no | smart_card | phone | local_phone | name | address
    value: str


def classify(q: str) -> SearchQuery:
    text = q.strip()
    if not text:
        raise ValueError("empty search")
    compact = re.sub(r"\s+", "", text)
    if _CUSTOMER_NO.match(compact):
        return SearchQuery("customer_no", compact.upper())
    if _SMART_CARD.match(compact):
        return SearchQuery("smart_card", compact)
    if _ID_NO.match(compact) and len(compact) == 18:
        return SearchQuery("id_no", compact.upper())
    if _PHONE_CHARS.match(text):
        digits = re.sub(r"\D", "", text)
        if digits.startswith("0086"):
            digits = digits[4:]
        elif digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        if len(digits) in (7, 8) and digits[0] not in "01":
            # A landline as people say it, without the area code everyone in town shares.
            return SearchQuery("local_phone", digits)
        if 7 <= len(digits) <= 12:
            return SearchQuery("phone", digits)
    if _ID_NO.match(compact):
        return SearchQuery("id_no", compact.upper())
    if _HAS_CJK.search(compact) and (len(compact) > 5 or _ADDRESS_HINT.search(compact)):
        return SearchQuery("address", compact)
    return SearchQuery("name", compact)


def search_query(q: str) -> SearchQuery:
    """The query as stored data is written: names and addresses normalized like the imported ones."""
    query = classify(q)
    if query.field == "name":
        return SearchQuery("name", normalize_name(query.value) or query.value)
    if query.field == "address":
        return SearchQuery("address", normalize_address(query.value) or query.value)
    return query
