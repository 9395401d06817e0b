"""Billing's copy of who pays for what: built from the customer service's export stream, then kept by its
events through the broker (the worker marks the customer stale and dates the state change; the copier
asks the customer service for the current state), with every process real."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import grpc
import pytest
from bss.customer.v1 import customer_pb2 as cpb

from services.billing import customer_copy, store
from services.customer.handlers import Actor, ChangeServiceState, CustomerHandlers
from services.customer.legacy.cms import CmsAdapter
from services.customer.legacy.sms import SmsAdapter
from tests.integration.billing_env import billing_database, customer_with_paying_line
from tests.integration.customer_env import ROOT, customer_db, customer_server  # noqa: F401 -- a fixture
from tests.integration.test_outbox_inbox import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def billing_db(settings, customer_db):
    with billing_database(settings) as db:
        yield db


@pytest.fixture(scope="module")
def customer_grpc(settings, customer_db):
    with customer_server(settings) as port:
        yield f"127.0.0.1:{port}"


def copied(db, service_no: str) -> dict | None:
    with db.transaction() as cur:
        cur.execute("""SELECT s.account_no, s.customer_no, s.product_code, s.state, s.origin, a.name, a.tier
                       FROM subscription s JOIN account a USING (account_no) WHERE s.service_no = %s""",
                    (service_no,))
        return cur.fetchone()


def history(db, service_no: str) -> list[tuple]:
    with db.transaction() as cur:
        cur.execute("SELECT effective_on, state FROM subscription_state WHERE service_no = %s "
                    "ORDER BY effective_on, recorded_at", (service_no,))
        return [(r["effective_on"], r["state"]) for r in cur.fetchall()]


def test_the_export_stream_builds_the_copy(settings, customer_db, billing_db, customer_grpc):
    customer_no, service_no, _ = customer_with_paying_line(settings, customer_db)
    counts = customer_copy.run(settings.model_copy(update={"customer_grpc": customer_grpc}), full=True)
    assert counts["customers"] >= 1 and counts["position"] >= 0
    row = copied(billing_db, service_no)
    assert row["customer_no"] == customer_no and row["product_code"] == "01" and row["origin"] == "cms"
    assert row["state"] == "active" and row["name"] and row["tier"] == "regular"
    assert [s for _, s in history(billing_db, service_no)] == ["active"]


@pytest.fixture
def running(settings, customer_grpc):
    """The customer relay and the billing worker (whose copier asks the test's customer server)."""
    env = {**os.environ, "BSS_CUSTOMER_GRPC": customer_grpc, "BSS_CUSTOMER_COPY_SECONDS": "0.5",
           "BSS_LEGACY_SYNC_SECONDS": "3600"}
    procs = [subprocess.Popen([sys.executable, "-m", "services.common.relay", "customer"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT),
             subprocess.Popen([sys.executable, "-m", "services.common.worker", "billing"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)]
    yield procs
    for proc in procs:
        proc.terminate()
        proc.wait(15)


def test_a_suspension_in_the_customer_service_reaches_billing_dated(settings, customer_db, billing_db, running):
    customer_no, service_no, _ = customer_with_paying_line(settings, customer_db)
    handlers = CustomerHandlers(customer_db, CmsAdapter(settings.legacy_cms_url), SmsAdapter(settings.legacy_sms_url))
    handlers.change_service_state(ChangeServiceState(customer_no=customer_no, service_no=service_no,
                                                     action="suspend", reason="test", actor=Actor("clerk-t")))
    worker = running[1]
    wait_for(lambda: (copied(billing_db, service_no) or {}).get("state") == "suspended" or worker.poll() is not None,
             what="billing's copy to show the suspension")
    assert worker.poll() is None, worker.stdout.read().decode()
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    assert (today, "suspended") in history(billing_db, service_no)
    assert isinstance(history(billing_db, service_no)[0][0], date)


class Refusing(grpc.RpcError):
    def __init__(self, code):
        self._code = code

    def code(self):
        return self._code


class CustomerServiceStandIn:
    """Answers GetCustomer with a customer of one account and service, and fails for one customer."""

    def __init__(self, failing: str, code=grpc.StatusCode.INTERNAL):
        self.failing, self.code, self.asked = failing, code, []

    def GetCustomer(self, request, timeout=None):
        self.asked.append(request.customer_no)
        if request.customer_no == self.failing:
            raise Refusing(self.code)
        n = request.customer_no[1:]
        return cpb.CustomerView(customer_no=request.customer_no, name="张三", tier="regular", status="active",
                                accounts=[cpb.Account(account_no=f"A{n}", name="张三")],
                                services=[cpb.Service(service_no=f"S{n}", kind="analog_tv", origin="cms",
                                                      product_code="01", state="active", account_no=f"A{n}")])


def test_a_customer_the_customer_service_cannot_answer_for_waits_at_the_back(billing_db):
    good, bad = (f"C{uuid.uuid4().int % 10**12:012d}" for _ in range(2))
    with billing_db.transaction() as cur:
        store.mark_stale(cur, bad)
        store.mark_stale(cur, good)
    stand_in = CustomerServiceStandIn(failing=bad)
    counts = customer_copy.refresh_stale(billing_db, stand_in, ZoneInfo("Asia/Shanghai"), batch=1)
    assert counts["failed"] >= 1 and {good, bad} <= set(stand_in.asked)
    assert copied(billing_db, f"S{good[1:]}")["state"] == "active"
    with billing_db.transaction() as cur:
        cur.execute("SELECT customer_no FROM customer_stale WHERE customer_no IN (%s, %s)", (good, bad))
        assert [r["customer_no"] for r in cur.fetchall()] == [bad]  # stale still, for a later pass

    out_of_reach = CustomerServiceStandIn(failing=bad, code=grpc.StatusCode.UNAVAILABLE)
    with pytest.raises(grpc.RpcError):
        customer_copy.refresh_stale(billing_db, out_of_reach, ZoneInfo("Asia/Shanghai"))
    with billing_db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM customer_stale WHERE customer_no = %s", (bad,))
        assert cur.fetchone()["n"] == 1  # nothing taken: everything waits for the next pass
