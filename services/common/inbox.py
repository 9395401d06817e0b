"""The consuming half: act on an event at most once.

`first_delivery` inserts the event id in the consumer's inbox inside the caller's transaction; if it
was already there the caller skips its effect, so a redelivered event changes nothing.
"""
from __future__ import annotations


def first_delivery(cur, payload: dict) -> bool:
    cur.execute(
        "INSERT INTO inbox (event_id, source, event_type) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (payload["eventId"], payload.get("source", ""), payload.get("type", "")),
    )
    return cur.rowcount == 1
