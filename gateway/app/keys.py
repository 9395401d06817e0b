"""The one rule for each kind of name a request carries, in a path, a query or a body: a record's number
(customer, account, bill, payment, batch, work order...), a station, a staff member's user name, a product
code, a currency. Checked at the edge so garbage never reaches a service (or its logs);
tests/unit/test_gateway_keys.py holds every route to them."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import Field

from services.common.inputrules import CODE_MAX, LABEL_MAX, STATION_CODE_PATTERN

KEY_RULE: dict[str, Any] = {"min_length": 1, "max_length": CODE_MAX, "pattern": r"^[0-9A-Za-z_-]+$"}
STATION_CODE = f"^{STATION_CODE_PATTERN}$"
# A staff member (a technician assigned, issued stock or listed): the user names the gateway signs in.
USERNAME_RULE: dict[str, Any] = {"min_length": 1, "max_length": LABEL_MAX, "pattern": r"^[0-9A-Za-z_.@-]+$"}
# A catalog product or discount code, and a legacy system's product code mapped to one.
PRODUCT_CODE_RULE: dict[str, Any] = {"min_length": 1, "max_length": CODE_MAX,
                                     "pattern": r"^[0-9A-Za-z][0-9A-Za-z_.-]*$"}
CURRENCY = r"^[A-Za-z]{3}$"  # ISO 4217, in either case: the services take it upper-cased


def key(alias: str) -> Any:
    return Path(alias=alias, **KEY_RULE)


def key_query(alias: str | None = None) -> Any:
    return Query(alias=alias, **KEY_RULE)


# A record's number in a request body.
RecordKey = Annotated[str, Field(**KEY_RULE)]
Username = Annotated[str, Field(**USERNAME_RULE)]
UsernamePath = Annotated[str, Path(**USERNAME_RULE)]
ProductCode = Annotated[str, Field(**PRODUCT_CODE_RULE)]
# A station in a body, and as the filter of a list.
StationCode = Annotated[str, Field(pattern=STATION_CODE)]
StationCodeQuery = Annotated[str | None, Query(alias="stationCode", pattern=STATION_CODE)]

CustomerNo = Annotated[str, key("customerNo")]
ServiceNo = Annotated[str, key("serviceNo")]
CardNo = Annotated[str, key("cardNo")]
AccountNo = Annotated[str, key("accountNo")]
BillNo = Annotated[str, key("billNo")]
PaymentNo = Annotated[str, key("paymentNo")]
WorkOrderNo = Annotated[str, key("workOrderNo")]
MandateNo = Annotated[str, key("mandateNo")]
BatchNo = Annotated[str, key("batchNo")]
FileNo = Annotated[str, key("fileNo")]
