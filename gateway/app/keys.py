"""Path parameters naming a record (customer, account, bill, payment, batch...): checked at the edge so
garbage never reaches a service (or its logs)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path


def key(alias: str) -> Any:
    return Path(alias=alias, min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_-]+$")


CustomerNo = Annotated[str, key("customerNo")]
ServiceNo = Annotated[str, key("serviceNo")]
CardNo = Annotated[str, key("cardNo")]
AccountNo = Annotated[str, key("accountNo")]
BillNo = Annotated[str, key("billNo")]
PaymentNo = Annotated[str, key("paymentNo")]
WorkOrderNo = Annotated[str, key("workOrderNo")]
