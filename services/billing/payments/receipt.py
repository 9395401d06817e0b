"""A counter payment's printable receipt (收款收据): one Document, as HTML or PDF."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..documents.render import Document, to_html, to_pdf, yuan

FORMATS = ("html", "pdf")
# Until billing has a setting naming the operator, its receipts are headed by the business hall.
ISSUER = "有线电视营业厅"
METHOD_NAMES = {"cash": "现金 Cash", "card": "银行卡 Card", "bank_debit": "银行代扣 Bank debit",
                "agency": "代收 Agency"}


def document(p: dict, timezone: str) -> Document:
    received = p["received_at"].astimezone(ZoneInfo(timezone)) if isinstance(p["received_at"], datetime) \
        else p["received_at"]
    facts = [("收据号 Receipt No.", p["payment_no"]), ("客户号 Customer", p["customer_no"]),
             ("账户 Account", f"{p['account_no']} {p['account_name']}"),
             ("收款时间 Received", f"{received:%Y-%m-%d %H:%M}"),
             ("收款员 Clerk", p["received_by"])]
    if p["counter"]:
        facts.append(("柜台 Counter", p["counter"]))
    if p["reference"]:
        facts.append(("参考号 Reference", p["reference"]))
    totals = [("实收金额 Amount received", yuan(p["amount_minor"], p["currency"]))]
    if p["refunded_minor"]:
        totals.append(("已退款 Refunded", yuan(p["refunded_minor"], p["currency"])))
    if p["balance_after_minor"] is not None:
        balance = p["balance_after_minor"]
        label = "缴费后欠费 Balance owed" if balance > 0 else "缴费后余额 Credit after payment"
        totals.append((label, yuan(abs(balance), p["currency"])))
    return Document(
        title=f"收款收据 Receipt {p['payment_no']}", issuer=ISSUER, facts=facts,
        columns=["项目 Item", "方式 Method", "金额 Amount"],
        rows=[["缴费 Payment", METHOD_NAMES.get(p["method"], p["method"]), yuan(p["amount_minor"], p["currency"])]],
        totals=totals, numeric=frozenset({2}),
        notes=["请妥善保管本收据。Please keep this receipt."])


def render(p: dict, fmt: str, timezone: str) -> tuple[bytes, str, str]:
    doc = document(p, timezone)
    if fmt == "pdf":
        return to_pdf(doc), "application/pdf", f"receipt-{p['payment_no']}.pdf"
    return to_html(doc).encode(), "text/html; charset=utf-8", f"receipt-{p['payment_no']}.html"
