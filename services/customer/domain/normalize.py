"""Normalized forms of what counter clerks typed into the legacy systems: names, phones, addresses.

Two spellings of the same thing must come out equal, so matching can compare strings; anything that
cannot be read as a name, a phone or an address comes out as None (or is left out) instead of noise.
Legacy text is first folded as every entry point folds what clerks type (full-width forms half-width,
NFKC, no invisible characters: services/common/inputrules.py), so both compare equal.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from services.common.inputrules import fold

# Traditional and variant characters that are common in names and addresses typed on old systems.
_SIMPLIFIED = str.maketrans(
    "陳張劉黃趙吳鄭楊許孫馬羅謝韓馮鄧蕭華國強偉麗紅軍東劍龍鳳蘭輝興義習葉蔣盧錢湯賈沈魏陸闕"
    "號樓層單區縣鎮廣場園門聲",
    "陈张刘黄赵吴郑杨许孙马罗谢韩冯邓萧华国强伟丽红军东剑龙凤兰辉兴义习叶蒋卢钱汤贾沈魏陆阙"
    "号楼层单区县镇广场园门声",
)
# str.translate looks up every character (about 2 us for an address); most text has none of these,
# which a regular expression finds out twenty times faster.
_TRADITIONAL = re.compile("[" + "".join(map(chr, _SIMPLIFIED)) + "]")
_NAME_DOTS = re.compile(r"[•‧・.．]")
_REMARK = re.compile(r"[(（\[【].*?[)）\]】]")
_NAME_OK = re.compile(r"[\u3400-\u9fff]|[A-Za-z]{2}")
_NAME_JUNK = re.compile(r"[\d?？*#/\\]")

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 慕容 令狐 皇甫 尉迟 公孙 长孙 宇文 司徒 夏侯 轩辕 端木 独孤 南宫 西门 申屠".split())


def _without_spaces(text: str) -> str:
    # str.split() cuts at the same Unicode whitespace as \s, at a sixth of a regular expression's cost.
    return "".join(text.split())


def _simplified(text: str) -> str:
    return text.translate(_SIMPLIFIED) if _TRADITIONAL.search(text) else text


def normalize_name(raw: str | None) -> str | None:
    """Name without spaces, remarks in brackets, traditional characters; None if not a usable name."""
    if not raw:
        return None
    name = _REMARK.sub("", fold(raw))
    name = _simplified(_without_spaces(name))
    name = _NAME_DOTS.sub("·", name).strip("·")
    if not name or _NAME_JUNK.search(name) or not _NAME_OK.search(name):
        return None
    return name.lower()


def surname(name_norm: str) -> str:
    return name_norm[:2] if name_norm[:2] in COMPOUND_SURNAMES else name_norm[:1]


class Phone(NamedTuple):
    number: str  # digits only, no country prefix; a landline keeps its 0-prefixed area code
    kind: str    # mobile | landline


# ASCII digits only: Python's \d also takes other scripts' digits, which a phone is never stored with.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# 010 and 02x have 3-digit area codes with 8-digit numbers; the rest 4 digits with 7 or 8.
_LANDLINE = re.compile(r"0(?:10|2[0-9])[2-9][0-9]{7}|0[3-9][0-9]{2}[2-9][0-9]{6,7}")
_PHONE_SEPARATORS = re.compile(r"[/,;，；、|]|或|和|\s{2,}")
_NOT_DIGIT = re.compile(r"[^0-9]")


def classify_phone(digits: str) -> Phone | None:
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) >= 12:
        digits = digits[2:]
    if _MOBILE.fullmatch(digits):
        kind = "mobile"
    else:
        if not digits.startswith("0"):
            digits = "0" + digits  # an international form drops the trunk 0 of the area code
        if not _LANDLINE.fullmatch(digits):
            return None
        kind = "landline"
    if digits[-7:] == digits[-1] * 7:  # 13800000000, 0571-8888888: placeholders, not phones
        return None
    return Phone(digits, kind)


def parse_phones(raw: str | None) -> list[Phone]:
    """Every readable phone in a free-text field, in order, without duplicates; garbage is left out."""
    if not raw:
        return []
    if raw.isdigit() and raw.isascii():  # one number as digits alone, as half the legacy fields hold
        phone = classify_phone(raw)
        return [phone] if phone else []
    found: list[Phone] = []
    for token in _PHONE_SEPARATORS.split(fold(raw)):
        phone = classify_phone(_NOT_DIGIT.sub("", token))
        # "13812345678 0571-88886666": one space between two numbers reads as one long number.
        candidates = [phone] if phone else [classify_phone(_NOT_DIGIT.sub("", t)) for t in token.split()]
        for p in candidates:
            if p and p not in found:
                found.append(p)
    return found


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"([零〇一二两三四五六七八九十]+)(?=栋|单元|层|楼|号|室|幢|组|巷|弄)")
_PREFIX = re.compile(r"^(?:[^\d省市]{2,7}?(?:省|自治区))?(?:[^\d省市区]{2,6}?市(?!场))?")
_DASHED_UNIT = re.compile(r"(\d+)-(\d+)-(\d+)$")  # 3-2-501: building-unit-room
_DASHES = str.maketrans({"—": "-", "－": "-", "–": "-", "~": "-"})
_DASH_VARIANTS = re.compile("[—－–~]")


def _cn_to_int(text: str) -> int:
    if "十" not in text:
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def normalize_address(raw: str | None) -> str | None:
    """Address as a comparable key: half-width, no spaces, no province/city prefix, one spelling
    of building (栋), number (号) and unit; None if nothing is left."""
    if not raw:
        return None
    addr = _simplified(_without_spaces(fold(raw)))
    if _DASH_VARIANTS.search(addr):
        addr = addr.translate(_DASHES)
    addr = _PREFIX.sub("", addr, count=1)
    addr = _CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group(1))), addr)
    addr = addr.replace("号楼", "栋").replace("幢", "栋").replace("座", "栋")
    if addr.endswith("室"):
        addr = addr[:-1]
    if "-" in addr:  # the pattern's search is slow (it tries every digit), and most addresses have no dash
        addr = _DASHED_UNIT.sub(r"\1栋\2单元\3", addr)
    return addr or None
