"""The catalog: products and their prices by date, discounts, and the legacy product code map (admin);
the promotions an account takes part in (the front line)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from bss.billing.v1 import catalog_pb2 as cpb

from ..deps import CatalogAdmin, CatalogClient, CatalogReader, PromotionGranter
from ..fields import created, page
from ..keys import PRODUCT_CODE_RULE, AccountNo
from ..schemas.bill_runs import actor
from ..schemas.catalog import (AccountPromotionsPublic, AccountPromotionsUpdate, DiscountCreate, DiscountPublic,
                               DiscountsPublic, LegacyMappingsPublic, LegacyMappingsUpdate, PriceCreate, ProductPublic,
                               ProductsPublic)

router = APIRouter(tags=["catalog"])
ProductCode = Annotated[str, Path(alias="code", **PRODUCT_CODE_RULE)]


@router.get("/products", response_model=ProductsPublic)
async def list_products(user: CatalogReader, client: CatalogClient) -> JSONResponse:
    """Every product with its prices, oldest first (each valid from its date until the next one's)."""
    return page(ProductsPublic.from_proto(await client.ListProducts(cpb.ListProductsRequest())))


@router.post("/products/{code}/prices", response_model=ProductPublic, status_code=201)
async def add_price(code: ProductCode, body: PriceCreate, user: CatalogAdmin, client: CatalogClient) -> JSONResponse:
    """A new price from a date on (today or later): the days before it keep their price."""
    return created(ProductPublic.from_proto(await client.AddPrice(body.to_proto(code, user))))


@router.get("/legacyProductMappings", response_model=LegacyMappingsPublic)
async def list_legacy_mappings(user: CatalogReader, client: CatalogClient) -> JSONResponse:
    return page(LegacyMappingsPublic.from_proto(await client.ListLegacyMappings(cpb.ListLegacyMappingsRequest())))


@router.put("/legacyProductMappings", response_model=LegacyMappingsPublic)
async def set_legacy_mappings(body: LegacyMappingsUpdate, user: CatalogAdmin, client: CatalogClient) -> JSONResponse:
    """Map the given legacy codes to products (audited); answers the whole map."""
    return page(LegacyMappingsPublic.from_proto(await client.SetLegacyMappings(body.to_proto(user))))


@router.get("/discounts", response_model=DiscountsPublic)
async def list_discounts(user: CatalogReader, client: CatalogClient) -> JSONResponse:
    return page(DiscountsPublic.from_proto(await client.ListDiscounts(cpb.ListDiscountsRequest())))


@router.post("/discounts", response_model=DiscountPublic, status_code=201)
async def create_discount(body: DiscountCreate, user: CatalogAdmin, client: CatalogClient) -> JSONResponse:
    return created(DiscountPublic.from_proto(await client.CreateDiscount(body.to_proto(user))),
                   f"/api/v1/discounts/{body.code}")


@router.put("/accounts/{accountNo}/promotions", response_model=AccountPromotionsPublic)
async def set_account_promotions(account_no: AccountNo, body: AccountPromotionsUpdate, user: PromotionGranter,
                                 client: CatalogClient) -> AccountPromotionsPublic:
    """The promotions an account takes part in (each the code of a promotion discount), from its next bill."""
    reply = await client.SetAccountPromotions(cpb.SetAccountPromotionsRequest(
        account_no=account_no, promotion_codes=body.promotion_codes, actor=actor(user)))
    return AccountPromotionsPublic.from_proto(reply)
