"""One record of a bank file to text and back, for fixed-width and delimited layouts alike."""
from __future__ import annotations

import io
import shutil
import tempfile
from typing import BinaryIO, Iterator, Mapping

from .layouts import BankLayout, Field, Record
from .model import ErrorList

# Sources whose text the layout itself provides, never the caller.
_CONSTANT = ("literal", "filler")


def _truncate(text: str, width: int, encoding: str) -> str:
    """The longest prefix of text that fits width bytes: a character is never split in two."""
    text = text[:width]
    while len(text.encode(encoding)) > width:
        text = text[:-1]
    return text


class RecordWriter:
    def __init__(self, layout: BankLayout, record: Record):
        self.encoding = layout.encoding
        self.fixed = layout.kind == "fixed"
        self.delimiter = layout.delimiter
        self.tail = layout.delimiter if layout.trailing_delimiter else ""
        # Constant fields are laid out once; a field that carries a value keeps its spec.
        self.plan: list[tuple[str | None, Field | str]] = []
        for f in record.fields:
            if f.source in _CONSTANT:
                self.plan.append((None, self._text(f, f.value)))
            else:
                self.plan.append((f.source, f))

    def _text(self, f: Field, text: str) -> str:
        if "\n" in text or "\r" in text:
            raise ValueError(f"{f.name} contains a line break")
        if text.isascii():
            size = len(text)
        else:
            try:
                size = len(text.encode(self.encoding))
            except UnicodeEncodeError as e:
                raise ValueError(f"{f.name} {text!r} has {text[e.start:e.end]!r}, which "
                                 f"{self.encoding} cannot write") from None
        if not self.fixed:
            if self.delimiter in text:
                raise ValueError(f"{f.name} {text!r} contains the delimiter {self.delimiter!r}")
            return text
        if size > f.width:
            if not f.truncate:
                raise ValueError(f"{f.name} {text!r} is {size} bytes, the field has {f.width}")
            text = _truncate(text, f.width, self.encoding)
            size = len(text.encode(self.encoding))
        fill = f.pad * (f.width - size)
        return fill + text if f.align == "right" else text + fill

    def line(self, values: Mapping[str, str]) -> str:
        """The record as text without its line ending; ValueError naming the field that cannot fit."""
        parts = []
        fixed, delimiter = self.fixed, self.delimiter
        for source, f in self.plan:
            if source is None:
                parts.append(f)
                continue
            text = values[source]
            # Fast path for the common case (printable ASCII: no line break, one byte a character).
            if text.isascii() and text.isprintable():
                if fixed:
                    if len(text) <= f.width:
                        parts.append(text.rjust(f.width, f.pad) if f.align == "right"
                                     else text.ljust(f.width, f.pad))
                        continue
                elif delimiter not in text:
                    parts.append(text)
                    continue
            parts.append(self._text(f, text))
        return "".join(parts) if fixed else delimiter.join(parts) + self.tail


class RecordReader:
    def __init__(self, layout: BankLayout, record: Record):
        self.encoding = layout.encoding
        self.fixed = layout.kind == "fixed"
        self.delimiter = layout.delimiter
        self.trailing = layout.trailing_delimiter
        self.count = len(record.fields)
        self.width = record.width
        # (field, start, end, index) of every field but fillers; offsets count bytes.
        self.plan: list[tuple[Field, int, int, int]] = []
        start = 0
        for i, f in enumerate(record.fields):
            if f.source != "filler":
                self.plan.append((f, start, start + (f.width or 0), i))
            start += f.width or 0

    def _piece(self, f: Field, text: str, errors: list[str]) -> str:
        text = text.strip(" ")
        if f.pad != " ":
            text = text.lstrip(f.pad) if f.align == "right" else text.rstrip(f.pad)
            if not text and f.pad == "0":
                text = "0"
        if f.source == "literal" and text != f.value:
            errors.append(f"{f.name} is {text!r}, expected {f.value!r}")
        return text

    def read(self, line: bytes) -> tuple[dict[str, str], list[str]]:
        """The record's values by source, and what is wrong with it (empty when nothing is)."""
        errors: list[str] = []
        values: dict[str, str] = {}
        if self.fixed:
            if len(line) > self.width:
                return values, [f"{len(line)} bytes, the record has {self.width}"]
            # Editors and mail gateways strip trailing blanks; the padding they took was spaces.
            # Latin-1 maps each byte to one character, so byte offsets slice the text; only a
            # piece with non-ASCII bytes is then decoded in the file's encoding.
            text = line.decode("latin-1").ljust(self.width)
            for f, a, b, _ in self.plan:
                piece = text[a:b]
                if not piece.isascii():
                    try:
                        piece = piece.encode("latin-1").decode(self.encoding)
                    except UnicodeDecodeError:
                        errors.append(f"{f.name} is not valid {self.encoding}")
                        continue
                if f.pad == " " and f.source != "literal":
                    values[f.source] = piece.strip(" ")  # most fields: no call for the rare cases
                else:
                    values[f.source] = self._piece(f, piece, errors)
        else:
            # Decoded before splitting: a GBK character's second byte can be the delimiter's byte.
            try:
                pieces = line.decode(self.encoding).split(self.delimiter)
            except UnicodeDecodeError as e:
                return values, [f"byte {e.start + 1} is not valid {self.encoding}"]
            # Banks are inconsistent about a delimiter after the last field; both are accepted.
            if not pieces[-1].strip() and (self.trailing or len(pieces) == self.count + 1):
                pieces.pop()
            if len(pieces) != self.count:
                return values, [f"{len(pieces)} fields, the record has {self.count}"]
            for f, _, _, i in self.plan:
                values[f.source] = self._piece(f, pieces[i], errors)
        values.pop("literal", None)
        return values, errors


class SpooledLines:
    """Detail lines held aside (in memory, then on disk) until the totals for the header are known,
    so nothing reaches the output when a line fails half-way through a million."""

    CHUNK = 4096

    def __init__(self, layout: BankLayout):
        self.encoding = layout.encoding
        self.eol = layout.line_ending.decode("ascii")
        self.spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)
        self.buffer: list[str] = []

    def add(self, line: str) -> None:
        self.buffer.append(line)
        if len(self.buffer) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self.spool.write((self.eol.join(self.buffer) + self.eol).encode(self.encoding))
            self.buffer.clear()

    def write_file(self, out: BinaryIO, header: str | None, trailer: str | None) -> None:
        self._flush()
        if header is not None:
            out.write((header + self.eol).encode(self.encoding))
        self.spool.seek(0)
        shutil.copyfileobj(self.spool, out, 1 << 20)
        if trailer is not None:
            out.write((trailer + self.eol).encode(self.encoding))
        self.spool.close()

    def discard(self) -> None:
        self.spool.close()


_BOM = b"\xef\xbb\xbf"

def _lines(data: bytes | BinaryIO) -> Iterator[tuple[int, bytes]]:
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    for n, raw in enumerate(stream, 1):
        if n == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        yield n, raw.rstrip(b"\r\n")


def file_records(data: bytes | BinaryIO, errors: ErrorList) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line, is last) of every non-blank line; a blank line inside the file is an error,
    blank lines at its end are not (a final newline, or two)."""
    blanks: list[int] = []
    previous = None
    for n, line in _lines(data):
        if not line.strip():
            blanks.append(n)
            continue
        for b in blanks:
            errors.add(f"line {b}", "empty line")
        blanks.clear()
        if previous is not None:
            yield previous[0], previous[1], False
        previous = (n, line)
    if previous is not None:
        yield previous[0], previous[1], True
