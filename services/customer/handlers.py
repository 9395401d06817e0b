"""Use cases of the customer service: a command in, one transaction, events out through the outbox."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Callable, ClassVar, Iterator

import psycopg2.errors

from services.common import inputrules
from services.common.audit import audit
from services.common.db import Database
from services.common.errors import IllegalTransition, InvalidArgument
from services.common.inputrules import (ADDRESS_MAX, CODE_MAX, EMAIL_MAX, EMAIL_PATTERN, LABEL_MAX, NAME_MAX,
                                        REASON_MAX, SEARCH_MAX, TEXT_MAX, TIERS, key, number, wording)
from services.common.outbox import emit
from services.common.paging import batch_keys, page_bounds

from . import store
from .domain import idcard, normalize
from .domain.browse import browse_filter
from .domain.search import search_query
from .domain.states import EVENTS, next_state
from .domain.tier import merged_tier
from .legacy.ports import CmsNetwork, SmsNetwork, WriteBackResult
from .service import NAME

SOURCE = NAME
CONTACT_CHANNELS = (*inputrules.CONTACT_CHANNELS, "system")  # "system": the service's own notes
Clean = Callable[[str, str, int], str]
EXPORT_PAGE, MAX_EXPORT_PAGE = 500, 2000
# A bulk reader's page: 5,000 services are about 1 MB of proto, well inside gRPC's 4 MB message limit.
SERVICE_PAGE, MAX_SERVICE_PAGE, MAX_AREAS = 5000, 10000, 100
SERVICE_KINDS = ("analog_tv", "digital_tv", "broadband")
SERVICE_STATES = ("pending", "active", "suspended", "disconnected")
AREA_CODE = re.compile(r"^[0-9A-Za-z]{1,16}$")
# A browse or search counts at most this many matches past its offset (two full pages), so a page at a
# million customers costs the rows walked to find them, never an exact count of all (store.browse).
BROWSE_COUNT_AHEAD = 200
BROWSE_TIMEOUT_MS = 3000  # within the gateway's 5 s deadline


class Checked:
    """Base of every command: each text field is brought to its one form (see inputrules) and text that
    cannot be stored is refused before anything happens, so a legacy system is never told of a change
    that then fails to be recorded here."""

    limits: ClassVar[dict[str, int]] = {}
    kinds: ClassVar[dict[str, Clean]] = {}

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                clean = self.kinds.get(f.name, inputrules.prose)
                object.__setattr__(self, f.name, clean(f.name, value, self.limits.get(f.name, TEXT_MAX)))


@dataclass(frozen=True)
class Actor(Checked):
    limits: ClassVar[dict[str, int]] = {"username": LABEL_MAX, "role": LABEL_MAX}
    username: str
    role: str = ""


@dataclass(frozen=True)
class CreateCustomer(Checked):
    kinds: ClassVar[dict[str, Clean]] = {"name": wording, "id_no": number, "phone": number, "email": number,
                                         "address": wording, "area_code": number, "tier": number}
    name: str
    actor: Actor
    id_no: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    area_code: str = ""
    tier: str = "regular"


@dataclass(frozen=True)
class UpdateContact(Checked):
    kinds: ClassVar[dict[str, Clean]] = {"customer_no": key, "phone": number, "email": number, "address": wording,
                                         "area_code": number, "tier": number}
    customer_no: str
    actor: Actor
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    area_code: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class ChangeServiceState(Checked):
    limits: ClassVar[dict[str, int]] = {"reason": REASON_MAX}
    kinds: ClassVar[dict[str, Clean]] = {"customer_no": key, "service_no": key, "action": number}
    customer_no: str
    service_no: str
    action: str
    actor: Actor
    reason: str = ""


@dataclass(frozen=True)
class EntitleSmartCard(Checked):
    limits: ClassVar[dict[str, int]] = {"product_code": CODE_MAX}
    kinds: ClassVar[dict[str, Clean]] = {"customer_no": key, "card_no": number, "product_code": number}
    customer_no: str
    card_no: str
    product_code: str
    actor: Actor


@dataclass(frozen=True)
class RecordContact(Checked):
    limits: ClassVar[dict[str, int]] = {"kind": LABEL_MAX}
    kinds: ClassVar[dict[str, Clean]] = {"customer_no": key, "channel": number, "kind": wording}
    customer_no: str
    channel: str
    kind: str
    summary: str
    actor: Actor


# -- validation of what people type -------------------------------------------------------------

def _valid_id(raw: str) -> str | None:
    if not raw.strip():
        return None
    try:
        return idcard.normalize_id_no(raw)
    except ValueError as exc:
        raise InvalidArgument(f"invalid ID-card number: {exc}", reason="invalid-id-number") from None


def _valid_phone(raw: str) -> tuple[str, str] | None:
    if not raw.strip():
        return None
    found = normalize.parse_phones(raw)
    if len(found) != 1:
        raise InvalidArgument(f"invalid phone number {raw!r}: expected one mobile or landline number",
                              reason="invalid-phone")
    return found[0].number, found[0].kind


def _valid_tier(tier: str) -> str:
    if tier not in TIERS:
        raise InvalidArgument(f"tier must be one of {', '.join(TIERS)}", reason="invalid-tier")
    return tier


def _valid_email(email: str) -> str | None:
    email = email.strip()
    if not email:
        return None
    if not re.match(EMAIL_PATTERN, email) or len(email) > EMAIL_MAX:
        raise InvalidArgument(f"invalid e-mail address {email!r}", reason="invalid-email")
    return email


def valid_address(raw: str) -> str | None:
    address = raw.strip()
    if len(address) > ADDRESS_MAX:
        raise InvalidArgument(f"an address has at most {ADDRESS_MAX} characters", reason="invalid-address")
    return address or None


def address_norm(address: str) -> str:
    return normalize.normalize_address(address) or address.strip()


def write_back(cms: CmsNetwork, sms: SmsNetwork, svc: dict, action: str, actor: str) -> WriteBackResult:
    if svc["origin"] == "cms":
        return cms.set_line_status(svc["legacy_ref"], action, actor)
    if svc["origin"] == "sms":
        return sms.set_entitlement_status(svc["legacy_ref"], action, actor)
    # A service opened in the BSS itself has no legacy system to tell.
    return WriteBackResult(ok=True, detail="no legacy system controls this service")


def change_state(cur, cms: CmsNetwork, sms: SmsNetwork, c: dict, svc: dict, action: str, actor: str,
                 reason: str) -> tuple[WriteBackResult, dict, dict]:
    """Suspend, restore or disconnect the locked service `svc` of customer `c`: written back to its legacy
    system, the outcome recorded either way, and only what the legacy system accepted changed here (with
    audit, contact and event). Returns (the legacy system's answer, the write-back row, the service)."""
    new_state = next_state(svc["state"], action)
    result = write_back(cms, sms, svc, action, actor)
    wb = store.record_write_back(cur, service_id=svc["id"], system=svc["origin"], action=action,
                                 request={"legacyRef": svc["legacy_ref"], "reason": reason},
                                 ok=result.ok, detail=result.detail, actor=actor,
                                 legacy_changed_at=result.legacy_changed_at)
    if not result.ok:
        return result, wb, svc
    store.set_service_state(cur, svc["id"], new_state, actor)
    audit(cur, "service", svc["service_no"], action, {"from": svc["state"], "to": new_state, "reason": reason}, actor)
    store.add_contact(cur, c["id"], "system", f"service_{action}",
                      f"{svc['product_name']} {svc['service_no']}: {action}" + (f" ({reason})" if reason else ""),
                      actor)
    emit(cur, SOURCE, EVENTS[new_state], {
        "customerNo": c["customer_no"], "serviceNo": svc["service_no"], "kind": svc["kind"],
        "origin": svc["origin"], "from": svc["state"], "to": new_state, "reason": reason})
    return result, wb, store.service_by_id(cur, svc["id"])


class CustomerHandlers:
    def __init__(self, db: Database, cms: CmsNetwork, sms: SmsNetwork):
        self.db = db
        self.cms = cms
        self.sms = sms

    # -- queries --------------------------------------------------------------------------------
    def get(self, customer_no: str, recent_contacts: int = 10) -> dict:
        customer_no = key("customer_no", customer_no)
        _, recent_contacts = page_bounds(0, recent_contacts or 10)  # a negative LIMIT is a database error
        with self.db.statement() as cur:  # the view is one statement
            return store.customer_view(cur, customer_no, recent_contacts)

    def get_many(self, customer_nos: list[str], recent_contacts: int = 10) -> list[dict]:
        """The views of those found, an unknown or malformed number left out (paging.batch_keys)."""
        numbers = [n for n in batch_keys("customer_no", customer_nos) if n]
        _, recent_contacts = page_bounds(0, recent_contacts or 10)
        if not numbers:
            return []
        with self.db.statement() as cur:
            return store.customer_views(cur, numbers, recent_contacts)

    def search(self, q: str, offset: int = 0, limit: int = 20) -> tuple[list[dict], int, bool, str]:
        """(page, total counted up to a cap as browse counts it, whether it was capped, the field searched)."""
        q = number("q", q, SEARCH_MAX)  # nothing is stored or shown: direction controls can just go
        offset, limit = page_bounds(offset, limit)
        try:
            query = search_query(q)
        except ValueError:
            raise InvalidArgument("a search needs q: phone, ID number, name, customer number, "
                                  "smart card number or address", reason="empty-search") from None
        with self.db.transaction() as cur:
            rows, total, capped = store.search(cur, query, offset, limit, BROWSE_COUNT_AHEAD)
        return rows, total, capped, query.field

    def browse(self, offset: int = 0, limit: int = 20, **filters: str) -> tuple[list[dict], int, bool]:
        """Customers without a search term, filtered by station_code, status, tier and origin (see
        domain/browse.py), in customer order: (page, total counted up to a cap, whether it was capped)."""
        offset, limit = page_bounds(offset, limit)
        try:
            given = browse_filter(**filters).given()
        except ValueError as exc:
            raise InvalidArgument(str(exc), reason="invalid-filter") from None
        try:
            with self.db.transaction() as cur:
                return store.browse(cur, given, offset, limit, BROWSE_COUNT_AHEAD, BROWSE_TIMEOUT_MS)
        except psycopg2.errors.QueryCanceled:
            raise InvalidArgument("these filters match too few customers (or the offset is too deep) to page "
                                  "through in time; search for the customer instead",
                                  reason="browse-too-slow") from None

    def services(self, customer_no: str) -> list[dict]:
        customer_no = key("customer_no", customer_no)
        with self.db.transaction() as cur:
            c = store.customer_by_no(cur, customer_no)
            return store.services_of(cur, c["id"])

    def matches(self, status: str, offset: int, limit: int) -> tuple[list[dict], int]:
        if status not in ("pending", "accepted", "rejected"):
            raise InvalidArgument("status must be pending, accepted or rejected", reason="invalid-status")
        offset, limit = page_bounds(offset, limit)
        with self.db.transaction() as cur:
            return store.matches(cur, status, offset, limit)

    def import_run(self, run_id: int) -> dict:
        with self.db.transaction() as cur:
            return store.import_run(cur, run_id)

    def export(self, page_size: int = 0) -> Iterator[tuple[int, list[dict]]]:
        """Every customer a page at a time, each page with the outbox position the export reflects; at
        least one page, so even an empty export tells its position."""
        if page_size < 0 or page_size > MAX_EXPORT_PAGE:
            raise InvalidArgument(f"page_size is between 1 and {MAX_EXPORT_PAGE}", reason="invalid-page")
        with self.db.connection() as conn:
            position = store.begin_export(conn)
            empty = True
            for page in store.customers_for_export(conn, page_size or EXPORT_PAGE):
                empty = False
                yield position, page
            if empty:
                yield position, []

    def services_in_areas(self, area_codes: list[str], kind: str, state: str,
                          page_size: int = 0) -> Iterator[list[tuple]]:
        """The services of `kind` in `state` at premises in the areas, a page of rows (ServicePage's columns)
        at a time, from one snapshot; at least one page."""
        areas = sorted({code.strip() for code in area_codes})
        if not 1 <= len(areas) <= MAX_AREAS or not all(AREA_CODE.match(code) for code in areas):
            raise InvalidArgument(f"give 1 to {MAX_AREAS} area codes of letters and digits", reason="invalid-area-codes")
        if kind not in SERVICE_KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(SERVICE_KINDS)}", reason="invalid-kind")
        if state not in SERVICE_STATES:
            raise InvalidArgument(f"state must be one of {', '.join(SERVICE_STATES)}", reason="invalid-state")
        if not 0 <= page_size <= MAX_SERVICE_PAGE:
            raise InvalidArgument(f"page_size is between 1 and {MAX_SERVICE_PAGE}", reason="invalid-page")
        with self.db.connection() as conn:
            empty = True
            for page in store.services_in_areas(conn, areas, kind, state, page_size or SERVICE_PAGE):
                empty = False
                yield page
            if empty:
                yield []

    # -- commands -------------------------------------------------------------------------------
    def create(self, cmd: CreateCustomer) -> dict:
        name = cmd.name.strip()
        name_norm = normalize.normalize_name(name)
        if not name_norm or len(name) > NAME_MAX:
            raise InvalidArgument(f"a person's name is required (at most {NAME_MAX} characters)",
                                  reason="invalid-name")
        id_no = _valid_id(cmd.id_no)
        phone = _valid_phone(cmd.phone)
        email = _valid_email(cmd.email)
        address = valid_address(cmd.address)
        tier = _valid_tier(cmd.tier or "regular")
        with self.db.transaction() as cur:
            store.claim_identity(cur, id_no, name_norm, phone[0] if phone else None)
            if cmd.area_code and not store.area_known(cur, cmd.area_code):
                raise InvalidArgument(f"unknown area code {cmd.area_code}", reason="unknown-area")
            c = store.insert_customer(cur, name=name, name_norm=name_norm, id_no=id_no, email=email,
                                      tier=tier, actor=cmd.actor.username)
            if phone:
                store.add_phone(cur, c["id"], phone[0], phone[1], True, "bss")
            premises_id = (store.add_premises(cur, c["id"], address, address_norm(address), cmd.area_code or None)
                           if address else None)
            store.add_account(cur, c["id"], name, premises_id)
            audit(cur, "customer", c["customer_no"], "create",
                        {"name": name, "idNo": id_no, "phone": phone and phone[0]}, cmd.actor.username)
            store.add_contact(cur, c["id"], "counter", "customer_created", "customer record opened",
                              cmd.actor.username)
            emit(cur, SOURCE, "customer_created", {"customerNo": c["customer_no"], "tier": tier})
            return store.customer_view(cur, c["customer_no"])

    def update_contact(self, cmd: UpdateContact) -> dict:
        phone = _valid_phone(cmd.phone) if cmd.phone is not None else None
        email = _valid_email(cmd.email) if cmd.email is not None else None
        address = valid_address(cmd.address) if cmd.address is not None else None
        tier = _valid_tier(cmd.tier) if cmd.tier is not None else None
        actor = cmd.actor.username
        with self.db.transaction() as cur:
            c = store.customer_by_no(cur, cmd.customer_no, lock=True)
            if c["status"] == "merged":
                raise IllegalTransition(f"customer {cmd.customer_no} was merged; update the surviving record",
                                        reason="customer-merged")
            changes: dict = {}
            if phone:
                store.add_phone(cur, c["id"], phone[0], phone[1], True, "bss")
                changes["phone"] = phone[0]
            if cmd.email is not None:
                changes["email"] = email
            if tier:
                changes["tier"] = tier
            store.update_customer(cur, c["id"], {k: v for k, v in changes.items() if k in ("email", "tier")}, actor)
            if address:
                if cmd.area_code and not store.area_known(cur, cmd.area_code):
                    raise InvalidArgument(f"unknown area code {cmd.area_code}", reason="unknown-area")
                store.add_premises(cur, c["id"], address, address_norm(address), cmd.area_code or None)
                changes["address"] = address
            if not changes:
                raise InvalidArgument("nothing to change", reason="nothing-to-change")
            audit(cur, "customer", c["customer_no"], "update_contact", changes, actor)
            store.add_contact(cur, c["id"], "counter", "contact_updated",
                              "updated " + ", ".join(sorted(changes)), actor)
            emit(cur, SOURCE, "customer_updated", {"customerNo": c["customer_no"], "changed": sorted(changes)})
            return store.customer_view(cur, c["customer_no"])

    def change_service_state(self, cmd: ChangeServiceState) -> tuple[dict, dict]:
        """Write the change back to the legacy system first; only what it accepted changes here.

        The outcome is recorded either way, so a refused or failed write-back is committed before the
        error goes back to the clerk.
        """
        with self.db.transaction() as cur:
            c = store.customer_by_no(cur, cmd.customer_no)
            svc = store.service_for_update(cur, c["id"], cmd.service_no)
            result, wb, svc = change_state(cur, self.cms, self.sms, c, svc, cmd.action, cmd.actor.username,
                                           cmd.reason)
        if not result.ok:
            raise IllegalTransition(f"the {svc['origin'].upper()} refused to {cmd.action}: {result.detail}",
                                    reason="legacy-refused")
        return svc, wb

    def entitle_smart_card(self, cmd: EntitleSmartCard) -> tuple[dict, dict]:
        actor = cmd.actor.username
        if not cmd.product_code.strip():
            raise InvalidArgument("productCode is required", reason="invalid-product")
        with self.db.transaction() as cur:
            c = store.customer_by_no(cur, cmd.customer_no)
            card = store.smart_card(cur, c["id"], cmd.card_no)
            if card["status"] != "active":
                raise IllegalTransition(f"smart card {cmd.card_no} is {card['status']}", reason="card-not-active")
            product = self.sms.product(cmd.product_code)
            if product is None:
                raise InvalidArgument(f"unknown product {cmd.product_code}", reason="unknown-product")
            result = self.sms.entitle(cmd.card_no, cmd.product_code, actor)
            service_id = None
            if result.ok:
                service_id = store.insert_service(
                    cur, customer_id=c["id"], account_id=store.account_for_premises(cur, c["id"], card["premises_id"]),
                    premises_id=card["premises_id"], device_id=card["id"],
                    kind=product["kind"], origin="sms",
                    legacy_ref=result.legacy_ref, product_code=cmd.product_code, product_name=product["name"],
                    monthly_fee_minor=product["price_minor"], state="active", started_at=datetime.now(timezone.utc),
                    updated_by=actor)
            wb = store.record_write_back(cur, service_id=service_id, system="sms", action="entitle",
                                         request={"cardNo": cmd.card_no, "productCode": cmd.product_code},
                                         ok=result.ok, detail=result.detail, actor=actor)
            if result.ok:
                svc = store.service_by_id(cur, service_id)
                audit(cur, "service", svc["service_no"], "entitle",
                            {"cardNo": cmd.card_no, "productCode": cmd.product_code}, actor)
                store.add_contact(cur, c["id"], "system", "service_entitle",
                                  f"{product['name']} on card {cmd.card_no}", actor)
                emit(cur, SOURCE, "service_activated", {
                    "customerNo": c["customer_no"], "serviceNo": svc["service_no"], "kind": svc["kind"],
                    "origin": "sms", "productCode": cmd.product_code,
                    "monthlyFeeMinor": svc["monthly_fee_minor"], "currency": svc["currency"]})
        if not result.ok:
            raise IllegalTransition(f"the SMS refused the entitlement: {result.detail}", reason="legacy-refused")
        return svc, wb

    def record_contact(self, cmd: RecordContact) -> dict:
        if cmd.channel not in CONTACT_CHANNELS:
            raise InvalidArgument(f"channel must be one of {', '.join(CONTACT_CHANNELS)}", reason="invalid-channel")
        if not cmd.summary.strip() or len(cmd.summary) > TEXT_MAX:
            raise InvalidArgument(f"summary is required (at most {TEXT_MAX} characters)", reason="invalid-summary")
        with self.db.transaction() as cur:
            c = store.customer_by_no(cur, cmd.customer_no)
            return store.add_contact(cur, c["id"], cmd.channel, cmd.kind.strip() or "note", cmd.summary.strip(),
                                     cmd.actor.username)

    def accept_match(self, match_id: int, actor: Actor) -> dict:
        with self.db.transaction() as cur:
            m = self._pending_match(cur, match_id)
            store.decide_match(cur, match_id, "accepted", actor.username)
            survivor, merged = m["customer_a"], m["customer_b"]  # the older record survives
            before = store.tiers(cur, survivor, merged)
            store.merge_customers(cur, survivor, merged, actor.username)
            tier = merged_tier(*before, store.active_fees(cur, survivor))
            if tier != before[0]:
                store.update_customer(cur, survivor, {"tier": tier}, actor.username)
            rows, _ = store.matches(cur, "", 0, 1, match_id=match_id)
            view = rows[0]
            audit(cur, "customer", view["left_side"]["customer_no"], "merge",
                        {"merged": view["right_side"]["customer_no"], "matchId": match_id, "tier": tier},
                        actor.username)
            emit(cur, SOURCE, "customer_merged", {"customerNo": view["left_side"]["customer_no"],
                                                  "mergedCustomerNo": view["right_side"]["customer_no"],
                                                  "matchId": match_id, "tier": tier})
            return view

    def reject_match(self, match_id: int, actor: Actor) -> dict:
        with self.db.transaction() as cur:
            self._pending_match(cur, match_id)
            store.decide_match(cur, match_id, "rejected", actor.username)
            rows, _ = store.matches(cur, "", 0, 1, match_id=match_id)
            audit(cur, "match", str(match_id), "reject", {}, actor.username)
            return rows[0]

    @staticmethod
    def _pending_match(cur, match_id: int) -> dict:
        m = store.match_for_update(cur, match_id)
        if m["status"] != "pending":
            raise IllegalTransition(f"match {match_id} was already {m['status']}", reason="match-decided")
        return m

