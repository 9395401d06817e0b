"""The catalog on the wire: products with dated prices, discounts, the legacy product code map."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from bss.billing.v1 import billing_pb2 as pb
from bss.billing.v1 import catalog_pb2 as cpb

from ..auth import User
from ..keys import CURRENCY, ProductCode
from .base import ApiModel, InputModel, Money, Page, opt
from .billing import money
from .bill_runs import actor

DATE = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", examples=["2026-12-01"])


class PricePublic(ApiModel):
    valid_from: str
    amount: Money
    created_by: str


class ProductPublic(ApiModel):
    code: str
    name: str
    category: str
    charge: str
    prices: list[PricePublic]

    @classmethod
    def from_proto(cls, p: cpb.Product) -> "ProductPublic":
        return cls(code=p.code, name=p.name, category=p.category, charge=p.charge,
                   prices=[PricePublic(valid_from=x.valid_from, amount=money(x.amount), created_by=x.created_by)
                           for x in p.prices])


class ProductsPublic(Page[ProductPublic]):
    @classmethod
    def from_proto(cls, reply: cpb.ListProductsResponse) -> "ProductsPublic":
        return cls(data=[ProductPublic.from_proto(p) for p in reply.products], count=len(reply.products))


class MoneyIn(InputModel):
    amount_minor: int = Field(ge=0, le=10**12)
    currency: str = Field("CNY", pattern=CURRENCY)


class PriceCreate(InputModel):
    valid_from: str = DATE
    amount: MoneyIn

    def to_proto(self, product_code: str, user: User) -> cpb.AddPriceRequest:
        return cpb.AddPriceRequest(product_code=product_code, valid_from=self.valid_from, actor=actor(user),
                                   amount=pb.Money(amount_minor=self.amount.amount_minor,
                                                   currency=self.amount.currency.upper()))


class LegacyMappingIn(InputModel):
    system: Literal["cms", "sms", "bss"]
    legacy_code: ProductCode
    product_code: ProductCode


class LegacyMappingPublic(ApiModel):
    system: str
    legacy_code: str
    product_code: str
    updated_by: str
    updated_at: str


class LegacyMappingsPublic(Page[LegacyMappingPublic]):
    @classmethod
    def from_proto(cls, reply: cpb.LegacyMappings) -> "LegacyMappingsPublic":
        return cls(data=[LegacyMappingPublic(system=m.system, legacy_code=m.legacy_code, product_code=m.product_code,
                                             updated_by=m.updated_by, updated_at=m.updated_at) for m in reply.mappings],
                   count=len(reply.mappings))


class LegacyMappingsUpdate(InputModel):
    """The codes given are mapped to their products; codes not given stay as they are."""
    data: list[LegacyMappingIn] = Field(min_length=1, max_length=1000)

    def to_proto(self, user: User) -> cpb.SetLegacyMappingsRequest:
        return cpb.SetLegacyMappingsRequest(actor=actor(user), mappings=[
            cpb.LegacyMapping(system=m.system, legacy_code=m.legacy_code, product_code=m.product_code)
            for m in self.data])


class DiscountCreate(InputModel):
    code: ProductCode
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["percent", "fixed"]
    value: int = Field(gt=0, le=10**9, description="Percent off (1-100), or fen off a whole month")
    eligibility: Literal["all", "vip", "household", "promotion"] = "all"
    promotion_code: str | None = Field(None, min_length=1, max_length=40)
    products: list[str] = Field(default_factory=list, max_length=100, description="None: every monthly product")
    valid_from: str = DATE
    valid_to: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="Inclusive")

    def to_proto(self, user: User) -> cpb.CreateDiscountRequest:
        return cpb.CreateDiscountRequest(actor=actor(user), discount=cpb.Discount(
            code=self.code, name=self.name, kind=self.kind, value=self.value, eligibility=self.eligibility,
            promotion_code=self.promotion_code or "", products=self.products, valid_from=self.valid_from,
            valid_to=self.valid_to or ""))


class DiscountPublic(ApiModel):
    code: str
    name: str
    kind: str
    value: int
    eligibility: str
    promotion_code: str | None
    products: list[str]
    valid_from: str
    valid_to: str | None
    updated_by: str

    @classmethod
    def from_proto(cls, d: cpb.Discount) -> "DiscountPublic":
        return cls(code=d.code, name=d.name, kind=d.kind, value=d.value, eligibility=d.eligibility,
                   promotion_code=opt(d.promotion_code), products=list(d.products), valid_from=d.valid_from,
                   valid_to=opt(d.valid_to), updated_by=d.updated_by)


class DiscountsPublic(Page[DiscountPublic]):
    @classmethod
    def from_proto(cls, reply: cpb.ListDiscountsResponse) -> "DiscountsPublic":
        return cls(data=[DiscountPublic.from_proto(d) for d in reply.discounts], count=len(reply.discounts))


class AccountPromotionsUpdate(InputModel):
    """Every promotion code the account holds (replaces the set; [] takes them all away)."""
    promotion_codes: list[str] = Field(max_length=20)


class AccountPromotionsPublic(ApiModel):
    account_no: str
    promotion_codes: list[str]

    @classmethod
    def from_proto(cls, m: cpb.AccountPromotions) -> "AccountPromotionsPublic":
        return cls(account_no=m.account_no, promotion_codes=list(m.promotion_codes))
