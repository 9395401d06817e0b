"""Which reader a bank's result file needs: ISO 20022 by its namespace, else the bank's own layout."""
from __future__ import annotations

import io

from lxml import etree

from .iso20022 import CAMT054, NAMESPACES, PAIN002, read_camt054, read_pain002
from .layouts import BankLayout
from .model import FileError, FileRejected, ReturnFile
from .returns import read_return

_READERS = {NAMESPACES[PAIN002]: read_pain002, NAMESPACES[CAMT054]: read_camt054}


def _root_namespace(data: bytes) -> str:
    parser = etree.iterparse(io.BytesIO(data), events=("start",), resolve_entities=False,
                             no_network=True, load_dtd=False, huge_tree=True)
    try:
        for _, root in parser:
            return etree.QName(root).namespace or ""
    except etree.XMLSyntaxError as e:
        raise FileRejected([FileError(f"line {e.lineno}", f"not well-formed XML: {e.msg}")]) from None
    raise FileRejected([FileError("document", "no root element")])


def read_result_file(data: bytes, layout: BankLayout) -> ReturnFile:
    """The bank's result file read by its format: pain.002.001.10 or camt.054.001.08 when it is XML,
    otherwise the bank's own return layout. FileRejected for anything else, or a malformed file."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        ns = _root_namespace(data)
        reader = _READERS.get(ns)
        if reader is None:
            accepted = ", ".join(sorted(NAMESPACES[n] for n in (PAIN002, CAMT054)))
            raise FileRejected([FileError(
                "root element", f"unknown XML document (namespace {ns or 'none'!r}); accepted: {accepted}")])
        return reader(data)
    return read_return(layout, data)
