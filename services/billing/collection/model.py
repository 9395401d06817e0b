"""What goes into an offer file and what comes back from a bank, whatever the format."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Iterable, Iterator, NamedTuple, Sequence


@dataclass(frozen=True, slots=True)
class OfferBatch:
    batch_no: str                 # D…; also the ISO 20022 MsgId and PmtInfId
    created_on: date
    collection_date: date
    creditor_name: str
    created_at: datetime | None = None   # ISO 20022 CreDtTm; midnight of created_on when absent
    currency: str = "CNY"


# The per-line types are named tuples: a million of them are built per file, and a tuple is built
# several times faster than a dataclass instance.
class DebitLine(NamedTuple):
    reference: str                # how the returned line finds its debit (ISO 20022: EndToEndId)
    account_number: str
    holder_name: str
    amount_minor: int
    user_number: str
    mandate_id: str | None = None


@dataclass(frozen=True, slots=True)
class FileTotals:
    count: int
    amount_minor: int


class ReturnLine(NamedTuple):
    line_no: int                  # in the file; for XML the source line of the transaction element
    reference: str
    account_number: str
    amount_minor: int | None      # None only when a pain.002 does not repeat the original amount
    ok: bool
    bank_code: str                # the bank's own result code, or the ISO 20022 reason code
    reason: str | None            # reasons.REASONS vocabulary; None when ok
    message: str = ""
    holder_name: str = ""
    user_number: str = ""


class ReturnLines(Sequence[ReturnLine]):
    """A result file's lines held a column per field of ReturnLine. A bank's own layout is read a column at
    a time and staged a column at a time (reconcile.py), so a ReturnLine made of every line and taken apart
    again cost 0.3 s of a 333,333-line file, time in which PostgreSQL waits. Read by index or in turn, each
    line is a ReturnLine."""

    __slots__ = ("columns",)

    def __init__(self, lines: Iterable[ReturnLine] = ()):
        self.columns: tuple[list, ...] = tuple([] for _ in ReturnLine._fields)
        for line in lines:
            self.append(line)

    def append(self, line: ReturnLine) -> None:
        for column, value in zip(self.columns, line):
            column.append(value)

    def extend(self, *columns: Sequence) -> None:
        """Lines given as columns in ReturnLine's field order, of equal length; a column left off or given as
        None takes its field's default (a layout without messages, names or user numbers)."""
        count = len(columns[0])
        for n, (name, column) in enumerate(zip(ReturnLine._fields, self.columns)):
            values = columns[n] if n < len(columns) else None
            column.extend([ReturnLine._field_defaults[name]] * count if values is None else values)

    def __len__(self) -> int:
        return len(self.columns[0])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [ReturnLine(*values) for values in zip(*(column[index] for column in self.columns))]
        return ReturnLine(*(column[index] for column in self.columns))

    def __iter__(self) -> Iterator[ReturnLine]:
        return map(ReturnLine, *self.columns)


@dataclass(slots=True)
class ReturnFile:
    format: str                   # bankLayout, pain.002 or camt.054
    lines: ReturnLines
    batch_no: str | None          # the offer's batch number when the file names it
    total_count: int
    total_amount_minor: int
    ok_count: int
    ok_amount_minor: int
    # pain.002 transactions whose status is not final yet (e.g. ACSP): their debits stay pending.
    pending_references: list[str] = field(default_factory=list)
    # pain.002 that rejects the whole batch (GrpSts RJCT) without listing transactions.
    group_status: str | None = None
    group_reason: str | None = None


@dataclass(frozen=True, slots=True)
class FileError:
    where: str                    # "line 17", "line 1 (header)", or an XML element path with its line
    message: str


class FileRejected(ValueError):
    """The whole file is refused; nothing in it may be applied."""

    def __init__(self, errors: list[FileError]):
        self.errors = errors
        shown = "; ".join(f"{e.where}: {e.message}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"file rejected, {len(errors)} error(s): {shown}{more}")


class OfferLineError(ValueError):
    """A debit that cannot be written to the bank's file; nothing was written to the output."""

    def __init__(self, reference: str, message: str):
        super().__init__(f"debit {reference}: {message}")
        self.reference = reference


MAX_ERRORS = 100


class ErrorList:
    """Collects a file's errors up to MAX_ERRORS so the bank sees them all, not only the first."""

    def __init__(self) -> None:
        self.errors: list[FileError] = []
        self.full = False

    def add(self, where: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(FileError(where, message))
        elif not self.full:
            self.full = True
            self.errors.append(FileError(where, f"more than {MAX_ERRORS} errors; stopped listing"))

    def add_by_line(self, found: Iterable[tuple[int, str, str]]) -> None:
        """(line number, where, message) of each error, added in the file's order whatever order they were
        found in."""
        for _, where, message in sorted(found, key=itemgetter(0)):
            self.add(where, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise FileRejected(self.errors)


def format_amount(amount_minor: int, amount_format: str) -> str:
    if amount_format == "fen":
        return str(amount_minor)
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


# No line of a bank file is worth more: a larger amount is a broken file, and PostgreSQL's bigint would
# refuse it anyway (100 million yuan).
MAX_LINE_AMOUNT_MINOR = 10_000_000_000


def checked_amount(amount_minor: int) -> int:
    if amount_minor > MAX_LINE_AMOUNT_MINOR:
        raise ValueError(f"amount {amount_minor} fen is over {MAX_LINE_AMOUNT_MINOR // 100} yuan")
    return amount_minor


def parse_amount(text: str, amount_format: str) -> int:
    """Minor units from a bank's amount text; ValueError with the reason."""
    if amount_format == "fen":
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"amount {text!r} is not a whole number of fen")
        return checked_amount(int(text))
    whole, dot, frac = text.partition(".")
    if not (whole.isascii() and whole.isdigit()) or (dot and not (
            frac.isascii() and frac.isdigit() and 1 <= len(frac) <= 2)):
        raise ValueError(f"amount {text!r} is not yuan with at most two decimals")
    return checked_amount(int(whole) * 100 + int(frac.ljust(2, "0") if frac else 0))


_AMOUNT = {"fen": re.compile(r"[0-9]+"), "yuan": re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")}


def parse_amounts(texts: list[str], amount_format: str) -> list[int] | None:
    """Minor units of every amount text, or None when one is not an amount (parse_amount says why)."""
    if not all(map(_AMOUNT[amount_format].fullmatch, texts)):  # [0-9], not \d: no digits of other scripts
        return None
    if amount_format == "fen":
        amounts = list(map(int, texts))
    else:
        amounts = [int(whole) * 100 + int(fraction.ljust(2, "0")) for whole, _, fraction in
                   (text.partition(".") for text in texts)]
    return None if amounts and max(amounts) > MAX_LINE_AMOUNT_MINOR else amounts
