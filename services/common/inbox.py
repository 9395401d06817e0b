"""The consuming half: act on an event at most once.

`first_delivery` inserts the event id in the consumer's inbox inside the caller's transaction; if it
was already there the caller skips its effect, so a redelivered event changes nothing.
`InboxRecording` does the same for a use case written for a plain Database, without changing it.
"""
from __future__ import annotations

import contextlib


def first_delivery(cur, payload: dict) -> bool:
    cur.execute(
        "INSERT INTO inbox (event_id, source, event_type) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (payload["eventId"], payload.get("source", ""), payload.get("type", "")),
    )
    return cur.rowcount == 1


class AlreadyDelivered(Exception):
    """The event was acted on before: its effect must not happen twice."""


class InboxRecording:
    """Stands in for a Database when a use case runs on behalf of an event: its first transaction records
    the event in the inbox before the use case's own work, so the two commit together or not at all, and
    a redelivered event raises AlreadyDelivered there, before any effect. (Two deliveries at once: the
    second waits on the first's inbox row and then finds it.) Later transactions of the same use case
    run as they are, so a use case of one transaction gets the full guarantee."""

    def __init__(self, db, event: dict):
        self.db = db
        self.event = event
        self._recorded = False

    @contextlib.contextmanager
    def transaction(self):
        with self.db.transaction() as cur:
            recording = not self._recorded
            if recording and not first_delivery(cur, self.event):
                raise AlreadyDelivered(f"event {self.event['eventId']} was handled before")
            yield cur
        self._recorded = self._recorded or recording
