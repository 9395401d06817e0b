"""The offer file (报盘) a bank debits from, in the bank's own layout, written as a stream (and read as
the bank reads it, for the bank simulator)."""
from __future__ import annotations

import re
from typing import BinaryIO, Iterable

from .accounts import InvalidAccountNumber, validate_account_number
from .layouts import BankLayout
from .model import DebitLine, ErrorList, FileTotals, OfferBatch, OfferLineError, format_amount, parse_amount
from .records import RecordReader, RecordWriter, SpooledLines, file_lines

__all__ = ["DebitLine", "FileTotals", "OfferBatch", "OfferLineError", "write_offer", "read_offer", "check_reference"]

# The reference comes back in every result format (bank layout, pain.002, camt.054: Max35Text), so it
# keeps to what each of them carries unchanged.
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,34}")


def check_reference(reference: str) -> None:
    if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference):
        raise ValueError("reference must be 1-35 ASCII letters, digits, '-' or '_'")


def file_values(layout: BankLayout, batch: OfferBatch, totals: FileTotals) -> dict[str, str]:
    return {"creditor_id": layout.creditor_id, "creditor_name": batch.creditor_name,
            "batch_no": batch.batch_no, "bank_code": layout.code,
            "created_on": batch.created_on.strftime(layout.date_format),
            "collection_date": batch.collection_date.strftime(layout.date_format),
            "total_count": str(totals.count),
            "total_amount": format_amount(totals.amount_minor, layout.amount_format)}


def write_offer(layout: BankLayout, batch: OfferBatch, debits: Iterable[DebitLine],
                out: BinaryIO) -> FileTotals:
    """Writes the bank's offer file for the debits to out and returns its totals.

    Raises OfferLineError naming the debit that cannot be written (bad account number, a name the
    encoding cannot hold, a field too wide); out then has received nothing."""
    detail = RecordWriter(layout, layout.offer.detail)
    header = layout.offer.header and RecordWriter(layout, layout.offer.header)
    trailer = layout.offer.trailer and RecordWriter(layout, layout.offer.trailer)
    collection_date = batch.collection_date.strftime(layout.date_format)
    amount_format = layout.amount_format
    lines = SpooledLines(layout)
    count = total = 0
    try:
        for d in debits:
            try:
                check_reference(d.reference)
                if type(d.amount_minor) is not int or d.amount_minor <= 0:
                    raise ValueError(f"amount_minor must be a positive integer, not {d.amount_minor!r}")
                if not d.holder_name or not d.holder_name.strip():
                    raise ValueError("holder_name is empty")
                account = validate_account_number(layout, d.account_number)
                count += 1
                lines.add(detail.line({
                    "seq": str(count), "reference": d.reference, "account_number": account,
                    "holder_name": d.holder_name.strip(), "user_number": d.user_number or "",
                    "amount": format_amount(d.amount_minor, amount_format),
                    "collection_date": collection_date, "batch_no": batch.batch_no}))
            except (ValueError, InvalidAccountNumber) as e:
                raise OfferLineError(getattr(d, "reference", "?"), str(e)) from None
            total += d.amount_minor
        if not count:
            raise ValueError("an offer file needs at least one debit")
        totals = FileTotals(count, total)
        values = file_values(layout, batch, totals)
        try:
            head = header.line(values) if header else None
            tail = trailer.line(values) if trailer else None
        except ValueError as e:
            raise ValueError(f"batch {batch.batch_no}: {e}") from None
    except BaseException:
        lines.discard()
        raise
    lines.write_file(out, head, tail)
    return totals


def read_offer(layout: BankLayout, data: bytes | BinaryIO) -> list[DebitLine]:
    """The debits of an offer file as the bank reads it (the bank simulator of the demo and the tests);
    FileRejected listing each line it cannot read."""
    file = file_lines(data)
    first = 1 if layout.offer.header else 0
    end = len(file.records) - (1 if layout.offer.trailer and len(file.records) > first else 0)
    numbers = file.numbers[first:end]
    columns, problems = RecordReader(layout, layout.offer.detail).read_all(file.records[first:end])
    debits: list[DebitLine] = []
    for i in range(len(numbers)):
        if i in problems:
            continue
        try:
            debits.append(DebitLine(columns["reference"][i], columns["account_number"][i],
                                    columns["holder_name"][i],
                                    parse_amount(columns["amount"][i], layout.amount_format),
                                    columns["user_number"][i] if "user_number" in columns else ""))
        except ValueError as e:
            problems[i] = [str(e)]
    found = [(n, f"line {n}", "empty line") for n in file.blanks]
    found += [(numbers[i], f"line {numbers[i]}", p) for i in problems for p in problems[i]]
    errors = ErrorList()
    errors.add_by_line(found)
    errors.raise_if_any()
    return debits
