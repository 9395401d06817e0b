"""What billing's integration tests share: its schema migrated, a pool as the service connects, its real
server and the gateway in front of it (fixtures), unique accounts in its copy of the customer service's
data, and a customer with a paying line in the real customer service."""
from __future__ import annotations

import contextlib
import uuid
from datetime import date

import pytest

from services.billing import store
from services.billing.service import SPEC
from services.common.db import Database
from services.common.migrate import migrate_service
from services.customer.handlers import Actor, CreateCustomer, CustomerHandlers
from services.customer.legacy.cms import CmsAdapter
from services.customer.legacy.sms import SmsAdapter
from tests.harness import service_server
from tests.integration.customer_env import attach_cms_line, autocommit, unique_mobile, valid_id_no
from tests.integration.test_gateway import client_for, gateway_db  # noqa: F401 -- gw's fixture


@contextlib.contextmanager
def billing_database(settings, maxconn: int = 2):
    migrate_service(settings, SPEC)
    db = Database(settings.service_db_url("billing"), schema="billing", maxconn=maxconn)
    try:
        yield db
    finally:
        db.close()


def unique_account_no() -> str:
    return f"A{uuid.uuid4().int % 10**12:012d}"


def add_account(db, *, services: tuple[tuple[str, str, str], ...] = (("cms", "01", "analog_tv"),),
                since: date = date(2000, 1, 1), tier: str = "regular") -> tuple[str, list[str]]:
    """An account in billing's copy with active services (origin, legacy product code, kind) since `since`;
    returns its number and its services' numbers."""
    account_no = unique_account_no()
    customer_no = "C" + account_no[1:]
    # In ascending order, as the customer service numbers them: settlement goes in service order.
    service_nos = sorted(f"S{uuid.uuid4().int % 10**12:012d}" for _ in services)
    with db.transaction() as cur:
        store.upsert_accounts(cur, [(account_no, customer_no, "测试户", tier, 1)])
        store.upsert_subscriptions(cur, [(no, account_no, customer_no, kind, origin, code, "active", 1, since)
                                         for no, (origin, code, kind) in zip(service_nos, services)], since)
    return account_no, service_nos


def insert_bill(cur, account_no: str, period_start: date, due_on: date, shares: dict[str, int], *,
                open_minor: int | None = None, hold: str | None = None) -> dict:
    """A bill of a month holding one line per service (its shares; a credit below zero), issued two weeks
    before it is due and open for `open_minor` (the whole amount by default); returns its id and number."""
    total = sum(shares.values())
    cur.execute("""INSERT INTO bill (account_no, period_start, period_end, issued_on, due_on, amount_minor,
                                     open_minor, hold_reason, lines)
                   SELECT %s, %s, %s::date + 30, %s::date - 14, %s, %s, %s, %s,
                          array_agg(ROW(service_no, NULL, CASE WHEN amount < 0 THEN 'adjustment' ELSE 'charge' END,
                                        '模拟电视 城镇标准', 30, amount)::bill_line ORDER BY n)
                   FROM unnest(%s::text[], %s::bigint[]) WITH ORDINALITY AS s (service_no, amount, n)
                   RETURNING id, bill_no""",
                (account_no, period_start, period_start, due_on, due_on, total,
                 total if open_minor is None else open_minor, hold, list(shares), list(shares.values())))
    return cur.fetchone()


def share_opens(cur, bill_id: int) -> dict[str, int]:
    """What is open of each service's share of a bill."""
    cur.execute("""SELECT s.service_no, s.open_minor
                   FROM bill b CROSS JOIN LATERAL bill_shares(b.lines, b.open_minor) s WHERE b.id = %s""", (bill_id,))
    return {r["service_no"]: r["open_minor"] for r in cur.fetchall()}


def customer_with_paying_line(settings, customer_db) -> tuple[str, str, str]:
    """A golden customer whose analog line (CMS fee type 01) is paid by its account, in the real customer
    service: (customer_no, service_no, cms user_no)."""
    handlers = CustomerHandlers(customer_db, CmsAdapter(settings.legacy_cms_url), SmsAdapter(settings.legacy_sms_url))
    c = handlers.create(CreateCustomer(name="王小明", id_no=valid_id_no(), phone=unique_mobile(),
                                       address="杭州市西湖区文三路 1 号", actor=Actor("clerk-t")))
    user_no, service_no = attach_cms_line(settings, c["customer_no"])
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""UPDATE customer.service s SET account_id = a.id FROM customer.account a
                       WHERE s.service_no = %s AND a.customer_id = s.customer_id""", (service_no,))
        assert cur.rowcount == 1, "the customer has an account"
    return c["customer_no"], service_no, user_no


@pytest.fixture(scope="module")
def billing(settings):
    """A real billing gRPC server on a free port (migrated); yields its port."""
    with service_server(SPEC, settings) as port:
        yield port


@pytest.fixture(scope="module")
def db(settings, billing):
    database = Database(settings.service_db_url("billing"), schema="billing", maxconn=4)
    yield database
    database.close()


@pytest.fixture(scope="module")
def gw(settings, gateway_db, billing):  # noqa: F811
    """The gateway in front of the real billing server."""
    with client_for(settings, billing_grpc=f"127.0.0.1:{billing}") as client:
        yield client
