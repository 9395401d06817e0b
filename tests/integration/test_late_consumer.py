"""A consumer that starts late: billing's request is published while the customer worker has never run;
provisioning's queue keeps it, and the worker, started afterwards, suspends the service and writes it back
to the CMS. The same event again changes nothing; a request the CMS refuses is recorded and acknowledged."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pika
import pytest

from services.common.db import Database
from services.common.outbox import envelope
from services.common.relay import exchange_name
from services.customer.handlers import Actor, CreateCustomer, CustomerHandlers
from services.customer.legacy.cms import CmsAdapter
from services.customer.legacy.sms import SmsAdapter
from services.customer.subscriptions import BILLING
from tests.integration.customer_env import (ROOT, attach_cms_line, autocommit, prepare_databases, unique_mobile,
                                            valid_id_no)
from tests.integration.test_outbox_inbox import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db(settings):
    prepare_databases(settings)  # provisioning: declares the customer's queue for billing's events
    database = Database(settings.service_db_url("customer"), schema="customer")
    yield database
    database.close()


@pytest.fixture
def broker(settings, db):
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    channel = conn.channel()
    channel.confirm_delivery()  # a publish returns once the broker has it in the queue
    for queue in (BILLING.queue_name, BILLING.dead_letter_queue_name):
        channel.queue_purge(queue)  # what earlier tests left, so each test counts only its own
    yield channel
    conn.close()


def publish(channel, event: dict) -> None:
    channel.basic_publish(exchange_name("billing"), event["type"], json.dumps(event).encode(),
                          pika.BasicProperties(content_type="application/json", delivery_mode=2),
                          mandatory=True)  # raises if no queue is bound for it


def waiting(channel, queue: str) -> int:
    return channel.queue_declare(queue, passive=True).method.message_count


def customer_with_cms_line(settings, db) -> tuple[str, str, str]:
    handlers = CustomerHandlers(db, CmsAdapter(settings.legacy_cms_url), SmsAdapter(settings.legacy_sms_url))
    c = handlers.create(CreateCustomer(name="王小明", id_no=valid_id_no(), phone=unique_mobile(),
                                       actor=Actor("clerk-t")))
    user_no, service_no = attach_cms_line(settings, c["customer_no"])
    return c["customer_no"], service_no, user_no


def state(db, service_no: str) -> str:
    with db.transaction() as cur:
        cur.execute("SELECT state FROM service WHERE service_no = %s", (service_no,))
        return cur.fetchone()["state"]


def write_backs(db, service_no: str) -> list[str]:
    with db.transaction() as cur:
        cur.execute("SELECT w.outcome FROM write_back w JOIN service s ON s.id = w.service_id "
                    "WHERE s.service_no = %s ORDER BY w.id", (service_no,))
        return [r["outcome"] for r in cur.fetchall()]


def line_status(settings, user_no: str) -> str:
    with autocommit(settings.legacy_cms_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT xlzt FROM yhxx WHERE yhbh = %s", (user_no,))
        return cur.fetchone()[0]


def suspension(customer_no: str, service_no: str) -> dict:
    return envelope("billing", "suspension_requested", {
        "customerNo": customer_no, "serviceNo": service_no, "reason": "unpaid since 2026-10-01",
        "requestId": f"R{uuid.uuid4().hex[:8]}"})


@pytest.fixture
def worker(db, broker):
    """The customer worker, started by the test once the event is waiting."""
    procs = []

    def start(**env_overrides):
        env = {**os.environ, "BSS_LEGACY_SYNC_SECONDS": "3600", **env_overrides}  # the sync is not under test
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "services.common.worker", "services.customer.worker:CustomerWorker"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        return procs[-1]

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(15)


def test_an_event_published_before_the_consumer_ever_ran_is_carried_out(settings, db, broker, worker):
    customer_no, service_no, user_no = customer_with_cms_line(settings, db)
    event = suspension(customer_no, service_no)
    publish(broker, event)
    assert waiting(broker, BILLING.queue_name) == 1  # nobody consumes yet: the provisioned queue keeps it

    proc = worker()
    wait_for(lambda: state(db, service_no) == "suspended" or proc.poll() is not None, what="the suspension")
    assert proc.poll() is None, proc.stdout.read().decode()
    assert line_status(settings, user_no) == "2"  # suspended in the CMS, which controls the network
    assert write_backs(db, service_no) == ["ok"]
    with db.transaction() as cur:
        cur.execute("SELECT source, event_type FROM inbox WHERE event_id = %s", (event["eventId"],))
        assert cur.fetchone() == {"source": "billing", "event_type": "suspension_requested"}
        cur.execute("SELECT actor, changes->>'reason' AS reason FROM audit_log WHERE entity = 'service' "
                    "AND entity_key = %s", (service_no,))
        audit = cur.fetchone()
    assert audit["actor"] == "billing" and event["data"]["requestId"] in audit["reason"]

    # The same event again, then a request the CMS refuses (its line is already suspended there).
    publish(broker, event)
    other_no, other_service, other_user = customer_with_cms_line(settings, db)
    with autocommit(settings.legacy_cms_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE yhxx SET xlzt = '2' WHERE yhbh = %s", (other_user,))
    publish(broker, suspension(other_no, other_service))
    wait_for(lambda: write_backs(db, other_service) == ["failed"], what="the refused write-back")
    wait_for(lambda: waiting(broker, BILLING.queue_name) == 0, what="the queue to empty")

    assert write_backs(db, service_no) == ["ok"]  # the redelivery changed nothing
    assert state(db, service_no) == "suspended" and line_status(settings, user_no) == "2"
    assert state(db, other_service) == "active"
    assert waiting(broker, BILLING.dead_letter_queue_name) == 0  # refused is an outcome, not a failure
    time.sleep(1.0)
    assert waiting(broker, BILLING.queue_name) == 0  # acknowledged, not requeued
    assert proc.poll() is None


def test_a_malformed_request_is_acknowledged_and_an_unreadable_one_dead_lettered(settings, db, broker, worker):
    customer_no, service_no, _ = customer_with_cms_line(settings, db)
    broker.basic_publish(exchange_name("billing"), "suspension_requested", b"not json",
                         pika.BasicProperties(content_type="application/json"))
    publish(broker, envelope("billing", "suspension_requested", {"customerNo": customer_no}))
    publish(broker, suspension(customer_no, service_no))
    proc = worker()
    wait_for(lambda: state(db, service_no) == "suspended" or proc.poll() is not None, what="the suspension")
    wait_for(lambda: waiting(broker, BILLING.queue_name) == 0, what="the queue to empty")
    # Kept for a person to look at, neither lost nor redelivered for ever.
    wait_for(lambda: waiting(broker, BILLING.dead_letter_queue_name) == 1, what="the dead letter")
    assert proc.poll() is None


def test_an_event_waits_while_the_legacy_system_is_out_of_reach(settings, db, broker, worker):
    customer_no, service_no, user_no = customer_with_cms_line(settings, db)
    publish(broker, suspension(customer_no, service_no))
    nowhere = settings.legacy_cms_url.rsplit("/", 1)[0] + "/no_such_legacy_cms"
    proc = worker(BSS_LEGACY_CMS_URL=nowhere)
    time.sleep(5)  # it tries, finds the CMS unreachable, and puts the event back
    assert proc.poll() is None
    assert state(db, service_no) == "active" and write_backs(db, service_no) == []
    proc.terminate()
    proc.wait(15)
    assert waiting(broker, BILLING.dead_letter_queue_name) == 0
    assert waiting(broker, BILLING.queue_name) == 1  # not lost: back in the queue

    worker()
    wait_for(lambda: state(db, service_no) == "suspended", what="the suspension once the CMS is back")
    assert line_status(settings, user_no) == "2"
