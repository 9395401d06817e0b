"""The outbox and inbox against the real PostgreSQL and RabbitMQ, with a real nameko consumer process:
an event written with a change survives a broker outage, and a redelivered event has no second effect.
The relay sends a batch with one wait for its confirms, and each event carries its position."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pika
from prometheus_client import REGISTRY
import pytest

from services.common.broker import broker_reachable
from services.common.db import Database
from services.common.migrate import migrate
from services.common.outbox import emit
from services.common.relay import OutboxRelay, exchange_name

pytestmark = pytest.mark.integration
SERVICE = "platformtest"
QUEUE = f"evt-{SERVICE}-thing_happened--platformtest_consumer.on_thing_happened"
ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def queue_exists(settings) -> bool:
    try:
        conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
        try:
            conn.channel().queue_declare(QUEUE, passive=True)
            return True
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - passive declare closes the channel when the queue is missing
        return False


@pytest.fixture(scope="module")
def db(settings):
    migrate(settings, SERVICE, Path(__file__).parent / "platform" / "migrations")
    database = Database(settings.service_db_url(SERVICE), schema=SERVICE)
    yield database
    database.close()


@pytest.fixture(scope="module")
def consumer(settings, db):
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.common.worker", "tests.integration.platform.consumer:EffectRecorder"],
        cwd=ROOT, env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: queue_exists(settings) or proc.poll() is not None, what="the consumer's queue")
        assert proc.poll() is None, proc.stdout.read().decode()
        yield proc
    finally:
        proc.terminate()
        proc.wait(15)


def effects(db, thing_id) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM effect WHERE thing_id = %s", (thing_id,))
        return cur.fetchone()["n"]


def make_thing(db) -> tuple[str, str]:
    """A change and its event, in one transaction."""
    thing_id = str(uuid.uuid4())
    with db.transaction() as cur:
        cur.execute("INSERT INTO thing (id, label) VALUES (%s, 'test')", (thing_id,))
        event_id = emit(cur, SERVICE, "thing_happened", {"thingId": thing_id})
    return thing_id, event_id


def relay_until_effect(relay: OutboxRelay, db, thing_id: str, what: str, timeout: float = 60.0) -> None:
    """Run the relay until the consumer has recorded the effect of the thing's event."""
    wait_for(lambda: relay.publish_pending() >= 0 and effects(db, thing_id) == 1, timeout=timeout, what=what)


def test_event_reaches_consumer_once(settings, db, consumer):
    thing_id, event_id = make_thing(db)
    relay = OutboxRelay(SERVICE, settings)
    relay_until_effect(relay, db, thing_id, "the effect")
    with db.transaction() as cur:
        cur.execute("SELECT published_at FROM outbox WHERE event_id = %s", (event_id,))
        assert cur.fetchone()["published_at"] is not None


def test_redelivered_event_changes_nothing(settings, db, consumer):
    thing_id, event_id = make_thing(db)
    relay = OutboxRelay(SERVICE, settings)
    relay_until_effect(relay, db, thing_id, "the first effect")
    with db.transaction() as cur:
        cur.execute("SELECT payload FROM outbox WHERE event_id = %s", (event_id,))
        payload = cur.fetchone()["payload"]
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    channel = conn.channel()
    for _ in range(2):  # the same event, as a broker redelivery or a relay crash after confirm would send it
        channel.basic_publish(exchange_name(SERVICE), "thing_happened", json.dumps(payload).encode(),
                              pika.BasicProperties(content_type="application/json", delivery_mode=2))
    conn.close()
    # A later event proves the duplicates were consumed before we look.
    marker, _ = make_thing(db)
    relay_until_effect(relay, db, marker, "the marker effect")
    time.sleep(1.0)
    assert effects(db, thing_id) == 1
    with db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM inbox WHERE event_id = %s", (event_id,))
        assert cur.fetchone()["n"] == 1


@pytest.mark.broker_restart
def test_event_written_while_broker_down_is_delivered_after_restart(settings, db, consumer):
    if os.environ.get("BSS_TEST_BROKER") == "container" or not shutil.which("rabbitmqctl"):
        pytest.skip("needs the local RabbitMQ and rabbitmqctl to stop and start it")
    relay = OutboxRelay(SERVICE, settings)
    relay.publish_pending()  # connect first, so the outage hits an established channel
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    try:
        wait_for(lambda: not broker_reachable(settings.amqp_uri), timeout=30, what="the broker to stop")
        thing_id, event_id = make_thing(db)
        assert relay.publish_pending() == 0
        with db.transaction() as cur:
            cur.execute("SELECT published_at, attempts FROM outbox WHERE event_id = %s", (event_id,))
            row = cur.fetchone()
        assert row["published_at"] is None and row["attempts"] == 1
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    wait_for(lambda: broker_reachable(settings.amqp_uri), timeout=60, what="the broker to start")
    relay_until_effect(relay, db, thing_id, "the effect after the broker came back", timeout=90)
    assert consumer.poll() is None


@pytest.fixture
def listener(settings):
    """A private queue bound to the service's exchange: what a consumer would receive."""
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    channel = conn.channel()
    channel.exchange_declare(exchange_name(SERVICE), exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange_name(SERVICE), routing_key="relay_tested")
    yield channel, queue
    conn.close()


def emit_events(db, n: int) -> list[str]:
    with db.transaction() as cur:
        return [emit(cur, SERVICE, "relay_tested", {"n": i}) for i in range(n)]


def outbox_rows(db, event_ids: list[str]) -> dict[str, dict]:
    with db.transaction() as cur:
        cur.execute("SELECT event_id::text, published_at, position, attempts FROM outbox "
                    "WHERE event_id = ANY(%s::uuid[])", (event_ids,))
        return {r["event_id"]: r for r in cur.fetchall()}


def test_a_batch_is_confirmed_and_each_event_carries_its_position(settings, db, listener):
    channel, queue = listener
    event_ids = emit_events(db, 5)
    with OutboxRelay(SERVICE, settings) as relay:
        relay.publish_all()
    received = {}
    for _ in range(5):
        method, _, body = channel.basic_get(queue, auto_ack=True)
        assert method is not None, "a confirmed event did not reach the queue"
        envelope = json.loads(body)
        received[envelope["eventId"]] = envelope["position"]
    assert set(received) == set(event_ids)
    rows = outbox_rows(db, event_ids)
    assert {e: rows[e]["position"] for e in event_ids} == received
    assert all(rows[e]["published_at"] is not None for e in event_ids)
    # Emitted in one transaction, in order: the relay gave them increasing positions.
    assert [received[e] for e in event_ids] == sorted(received.values())


def test_an_unreachable_broker_leaves_the_events_in_the_outbox(settings, db):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    nowhere = settings.model_copy(update={"amqp_uri": f"amqp://guest:guest@127.0.0.1:{port}/"})
    event_ids = emit_events(db, 3)
    with OutboxRelay(SERVICE, nowhere) as relay:
        relay.publish_pending()
        relay.report_backlog()
    rows = outbox_rows(db, event_ids)
    assert all(r["published_at"] is None and r["position"] is None and r["attempts"] >= 1 for r in rows.values())
    # What operations watch while the broker is down.
    assert REGISTRY.get_sample_value("bss_outbox_backlog_events") >= 3
    # The real broker takes them later; nothing was lost.
    with OutboxRelay(SERVICE, settings) as relay:
        relay.publish_all()
        relay.report_backlog()
    assert all(r["published_at"] is not None for r in outbox_rows(db, event_ids).values())
    assert REGISTRY.get_sample_value("bss_outbox_backlog_events") == 0
