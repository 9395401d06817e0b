"""The catalog's use cases: read products and prices, add a price from a date, edit the legacy code map,
read and create discounts. Every change is audited in its own transaction."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.common.audit import audit, audit_many
from services.common.db import Database
from services.common.errors import AlreadyExists, InvalidArgument, NotFound
from services.common.inputrules import prose

from .. import store as ledger
from ..domain import rating
from ..handlers import Actor
from ..settings import BillingSettings
from . import store

SYSTEMS = ("cms", "sms", "bss")
CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,39}$")
MAX_MAPPINGS = 1000
MAX_PROMOTIONS = 20
DISCOUNT_NAME_MAX = 100  # printed on every bill line it reduces


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidArgument(f"{what} {value!r} is not a date like 2026-11-01", reason="invalid-date") from None


def check_code(value: str, what: str) -> str:
    if not CODE.match(value):
        raise InvalidArgument(f"{what} {value!r} is not a code of letters, digits, '_', '.' or '-'",
                              reason="invalid-code")
    return value


@dataclass(frozen=True)
class NewDiscount:
    code: str
    name: str
    kind: str
    value: int
    eligibility: str
    valid_from: str
    valid_to: str = ""
    promotion_code: str = ""
    products: tuple[str, ...] = ()

    def checked(self) -> dict:
        """The row to write, or InvalidArgument naming what is wrong (the rating's own check, and a name)."""
        name = prose("name", self.name, DISCOUNT_NAME_MAX).strip()
        if not name:
            raise InvalidArgument(f"discount {self.code}: a discount needs a name of at most {DISCOUNT_NAME_MAX} "
                                  "characters", reason="invalid-discount")
        discount = rating.Discount(
            code=check_code(self.code, "discount code"), name=name, kind=self.kind, value=self.value,
            valid_from=parse_date(self.valid_from, "validFrom"),
            valid_to=parse_date(self.valid_to, "validTo") if self.valid_to else None,
            eligibility=self.eligibility,
            promotion_code=check_code(self.promotion_code, "promotion code") if self.promotion_code else None,
            products=frozenset(check_code(p, "product code") for p in self.products))
        rating.check_discount(discount)
        return {"code": discount.code, "name": discount.name, "kind": discount.kind, "value": discount.value,
                "eligibility": discount.eligibility, "promotion_code": discount.promotion_code,
                "products": sorted(discount.products), "valid_from": discount.valid_from,
                "valid_to": discount.valid_to}


class CatalogHandlers:
    def __init__(self, db: Database, settings: BillingSettings):
        self.db = db
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)

    def products(self) -> list[dict]:
        with self.db.transaction() as cur:
            return store.products(cur)

    def add_price(self, code: str, valid_from: str, amount_minor: int, currency: str, actor: Actor) -> dict:
        """A price from a date on; earlier days keep the price they had (a bill already issued never changes)."""
        code, when = code.strip().upper(), parse_date(valid_from, "validFrom")
        if when < datetime.now(self.tz).date():
            raise InvalidArgument(f"a price cannot start in the past ({when}): that would rewrite billed history",
                                  reason="price-in-the-past")
        if amount_minor < 0:
            raise InvalidArgument("a price is not negative", reason="invalid-amount")
        if (currency or self.settings.currency) != self.settings.currency:
            raise InvalidArgument(f"prices are in {self.settings.currency}", reason="currency-mismatch")
        with self.db.transaction() as cur:
            if store.product(cur, code) is None:
                raise NotFound(f"no product {code}", reason="product-not-found")
            if not store.add_price(cur, code, when, amount_minor, self.settings.currency, actor.username):
                raise AlreadyExists(f"{code} already has a price from {when}", reason="price-exists")
            audit(cur, "product_price", f"{code}@{when}", "created", {"amountMinor": amount_minor}, actor.username)
            return next(p for p in store.products(cur) if p["code"] == code)

    def legacy_mappings(self) -> list[dict]:
        with self.db.transaction() as cur:
            return store.legacy_mappings(cur)

    def set_legacy_mappings(self, mappings: list[tuple[str, str, str]], actor: Actor) -> list[dict]:
        if not 0 < len(mappings) <= MAX_MAPPINGS:
            raise InvalidArgument(f"send 1 to {MAX_MAPPINGS} mappings", reason="invalid-mappings")
        rows = {}
        for system, legacy_code, product_code in mappings:
            system = system.strip().lower()
            if system not in SYSTEMS:
                raise InvalidArgument(f"system {system!r} is not one of {', '.join(SYSTEMS)}", reason="invalid-system")
            key = (system, check_code(legacy_code.strip(), "legacy code"))
            if key in rows:
                raise InvalidArgument(f"{system} code {key[1]} is given twice", reason="invalid-mappings")
            rows[key] = check_code(product_code.strip().upper(), "product code")
        with self.db.transaction() as cur:
            known = store.products_named(cur, sorted(set(rows.values())))
            unknown = sorted(set(rows.values()) - set(known))
            if unknown:
                raise NotFound(f"no product {', '.join(unknown)}", reason="product-not-found")
            changed = store.set_legacy_mappings(cur, [(*k, v) for k, v in rows.items()], actor.username)
            audit_many(cur, [("legacy_product_map", f"{c['system']}:{c['legacy_code']}", "mapped",
                              {"productCode": [c["was"], c["product_code"]]}) for c in changed], actor.username)
            return store.legacy_mappings(cur)

    def discounts(self) -> list[dict]:
        with self.db.transaction() as cur:
            return store.discounts(cur)

    def create_discount(self, new: NewDiscount, actor: Actor) -> dict:
        row = new.checked()
        with self.db.transaction() as cur:
            named = store.products_named(cur, row["products"])
            wrong = [p for p in row["products"] if named.get(p, {}).get("charge") != "monthly"]
            if wrong:
                raise InvalidArgument(f"{', '.join(wrong)}: a discount reduces known monthly products only",
                                      reason="invalid-discount")
            created = store.create_discount(cur, row, actor.username)
            if created is None:
                raise AlreadyExists(f"a discount {row['code']} exists", reason="discount-exists")
            audit(cur, "discount", row["code"], "created", row, actor.username)
            return created

    def set_account_promotions(self, account_no: str, codes: list[str], actor: Actor) -> list[str]:
        """The account holds exactly these promotion codes, each one of a promotion discount."""
        account_no = account_no.strip().upper()
        wanted = sorted({check_code(c, "promotion code") for c in codes})
        if len(wanted) > MAX_PROMOTIONS:
            raise InvalidArgument(f"at most {MAX_PROMOTIONS} promotion codes", reason="invalid-promotion")
        with self.db.transaction() as cur:
            ledger.account(cur, account_no)
            unknown = sorted(set(wanted) - store.promotion_codes(cur))
            if unknown:
                raise InvalidArgument(f"no promotion discount has the code {', '.join(unknown)}",
                                      reason="unknown-promotion")
            before = store.account_promotions(cur, account_no)
            store.set_account_promotions(cur, account_no, wanted, actor.username)
            if before != wanted:
                audit(cur, "account", account_no, "promotions", {"promotions": wanted, "before": before},
                      actor.username)
            return wanted
