"""Bank file layouts, one TOML file per bank in banks/: adding a bank is configuration, not code.

A layout says how the bank's offer file (报盘) is written and how its return file (回盘) is read:
encoding, line ending, fixed-width or delimited, amount and date formats, and for each file its
header / detail / trailer records as ordered fields. A fixed field's width counts bytes in the file's
encoding, as the banks' specifications do (a Chinese character is 2 bytes in GBK).
"""
from __future__ import annotations

import codecs
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .reasons import REASONS

BANKS_DIR = Path(__file__).with_name("banks")

KINDS = ("fixed", "delimited")
AMOUNT_FORMATS = ("fen", "yuan")
LINE_ENDINGS = {"crlf": b"\r\n", "lf": b"\n"}
FORMATS = ("bankLayout", "pain.008")

# What a field carries. Header and trailer fields speak of the whole file, detail fields of one debit.
_FILE_SOURCES = {"literal", "filler", "creditor_id", "creditor_name", "batch_no", "created_on",
                 "collection_date", "total_count", "total_amount", "bank_code"}
_RETURN_FILE_SOURCES = _FILE_SOURCES | {"ok_count", "ok_amount", "failed_count", "failed_amount"}
_DETAIL_SOURCES = {"literal", "filler", "seq", "reference", "account_number", "holder_name", "amount",
                   "user_number", "collection_date", "batch_no"}
_RETURN_DETAIL_SOURCES = _DETAIL_SOURCES | {"result_code", "result_message"}
_REQUIRED_DETAIL = ("reference", "account_number", "amount")


