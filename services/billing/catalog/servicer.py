"""gRPC entry point of the catalog: messages to handler calls and back."""
from __future__ import annotations

from bss.billing.v1 import catalog_pb2 as cpb
from bss.billing.v1 import catalog_pb2_grpc as cpb_grpc

from ..messages import money, text
from ..handlers import Actor
from .handlers import CatalogHandlers, NewDiscount

SERVICE_NAME = cpb.DESCRIPTOR.services_by_name["CatalogService"].full_name


def _actor(msg) -> Actor:
    return Actor(msg.username or "unknown", msg.role)


def product_pb(p: dict) -> cpb.Product:
    return cpb.Product(code=p["code"], name=p["name"], category=p["category"], charge=p["charge"],
                       prices=[cpb.Price(valid_from=text(x["valid_from"]), amount=money(x["amount_minor"], x["currency"]),
                                         created_by=x["created_by"]) for x in p["prices"]])


def mappings_pb(rows: list[dict]) -> cpb.LegacyMappings:
    return cpb.LegacyMappings(mappings=[cpb.LegacyMapping(
        system=m["system"], legacy_code=m["legacy_code"], product_code=m["product_code"], updated_by=m["updated_by"],
        updated_at=text(m["updated_at"])) for m in rows])


def discount_pb(d: dict) -> cpb.Discount:
    return cpb.Discount(code=d["code"], name=d["name"], kind=d["kind"], value=d["value"], eligibility=d["eligibility"],
                        promotion_code=d["promotion_code"] or "", products=d["products"],
                        valid_from=text(d["valid_from"]), valid_to=text(d["valid_to"]), updated_by=d["updated_by"])


class CatalogServicer(cpb_grpc.CatalogServiceServicer):
    def __init__(self, handlers: CatalogHandlers):
        self.h = handlers

    def ListProducts(self, request, context):
        return cpb.ListProductsResponse(products=[product_pb(p) for p in self.h.products()])

    def AddPrice(self, request, context):
        return product_pb(self.h.add_price(request.product_code, request.valid_from, request.amount.amount_minor,
                                           request.amount.currency, _actor(request.actor)))

    def ListLegacyMappings(self, request, context):
        return mappings_pb(self.h.legacy_mappings())

    def SetLegacyMappings(self, request, context):
        return mappings_pb(self.h.set_legacy_mappings(
            [(m.system, m.legacy_code, m.product_code) for m in request.mappings], _actor(request.actor)))

    def ListDiscounts(self, request, context):
        return cpb.ListDiscountsResponse(discounts=[discount_pb(d) for d in self.h.discounts()])

    def CreateDiscount(self, request, context):
        d = request.discount
        return discount_pb(self.h.create_discount(NewDiscount(
            code=d.code, name=d.name, kind=d.kind, value=d.value, eligibility=d.eligibility, valid_from=d.valid_from,
            valid_to=d.valid_to, promotion_code=d.promotion_code, products=tuple(d.products)), _actor(request.actor)))

    def SetAccountPromotions(self, request, context):
        codes = self.h.set_account_promotions(request.account_no, list(request.promotion_codes),
                                              _actor(request.actor))
        return cpb.AccountPromotions(account_no=request.account_no.strip().upper(), promotion_codes=codes)


def register(server, settings, db) -> list[str]:
    cpb_grpc.add_CatalogServiceServicer_to_server(CatalogServicer(CatalogHandlers(db, settings)), server)
    return [SERVICE_NAME]
