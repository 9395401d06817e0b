"""Dispatch's completed work orders reach billing through the broker as one-time fees for the next bill:
once per work order however often the event comes; a malformed one is acknowledged and charges nothing."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pika
import pytest

from services.billing.subscriptions import DISPATCH
from services.common.outbox import envelope
from tests.harness import publish_as_relay
from tests.integration.billing_env import add_account, billing_database
from tests.integration.customer_env import ROOT
from tests.integration.test_outbox_inbox import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db(settings):
    with billing_database(settings) as database:  # provisioning declares billing's queue for dispatch's events
        yield database


@pytest.fixture(scope="module")
def worker(db):
    env = {**os.environ, "BSS_CUSTOMER_COPY_SECONDS": "3600"}
    proc = subprocess.Popen([sys.executable, "-m", "services.common.worker", "billing"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    yield proc
    proc.terminate()
    proc.wait(15)


def charges(db, ref: str) -> list[tuple]:
    with db.transaction() as cur:
        cur.execute("SELECT product_code, service_no, occurred_on::text AS day FROM pending_charge WHERE ref = %s "
                    "ORDER BY product_code", (ref,))
        return [(r["product_code"], r["service_no"], r["day"]) for r in cur.fetchall()]


def completed(work_order_no: str, service_no: str, kind: str = "install", **changes) -> dict:
    return envelope("dispatch", "work_order_completed", {
        "workOrderNo": work_order_no, "type": kind, "customerNo": "C1", "serviceNo": service_no,
        "completedAt": "2026-12-03T10:15:00+08:00", **changes})


def test_a_completed_install_is_charged_once(settings, db, worker):
    _, (service_no,) = add_account(db)
    work_order_no = f"W{uuid.uuid4().int % 10**9}"
    event = completed(work_order_no, service_no)
    publish_as_relay(settings, event)
    publish_as_relay(settings, event)  # the same event again
    publish_as_relay(settings, completed(work_order_no, service_no))  # and the same work order in a new event
    wait_for(lambda: charges(db, work_order_no) or worker.poll() is not None, what="the installation fee")
    assert worker.poll() is None, worker.stdout.read().decode()
    assert charges(db, work_order_no) == [("INSTALL", service_no, "2026-12-03")]


def test_a_malformed_event_or_a_type_without_fees_charges_nothing(settings, db, worker):
    _, (service_no,) = add_account(db)
    bad, repair, marker = (f"W{uuid.uuid4().int % 10**9}" for _ in range(3))
    publish_as_relay(settings, completed(bad, service_no, completedAt="not a time"))
    publish_as_relay(settings, completed(repair, service_no, kind="repair"))
    publish_as_relay(settings, completed(marker, service_no, kind="digital_conversion"))
    wait_for(lambda: charges(db, marker) or worker.poll() is not None, what="the later event's fee")
    assert charges(db, marker) == [("STB-DEPOSIT", service_no, "2026-12-03")]
    assert charges(db, bad) == [] and charges(db, repair) == []
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    try:  # acknowledged, not dead-lettered: a person reads the log, the queue does not fill
        assert conn.channel().queue_declare(DISPATCH.dead_letter_queue_name, passive=True).method.message_count == 0
    finally:
        conn.close()
