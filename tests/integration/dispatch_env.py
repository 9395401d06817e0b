"""What dispatch's integration tests share: its real server (beside a real customer server, which it asks
about a fault call's customer), the gateway in front of both, its worker following the broker, and
product orders as the customer service publishes them."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from services.common.db import Database
from services.common.outbox import envelope
from services.customer.handlers import Actor, CreateCustomer, CustomerHandlers
from services.customer.legacy.cms import CmsAdapter
from services.customer.legacy.sms import SmsAdapter
from services.dispatch.service import SPEC
from tests.harness import service_server
from tests.integration.customer_env import (ROOT, attach_cms_line, autocommit, customer_db, customer_server,  # noqa: F401
                                            unique_mobile, valid_id_no)
from tests.integration.test_gateway import bearer, client_for, gateway_db  # noqa: F401 -- gw needs it, tests import both


@pytest.fixture(scope="module")
def customer(settings, customer_db):
    """A real customer gRPC server on a free port; yields the port."""
    with customer_server(settings) as port:
        yield port


@pytest.fixture(scope="module")
def dispatch(settings, customer):
    """A real dispatch gRPC server on a free port (migrated), asking the customer server; yields its port."""
    with service_server(SPEC, settings.model_copy(update={"customer_grpc": f"127.0.0.1:{customer}"})) as port:
        yield port


@pytest.fixture(scope="module")
def db(settings, dispatch):
    database = Database(settings.service_db_url("dispatch"), schema="dispatch", maxconn=4)
    yield database
    database.close()


@pytest.fixture(scope="module")
def gw(settings, gateway_db, customer, dispatch):  # noqa: F811
    """The gateway in front of the real customer and dispatch servers."""
    with client_for(settings, customer_grpc=f"127.0.0.1:{customer}", dispatch_grpc=f"127.0.0.1:{dispatch}") as client:
        yield client


@pytest.fixture(scope="module")
def worker(settings, dispatch):
    """Dispatch's worker process, consuming its provisioned queues."""
    proc = subprocess.Popen([sys.executable, "-m", "services.common.worker", "dispatch"], cwd=ROOT,
                            env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    yield proc
    proc.terminate()
    proc.wait(15)


def customer_with_line(settings, customer_db, area_code: str = "0101") -> tuple[str, str]:
    """A golden customer living in `area_code` (so a station covers them) with an analog line:
    (customer_no, service_no)."""
    handlers = CustomerHandlers(customer_db, CmsAdapter(settings.legacy_cms_url), SmsAdapter(settings.legacy_sms_url))
    c = handlers.create(CreateCustomer(name="李小红", id_no=valid_id_no(), phone=unique_mobile(),
                                       address="杭州市西湖区文三路 8 号", area_code=area_code, actor=Actor("clerk-t")))
    _, service_no = attach_cms_line(settings, c["customer_no"])
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""UPDATE customer.service s SET premises_id = p.id FROM customer.premises p
                       WHERE s.service_no = %s AND p.customer_id = s.customer_id""", (service_no,))
    return c["customer_no"], service_no


def service_ordered(order_type: str = "install", station: str = "ST01", **changes) -> dict:
    """A product order as the customer service publishes it (contract: services/dispatch/handlers.py)."""
    n = uuid.uuid4().int % 10**8
    return envelope("customer", "service_ordered", {
        "orderNo": f"O{n:08d}", "orderType": order_type, "customerNo": f"C{n:08d}", "customerName": "张三",
        "contactPhone": "13800000000", "accountNo": f"A{n:08d}", "serviceNo": f"S{n:08d}", "kind": "digital_tv",
        "productCode": "BASIC", "productName": "基本包", "fromServiceNo": None,
        "premises": {"premisesId": str(n), "address": "杭州市西湖区文三路 9 号", "areaCode": "0101",
                     "stationCode": station, "stationName": "城东站"},
        "note": "", "appointment": None, "orderedAt": "2026-12-03T10:15:00+08:00", "orderedBy": "counter",
        **changes})
