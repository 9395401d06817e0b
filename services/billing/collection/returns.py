"""The return file (回盘) in the bank's own layout: read and checked whole, or written by the simulator."""
from __future__ import annotations

from itertools import compress
from typing import BinaryIO, Iterable, Sequence

from .layouts import BankLayout, Record
from .model import (ErrorList, FileError, FileRejected, FileTotals, OfferBatch, ReturnFile, ReturnLine,
                    ReturnLines, format_amount, parse_amount, parse_amounts)
from .offer import file_values
from .records import RecordReader, RecordWriter, SpooledLines, file_lines

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


# Lines read and checked a chunk at a time: the columns of one chunk are all that is held beside the lines.
_CHUNK = 50_000


def read_return(layout: BankLayout, data: bytes | BinaryIO) -> ReturnFile:
    """Every line of the bank's return file, or FileRejected listing each error with its line."""
    spec = layout.returns
    file = file_lines(data)
    numbers, records = file.numbers, file.records
    # (line number, where, message): listed in the file's order, whatever order they were found in.
    found: list[tuple[int, str, str]] = [(n, f"line {n}", "empty line") for n in file.blanks]
    totals: list[tuple[str, dict[str, str]]] = []
    first, end = 0, len(records)
    if spec.header and first < end:
        totals.append(_read_total(layout, spec.header, "header", numbers[first], records[first], found))
        first += 1
    if spec.trailer and first < end:
        end -= 1
        totals.append(_read_total(layout, spec.trailer, "trailer", numbers[end], records[end], found))
    detail = RecordReader(layout, spec.detail)
    lines = ReturnLines()
    seen: dict[str, int] = {}
    refused = total_amount = ok_count = ok_amount = 0
    for start in range(first, end, _CHUNK):
        stop = min(start + _CHUNK, end)
        chunk = _read_chunk(layout, detail, records[start:stop], numbers[start:stop], seen, found)
        _, _, _, amounts, oks, *_ = chunk
        refused += stop - start - len(amounts)
        total_amount += sum(amounts)
        ok_count += sum(oks)
        ok_amount += sum(compress(amounts, oks))
        lines.extend(*chunk)
    errors = ErrorList()
    errors.add_by_line(found)
    if not lines and not refused:
        errors.add("file", "no detail lines")
    result = ReturnFile(format="bankLayout", lines=lines, batch_no=None, total_count=len(lines),
                        total_amount_minor=total_amount, ok_count=ok_count, ok_amount_minor=ok_amount)
    if spec.trailer and not any(where.endswith("(trailer)") for where, _ in totals):
        errors.add("file", "the trailer line is missing")
    _check_totals(layout, result, totals, errors, sums_known=refused == 0)
    errors.raise_if_any()
    return result


def _read_total(layout: BankLayout, record: Record, kind: str, n: int, line: bytes,
                found: list[tuple[int, str, str]]) -> tuple[str, dict[str, str]]:
    values, problems = RecordReader(layout, record).read(line)
    where = f"line {n} ({kind})"
    found.extend((n, where, p) for p in problems)
    return where, values


def _read_chunk(layout: BankLayout, detail: RecordReader, records: list[bytes], numbers: Sequence[int],
                seen: dict[str, int], found: list[tuple[int, str, str]]) -> tuple[Sequence, ...]:
    """The chunk's lines that have nothing wrong, a column each in ReturnLine's field order; what is wrong
    with the others goes to `found`. `seen` holds the line of every reference accepted so far."""
    columns, problems = detail.read_all(records)
    references, codes = columns["reference"], columns["result_code"]
    amounts = None if problems else parse_amounts(columns["amount"], layout.amount_format)
    if (amounts is None or "" in references or "" in codes or len(set(references)) < len(references)
            or not seen.keys().isdisjoint(references)):
        amounts = _checked_one_by_one(layout, columns, numbers, problems, seen)
    else:
        seen.update(zip(references, numbers))
    if problems:
        found.extend((numbers[i], f"line {numbers[i]}", p) for i in problems for p in problems[i])
        keep = [i for i in range(len(records)) if i not in problems]
        columns = {source: [values[i] for i in keep] for source, values in columns.items()}
        numbers, amounts = [numbers[i] for i in keep], [amounts[i] for i in keep]
    codes, ok_codes, reason_for = columns["result_code"], layout.ok_codes, layout.reason_for
    oks = [code in ok_codes for code in codes]
    return (numbers, columns["reference"], columns["account_number"], amounts, oks, codes,
            [None if ok else reason_for(code) for ok, code in zip(oks, codes)],
            columns.get("result_message"), columns.get("holder_name"), columns.get("user_number"))


def _checked_one_by_one(layout: BankLayout, columns: dict[str, list], numbers: Sequence[int],
                        problems: dict[int, list[str]], seen: dict[str, int]) -> list[int | None]:
    """Each line's amount, reference and result code checked on its own, when a check of the whole chunk
    found something wrong: every problem is named with its line. The amounts, None for a line refused."""
    amounts: list[int | None] = []
    for i, n in enumerate(numbers):
        if i in problems:  # a record that could not be read is not checked further
            amounts.append(None)
            continue
        wrong, amount = [], None
        reference, code = columns["reference"][i], columns["result_code"][i]
        try:
            amount = parse_amount(columns["amount"][i], layout.amount_format)
        except ValueError as e:
            wrong.append(str(e))
        if not reference:
            wrong.append("reference is empty")
        elif reference in seen:
            wrong.append(f"reference {reference} is already on line {seen[reference]}")
        if not code:
            wrong.append("result code is empty")
        if wrong:
            problems[i] = wrong
        else:
            seen[reference] = n
        amounts.append(None if wrong else amount)
    return amounts


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
