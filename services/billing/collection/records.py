"""One record of a bank file to text and back, for fixed-width and delimited layouts alike."""
from __future__ import annotations

import shutil
import tempfile
from typing import BinaryIO, Mapping

from .layouts import BankLayout, Field, Record

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
        self.fields = record.fields

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
        for f in self.fields:
            if f.source == "literal":
                text = f.value
            elif f.source == "filler":
                text = ""
            else:
                text = values[f.source]
            parts.append(self._text(f, text))
        return self.delimiter.join(parts) + self.tail if not self.fixed else "".join(parts)


class RecordReader:
    def __init__(self, layout: BankLayout, record: Record):
        self.encoding = layout.encoding
        self.fixed = layout.kind == "fixed"
        self.delimiter = layout.delimiter.encode(layout.encoding) if layout.delimiter else b""
        self.fields = record.fields
        self.width = record.width
        self.slices = []
        start = 0
        for f in record.fields:
            self.slices.append((f, start, start + (f.width or 0)))
            start += f.width or 0

    def _clean(self, f: Field, raw: bytes, errors: list[str]) -> str | None:
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError:
            errors.append(f"{f.name} is not valid {self.encoding}")
            return None
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
            line = line.ljust(self.width)
            pieces = [line[a:b] for _, a, b in self.slices]
        else:
            pieces = line.split(self.delimiter)
            # Banks are inconsistent about a delimiter after the last field; both are accepted.
            if len(pieces) == len(self.fields) + 1 and not pieces[-1].strip():
                pieces.pop()
            if len(pieces) != len(self.fields):
                return values, [f"{len(pieces)} fields, the record has {len(self.fields)}"]
        for f, raw in zip(self.fields, pieces):
            if f.source == "filler":
                continue
            text = self._clean(f, raw, errors)
            if text is not None and f.source != "literal":
                values[f.source] = text
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
