"""One printable document model, two renderings: HTML for the screen and the browser's print, PDF for
download and the counter's printer. Bills and receipts build a Document; nothing else lays out pages.

The PDF embeds the glyphs it uses from a Chinese TrueType font on the machine (WenQuanYi Micro Hei, which
the image installs), so it prints the same everywhere. Without one it falls back to the Adobe-GB1 CID font
STSong-Light, which the PDF reader then supplies. Either way every character is text (searchable,
copyable), not a picture."""
from __future__ import annotations

import html
import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
CID_FONT = "STSong-Light"


@dataclass(frozen=True)
class Document:
    title: str                                   # e.g. "账单 Bill B50000001"
    issuer: str                                  # the operator's name
    facts: list[tuple[str, str]]                 # label, value: who, which period, due date...
    columns: list[str]                           # the table's header
    rows: list[list[str]]                        # the table's lines, already formatted
    totals: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Which columns are amounts (right-aligned).
    numeric: frozenset[int] = frozenset()


def yuan(amount_minor: int, currency: str = "CNY") -> str:
    """Integer fen as the customer reads it: ¥1,234.50 (a credit as -¥3.00)."""
    sign = "-" if amount_minor < 0 else ""
    units, cents = divmod(abs(amount_minor), 100)
    symbol = "¥" if currency == "CNY" else f"{currency} "
    return f"{sign}{symbol}{units:,}.{cents:02d}"


def to_html(doc: Document) -> str:
    e = html.escape
    facts = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in doc.facts)
    head = "".join(f"<th>{e(c)}</th>" for c in doc.columns)

    def cell(i: int, v: str) -> str:
        return f'<td class="num">{e(v)}</td>' if i in doc.numeric else f"<td>{e(v)}</td>"
    rows = "".join("<tr>" + "".join(cell(i, v) for i, v in enumerate(r)) + "</tr>" for r in doc.rows)
    totals = "".join(f'<tr><th>{e(k)}</th><td class="num">{e(v)}</td></tr>' for k, v in doc.totals)
    notes = "".join(f"<p>{e(n)}</p>" for n in doc.notes)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(doc.title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; margin: 1em 0; }} th, td {{ border: 1px solid #999; padding: .3em .6em; }}
th {{ text-align: left; background: #f0f0f0; }} .num {{ text-align: right; }}
@media print {{ body {{ margin: 0; }} }}
</style></head>
<body><h1>{e(doc.title)}</h1><p>{e(doc.issuer)}</p>
<table class="facts">{facts}</table>
<table class="lines"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<table class="totals">{totals}</table>{notes}</body></html>
"""


@cache
def _font() -> str:
    for path in FONT_FILES:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont("BssChinese", path, subfontIndex=0))
            return "BssChinese"
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def to_pdf(doc: Document) -> bytes:
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    e = html.escape  # Paragraph reads a little markup

    def grid(data: list[list[str]], header: bool, numeric: frozenset[int] = frozenset()) -> Table:
        table = Table(data, hAlign="LEFT")
        style = [("FONT", (0, 0), (-1, -1), font, 10), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
        style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in numeric]
        table.setStyle(TableStyle(style))
        return table

    story = [Paragraph(e(doc.title), title), Paragraph(e(doc.issuer), body), Spacer(1, 4 * mm)]
    if doc.facts:
        story += [grid([[k, v] for k, v in doc.facts], header=False), Spacer(1, 4 * mm)]
    story += [grid([doc.columns] + doc.rows, header=True, numeric=doc.numeric), Spacer(1, 4 * mm)]
    if doc.totals:
        story += [grid([[k, v] for k, v in doc.totals], header=False, numeric=frozenset({1}))]
    story += [Paragraph(e(n), body) for n in doc.notes]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=doc.title, author=doc.issuer,
                      leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm).build(story)
    return out.getvalue()
