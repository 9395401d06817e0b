"""The return file (回盘) in the bank's own layout: read and checked whole, or written by the simulator."""
from __future__ import annotations

from typing import BinaryIO, Iterable

from .layouts import BankLayout
from .model import (ErrorList, FileError, FileRejected, FileTotals, OfferBatch, ReturnFile, ReturnLine,
                    format_amount, parse_amount)
from .offer import file_values
from .records import RecordReader, RecordWriter, SpooledLines, file_records

__all__ = ["FileError", "FileRejected", "ReturnFile", "ReturnLine", "read_return", "write_return"]

# Totals a header or trailer may carry, and how each is computed from the lines.
_TOTALS = {
    "total_count": lambda f: (f.total_count, False),
    "total_amount": lambda f: (f.total_amount_minor, True),
    "ok_count": lambda f: (f.ok_count, False),
    "ok_amount": lambda f: (f.ok_amount_minor, True),
    "failed_count": lambda f: (f.total_count - f.ok_count, False),
    "failed_amount": lambda f: (f.total_amount_minor - f.ok_amount_minor, True),
}


def read_return(layout: BankLayout, data: bytes | BinaryIO) -> ReturnFile:
    """Every line of the bank's return file, or FileRejected listing each error with its line."""
    spec = layout.returns
    errors = ErrorList()
    detail = RecordReader(layout, spec.detail)
    header = spec.header and RecordReader(layout, spec.header)
    trailer = spec.trailer and RecordReader(layout, spec.trailer)
    amount_format, ok_codes = layout.amount_format, layout.ok_codes
    lines: list[ReturnLine] = []
    seen: dict[str, int] = {}
    totals: list[tuple[str, dict[str, str]]] = []
    ok_count = ok_amount = total_amount = 0
    first = True
    refused = 0
    for n, line, last in file_records(data, errors):
        if first and header:
            first = False
            values, problems = header.read(line)
            for p in problems:
                errors.add(f"line {n} (header)", p)
            totals.append((f"line {n} (header)", values))
            continue
        first = False
        if last and trailer and not (header and n == 1):
            values, problems = trailer.read(line)
            for p in problems:
                errors.add(f"line {n} (trailer)", p)
            totals.append((f"line {n} (trailer)", values))
            continue
        values, problems = detail.read(line)
        if not problems:
            reference, code = values["reference"], values["result_code"]
            try:
                amount = parse_amount(values["amount"], amount_format)
            except ValueError as e:
                problems.append(str(e))
            if not reference:
                problems.append("reference is empty")
            elif reference in seen:
                problems.append(f"reference {reference} is already on line {seen[reference]}")
            if not code:
                problems.append("result code is empty")
        if problems:
            refused += 1
            for p in problems:
                errors.add(f"line {n}", p)
            continue
        seen[reference] = n
        ok = code in ok_codes
        total_amount += amount
        if ok:
            ok_count += 1
            ok_amount += amount
        lines.append(ReturnLine(
            line_no=n, reference=reference, account_number=values["account_number"],
            amount_minor=amount, ok=ok, bank_code=code, reason=None if ok else layout.reason_for(code),
            message=values.get("result_message", ""), holder_name=values.get("holder_name", ""),
            user_number=values.get("user_number", "")))
    if not lines and not refused:
        errors.add("file", "no detail lines")
    result = ReturnFile(format="bankLayout", lines=lines, batch_no=None, total_count=len(lines),
                        total_amount_minor=total_amount, ok_count=ok_count, ok_amount_minor=ok_amount)
    if trailer and not any(where.endswith("(trailer)") for where, _ in totals):
        errors.add("file", "the trailer line is missing")
    _check_totals(layout, result, totals, errors, sums_known=refused == 0)
    errors.raise_if_any()
    return result


def _check_totals(layout: BankLayout, result: ReturnFile, totals: list[tuple[str, dict[str, str]]],
                  errors: ErrorList, sums_known: bool) -> None:
    for where, values in totals:
        batch_no = values.get("batch_no")
        if batch_no:
            if result.batch_no and batch_no != result.batch_no:
                errors.add(where, f"batch number {batch_no} differs from {result.batch_no}")
            result.batch_no = batch_no
        if not sums_known:
            continue  # lines were refused, so their sums say nothing
        for source, actual in _TOTALS.items():
            if source not in values:
                continue
            expected, is_amount = actual(result)
            text = values[source]
            if not is_amount and not (text.isascii() and text.isdigit()):
                errors.add(where, f"{source} {text!r} is not a number")
                continue
            try:
                stated = parse_amount(text, layout.amount_format) if is_amount else int(text)
            except ValueError as e:
                errors.add(where, f"{source}: {e}")
                continue
            if stated != expected:
                shown = (format_amount(stated, layout.amount_format),
                         format_amount(expected, layout.amount_format)) if is_amount else (stated, expected)
                errors.add(where, f"{source} is {shown[0]} but the detail lines add up to {shown[1]}")


def write_return(layout: BankLayout, batch: OfferBatch, lines: Iterable[ReturnLine],
                 out: BinaryIO) -> FileTotals:
    """The bank's return file for the given outcomes, as the bank would send it (tests, simulator).

    A successful line without a bank code gets the bank's success code."""
    detail = RecordWriter(layout, layout.returns.detail)
    header = layout.returns.header and RecordWriter(layout, layout.returns.header)
    trailer = layout.returns.trailer and RecordWriter(layout, layout.returns.trailer)
    ok_code = min(layout.ok_codes)
    collection_date = batch.collection_date.strftime(layout.date_format)
    spool = SpooledLines(layout)
    count = total = oks = ok_total = 0
    try:
        for r in lines:
            count += 1
            total += r.amount_minor
            if r.ok:
                oks += 1
                ok_total += r.amount_minor
            spool.add(detail.line({
                "seq": str(count), "reference": r.reference, "account_number": r.account_number,
                "holder_name": r.holder_name, "user_number": r.user_number,
                "amount": format_amount(r.amount_minor, layout.amount_format),
                "result_code": r.bank_code or (ok_code if r.ok else ""), "result_message": r.message,
                "collection_date": collection_date, "batch_no": batch.batch_no}))
        values = file_values(layout, batch, FileTotals(count, total))
        values.update(ok_count=str(oks), ok_amount=format_amount(ok_total, layout.amount_format),
                      failed_count=str(count - oks),
                      failed_amount=format_amount(total - ok_total, layout.amount_format))
        head = header.line(values) if header else None
        tail = trailer.line(values) if trailer else None
    except BaseException:
        spool.discard()
        raise
    spool.write_file(out, head, tail)
    return FileTotals(count, total)
