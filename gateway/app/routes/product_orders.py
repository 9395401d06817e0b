"""Product orders (TMF622 productOrder): a clerk or agent orders an install, relocation, digital
conversion, equipment swap or disconnect; dispatch turns it into a work order."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bss.customer.v1 import orders_pb2 as pb

from ..deps import Limit, Offset, OrderClient, OrderReader, OrderWriter
from ..fields import created, page, selected
from ..idempotency import Idempotent
from ..keys import key, key_query
from ..schemas.product_orders import ProductOrderCreate, ProductOrderPublic, ProductOrdersPublic

router = APIRouter(prefix="/productOrders", tags=["productOrders"])
OrderNo = Annotated[str, key("id")]


@router.post("", status_code=201, response_model=ProductOrderPublic)
async def place_order(body: ProductOrderCreate, user: OrderWriter, client: OrderClient, request: Request,
                      once: Idempotent) -> JSONResponse:
    """Order a service. `Idempotency-Key` is required: the same key again answers the first order, and the
    customer service places a key once even when two gateways race (it is the order's request id). The
    ordered service is pending until its work order completes; a second open order on a service is 409."""
    request_key = once.required("an order creates a service and a work order")

    async def place() -> JSONResponse:
        reply = await client.PlaceOrder(body.to_proto(user, f"{user.username}:{request_key}"))
        return created(ProductOrderPublic.from_proto(reply), request.app.url_path_for("get_order", id=reply.order_no))
    return await once(place)


@router.get("", response_model=ProductOrdersPublic)
async def list_orders(user: OrderReader, client: OrderClient,
                      customer_no: Annotated[str, key_query("customerNo")],
                      offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """A customer's orders, newest first."""
    reply = await client.ListOrders(pb.ListOrdersRequest(customer_no=customer_no, offset=offset, limit=limit))
    return page(ProductOrdersPublic.from_proto(reply))


@router.get("/{id}", response_model=ProductOrderPublic)
async def get_order(order_no: OrderNo, user: OrderReader, client: OrderClient) -> JSONResponse:
    return selected(ProductOrderPublic.from_proto(await client.GetOrder(pb.GetOrderRequest(order_no=order_no))))
