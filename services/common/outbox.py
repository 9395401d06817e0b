"""The writing half of the transactional outbox: record an event in the caller's transaction.

Events are past-tense facts (`customer_created`); the envelope is what every consumer receives:
{"eventId", "type", "source", "occurredAt", "data", "position"}. The relay adds "position" when it
publishes (migrations/0001.outbox-position.sql): a consumer that built its copy from an export reflecting
position P applies only events with a greater position. Positions order events against such a snapshot;
they are neither gapless nor the order of delivery, and an event already reflected may come with a greater
position, so applying an event must be idempotent (the inbox, or setting the state the event names).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from psycopg2.extras import Json, execute_values


def envelope(source: str, event_type: str, data: dict, event_id: uuid.UUID | None = None) -> dict:
    return {
        "eventId": str(event_id or uuid.uuid4()),
        "type": event_type,
        "source": source,
        "occurredAt": datetime.now(timezone.utc).isoformat(),
        "data": data,
    }


def emit(cur, source: str, event_type: str, data: dict) -> str:
    """Write the event in the current transaction; the relay publishes it after commit."""
    return emit_many(cur, source, [(event_type, data)])[0]


def emit_many(cur, source: str, events: list[tuple[str, dict]]) -> list[str]:
    """Write (event_type, data) events in one statement and wake the relay once: what a batch job that
    changed many records uses instead of a round trip per event."""
    envelopes = [envelope(source, event_type, data) for event_type, data in events]
    if envelopes:
        execute_values(cur, "INSERT INTO outbox (event_id, event_type, payload) VALUES %s",
                       [(env["eventId"], env["type"], Json(env)) for env in envelopes])
        cur.execute(f"NOTIFY outbox_{source}")
    return [env["eventId"] for env in envelopes]
