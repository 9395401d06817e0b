"""The relay against the real PostgreSQL and RabbitMQ: a batch goes out with one wait for its confirms,
each event carries its position, and an unreachable broker leaves every event in the outbox."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import pika
import pytest

from services.common.db import Database
from services.common.migrate import migrate
from services.common.outbox import emit
from services.common.relay import OutboxRelay, exchange_name

pytestmark = pytest.mark.integration
SERVICE = "platformtest"


@pytest.fixture(scope="module")
def db(settings):
    migrate(settings, SERVICE, Path(__file__).parent / "platform" / "migrations")
    database = Database(settings.service_db_url(SERVICE), schema=SERVICE)
    yield database
    database.close()


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
    relay = OutboxRelay(SERVICE, settings)
    try:
        while relay.publish_pending():
            pass
    finally:
        relay.close()
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
    relay = OutboxRelay(SERVICE, nowhere)
    try:
        relay.publish_pending()
    finally:
        relay.close()
    rows = outbox_rows(db, event_ids)
    assert all(r["published_at"] is None and r["position"] is None and r["attempts"] >= 1 for r in rows.values())
    # The real broker takes them later; nothing was lost.
    relay = OutboxRelay(SERVICE, settings)
    try:
        while relay.publish_pending():
            pass
    finally:
        relay.close()
    assert all(r["published_at"] is not None for r in outbox_rows(db, event_ids).values())
