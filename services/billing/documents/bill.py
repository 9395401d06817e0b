"""A bill as a printable document: who owes, for which period, line by line, the total, when it is due and
how to pay. render.py lays it out as HTML or PDF."""
from __future__ import annotations

from datetime import date, timedelta

from .render import Document, yuan

KIND_LABELS = {"charge": "月租", "discount": "优惠", "one_time": "一次性费用", "adjustment": "调整"}
STATE_LABELS = {"issued": "待缴", "partially_paid": "部分已缴", "paid": "已缴清", "written_off": "已核销"}
HOW_TO_PAY = ("缴费方式：营业厅现金或刷卡缴费；已签约银行代扣的账户将在到期前自动扣款；"
              "也可在合作银行柜台代收缴费。请携带账单号或账户号。")


def bill_document(bill: dict, issuer: str) -> Document:
    """`bill` as store.bill answers it (with its lines)."""
    currency = bill["currency"]
    last_day = bill["period_end"] - timedelta(days=1) if isinstance(bill["period_end"], date) else bill["period_end"]
    facts = [("账单号", bill["bill_no"]), ("账户", f"{bill['account_no']}  {bill['account_name']}"),
             ("客户号", bill["customer_no"]), ("账期", f"{bill['period_start']} 至 {last_day}"),
             ("出账日期", str(bill["issued_on"])), ("缴费截止日", str(bill["due_on"])),
             ("状态", STATE_LABELS.get(bill["state"], bill["state"]))]
    if bill.get("hold_reason"):
        facts.append(("争议挂起", bill["hold_reason"]))
    rows = [[line["service_no"] or "", KIND_LABELS.get(line["kind"], line["kind"]), line["description"],
             str(line["days"]) if line["days"] else "", yuan(line["amount_minor"], currency)]
            for line in bill["lines"]]
    totals = [("本期应缴", yuan(bill["amount_minor"], currency)), ("尚欠金额", yuan(bill["open_minor"], currency))]
    return Document(title=f"有线电视缴费账单 {bill['bill_no']}", issuer=issuer, facts=facts,
                    columns=["业务号", "类别", "项目", "天数", "金额"], rows=rows, totals=totals,
                    notes=[f"请于 {bill['due_on']} 前缴清。", HOW_TO_PAY], numeric=frozenset({3, 4}))