class LayoutError(ValueError):
    """A bank's layout file is broken; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    source: str
    width: int | None = None      # bytes in the file's encoding; fixed-width layouts only
    align: str = "left"
    pad: str = " "
    value: str = ""               # the text of a literal field
    truncate: bool = False        # cut to the width (names) instead of refusing the line


@dataclass(frozen=True, slots=True)
class Record:
    fields: tuple[Field, ...]

    @property
    def width(self) -> int:
        return sum(f.width or 0 for f in self.fields)

    def has(self, source: str) -> bool:
        return any(f.source == source for f in self.fields)


@dataclass(frozen=True, slots=True)
class FileLayout:
    header: Record | None
    detail: Record
    trailer: Record | None

    def has_total(self, source: str) -> bool:
        return any(r is not None and r.has(source) for r in (self.header, self.trailer))


@dataclass(frozen=True, slots=True)
class AccountRule:
    lengths: tuple[int, ...]
    digits_only: bool = True
    luhn: bool = False
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BankLayout:
    code: str
    name: str
    bank_id: str                  # the bank's BIC, used as the agent in ISO 20022 files
    creditor_id: str              # our merchant / creditor number at this bank
    creditor_account: str         # our collection account at this bank
    formats: tuple[str, ...]
    encoding: str
    line_ending: bytes
    kind: str
    delimiter: str
    trailing_delimiter: bool
    amount_format: str
    date_format: str
    file_name: str                # offer file name pattern, str.format with batch_no, creditor_id, date
    account_rule: AccountRule
    offer: FileLayout
    returns: FileLayout
    ok_codes: frozenset[str]
    reasons: Mapping[str, str]    # the bank's result code -> our vocabulary (reasons.REASONS)
    source: Path

    def accepts(self, fmt: str) -> bool:
        return fmt in self.formats

    def reason_for(self, bank_code: str) -> str:
        return self.reasons.get(bank_code, "other")

    def offer_file_name(self, batch_no: str, collection_date) -> str:
        return self.file_name.format(batch_no=batch_no, creditor_id=self.creditor_id,
                                     date=collection_date.strftime(self.date_format))


class _Reader:
    """Reads typed keys out of one TOML table and names file and key in every error."""

    def __init__(self, path: Path, table: Mapping[str, Any], prefix: str = ""):
        self.path, self.table, self.prefix = path, table, prefix

    def fail(self, key: str, message: str) -> LayoutError:
        return LayoutError(f"{self.path.name}: {self.prefix}{key}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "missing")
            return default
        value = self.table[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(key, f"must be {names}, not {type(value).__name__}")
        return value

    def choice(self, key: str, allowed, default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if value not in allowed:
            raise self.fail(key, f"{value!r} is not one of {', '.join(sorted(allowed))}")
        return value

    def sub(self, key: str, default: Any = ...) -> "_Reader":
        return _Reader(self.path, self.get(key, dict, default), f"{self.prefix}{key}.")


def _field(r: _Reader, sources: set[str], fixed: bool) -> Field:
    # A field named after what it carries needs no separate source.
    source = r.get("source", str, None) or r.get("name", str)
    if source not in sources:
        raise r.fail("source", f"{source!r} cannot be used here; one of {', '.join(sorted(sources))}")
    width = r.get("width", int, None)
    if fixed and (width is None or width <= 0):
        raise r.fail("width", "a positive width is required in a fixed-width layout")
    pad = r.get("pad", str, " ")
    if len(pad) != 1 or not pad.isascii():
        raise r.fail("pad", "must be one ASCII character")
    value = r.get("value", str, "")
    if source == "literal" and not value:
        raise r.fail("value", "a literal field needs its text")
    if fixed and value and len(value.encode("utf-8")) > width:
        raise r.fail("value", f"longer than the width {width}")
    return Field(name=r.get("name", str, source), source=source, width=width,
                 align=r.choice("align", {"left", "right"}, "left"), pad=pad, value=value,
                 truncate=r.get("truncate", bool, False))


def _record(r: _Reader, key: str, sources: set[str], fixed: bool, required: bool) -> Record | None:
    items = r.get(key, list, ... if required else None)
    if items is None:
        return None
    if not items:
        raise r.fail(key, "a record needs at least one field")
    fields = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise r.fail(f"{key}[{i}]", "each field is a table")
        fields.append(_field(_Reader(r.path, item, f"{r.prefix}{key}[{i}]."), sources, fixed))
    return Record(tuple(fields))


def _file_layout(r: _Reader, file_sources: set[str], detail_sources: set[str], fixed: bool,
                 extra_required: tuple[str, ...]) -> FileLayout:
    layout = FileLayout(header=_record(r, "header", file_sources, fixed, False),
                        detail=_record(r, "detail", detail_sources, fixed, True),
                        trailer=_record(r, "trailer", file_sources, fixed, False))
    for source in _REQUIRED_DETAIL + extra_required:
        if not layout.detail.has(source):
            raise r.fail("detail", f"needs a field with source {source!r}")
    for total in ("total_count", "total_amount"):
        if not layout.has_total(total):
            raise r.fail("header", f"the header or the trailer must carry {total!r}")
    return layout


def _account_rule(r: _Reader) -> AccountRule:
    lengths = r.get("lengths", list)
    if not lengths or not all(isinstance(n, int) and 4 <= n <= 34 for n in lengths):
        raise r.fail("lengths", "a list of lengths between 4 and 34")
    prefixes = r.get("prefixes", list, [])
    if not all(isinstance(p, str) and p for p in prefixes):
        raise r.fail("prefixes", "a list of non-empty strings")
    return AccountRule(lengths=tuple(lengths), digits_only=r.get("digits_only", bool, True),
                       luhn=r.get("luhn", bool, False), prefixes=tuple(prefixes))


def parse_layout(path: Path) -> BankLayout:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise LayoutError(f"{path.name}: not valid TOML: {e}") from None
    r = _Reader(path, data)
    code = r.get("code", str)
    if code.lower() != path.stem.lower():
        raise r.fail("code", f"{code!r} does not match the file name {path.name}")
    encoding = r.get("encoding", str)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise r.fail("encoding", f"unknown encoding {encoding!r}") from None
    # Lines are split on LF and fields sliced on bytes, so the encoding must keep ASCII as it is.
    if "\n|0A".encode(encoding) != b"\n|0A":
        raise r.fail("encoding", f"{encoding!r} is not ASCII-compatible")
    kind = r.choice("kind", set(KINDS))
    fixed = kind == "fixed"
    delimiter = r.get("delimiter", str, "")
    if not fixed and (len(delimiter) != 1 or delimiter in "\r\n"):
        raise r.fail("delimiter", "a delimited layout needs a one-character delimiter")
    formats = r.get("formats", list, ["bankLayout"])
    for fmt in formats:
        if fmt not in FORMATS:
            raise r.fail("formats", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    returns = r.sub("returns")
    ok_codes = returns.get("ok_codes", list)
    if not ok_codes or not all(isinstance(c, str) and c for c in ok_codes):
        raise returns.fail("ok_codes", "a non-empty list of the bank's success codes")
    reasons = returns.get("reasons", dict)
    for bank_code, word in reasons.items():
        if word not in REASONS:
            raise returns.fail(f"reasons.{bank_code}",
                               f"{word!r} is not a reason; one of {', '.join(REASONS)}")
    return BankLayout(
        code=code.upper(), name=r.get("name", str), bank_id=r.get("bank_id", str),
        creditor_id=r.get("creditor_id", str), creditor_account=r.get("creditor_account", str),
        formats=tuple(formats), encoding=codecs.lookup(encoding).name,
        line_ending=LINE_ENDINGS[r.choice("line_ending", set(LINE_ENDINGS))], kind=kind,
        delimiter=delimiter, trailing_delimiter=r.get("trailing_delimiter", bool, False),
        amount_format=r.choice("amount", set(AMOUNT_FORMATS)), date_format=r.get("date_format", str),
        file_name=r.get("file_name", str), account_rule=_account_rule(r.sub("account")),
        offer=_file_layout(r.sub("offer"), _FILE_SOURCES, _DETAIL_SOURCES, fixed, ()),
        returns=_file_layout(returns, _RETURN_FILE_SOURCES, _RETURN_DETAIL_SOURCES, fixed,
                             ("result_code",)),
        ok_codes=frozenset(ok_codes), reasons=MappingProxyType(dict(reasons)), source=path)


def load_layout(code: str, banks_dir: Path = BANKS_DIR) -> BankLayout:
    path = banks_dir / f"{code.lower()}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem.upper() for p in banks_dir.glob("*.toml")))
        raise LayoutError(f"no layout for bank {code!r} in {banks_dir} (known: {known})")
    return _cached(path)


@functools.cache
def _cached(path: Path) -> BankLayout:
    return parse_layout(path)


def all_layouts(banks_dir: Path = BANKS_DIR) -> dict[str, BankLayout]:
    return {layout.code: layout for layout in
            (_cached(p) for p in sorted(banks_dir.glob("*.toml")))}
