"""The publishing half of the outbox: move committed events to RabbitMQ with publisher confirms.

A batch of rows is sent at once and the broker's confirms are awaited once for the whole batch
(publisher.py). A row is stamped published only after the broker confirmed it, so a broker outage
delays events but never loses them; a crash between confirm and stamp re-publishes, which the consumers' inbox
absorbs. Run one relay per service: `python -m services.common.relay <service>`.
"""
from __future__ import annotations

import json
import logging
import select
import signal
import sys
import threading
import time

import pika
import pika.exceptions
import psycopg2

from . import metrics
from .db import connect
from .logs import setup_logging
from .publisher import BatchPublisher, Message, Outcome
from .settings import Settings, get_settings

log = logging.getLogger(__name__)

BATCH = 500
BACKLOG_SECONDS = 10.0


def exchange_name(service: str) -> str:
    return f"{service}.events"


class OutboxRelay:
    def __init__(self, service: str, settings: Settings, poll_seconds: float = 2.0):
        self.service = service
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self.publisher = BatchPublisher(settings.amqp_uri, exchange_name(service))
        self._db = None
        self._backlog_due = 0.0

    def close(self) -> None:
        self.publisher.close()

    def __enter__(self) -> "OutboxRelay":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- database -----------------------------------------------------------------------------
    def _db_ready(self):
        if self._db is None or self._db.closed:
            self._db = connect(self.settings.service_db_url(self.service),
                               options=f"-c search_path={self.service},public")
        return self._db

    def publish_pending(self) -> int:
        """Publish one batch of unpublished events; returns how many the broker confirmed.

        Each event goes out with its position (see the outbox_position migration) added to the envelope."""
        conn = self._db_ready()
        with conn:  # one transaction: the rows stay locked until stamped
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT id, event_id, event_type, payload FROM outbox WHERE published_at IS NULL "
                    "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED", (BATCH,))
                rows = cur.fetchall()
                if not rows:
                    return 0
                cur.execute("SELECT nextval('outbox_position') FROM generate_series(1, %s)", (len(rows),))
                positions = sorted(p for (p,) in cur.fetchall())
                try:
                    outcome = self.publisher.publish([
                        self._message(event_id, event_type, payload, position)
                        for (_, event_id, event_type, payload), position in zip(rows, positions)])
                except (pika.exceptions.AMQPError, OSError) as exc:
                    self.publisher.close()
                    outcome = Outcome(error=str(exc) or type(exc).__name__)
                confirmed = set(outcome.confirmed)
                if confirmed:
                    cur.execute("""UPDATE outbox o SET published_at = now(), position = c.position
                                     FROM unnest(%s::bigint[], %s::bigint[]) AS c(id, position)
                                    WHERE o.id = c.id""",
                                ([rows[i][0] for i in confirmed], [positions[i] for i in confirmed]))
                if outcome.error:
                    cur.execute(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = %s WHERE id = ANY(%s)",
                        (outcome.error[:500], [r[0] for i, r in enumerate(rows) if i not in confirmed]))
                    log.warning("broker unavailable; events kept in the outbox",
                                extra={"service": self.service, "error": outcome.error})
        return len(confirmed)

    def publish_all(self) -> int:
        """Publish batch after batch until none is left or the broker stops confirming; returns how many."""
        total = 0
        while published := self.publish_pending():
            total += published
        return total

    def _message(self, event_id, event_type: str, payload: dict, position: int) -> Message:
        return Message(
            routing_key=event_type,
            body=json.dumps({**payload, "position": position}, ensure_ascii=False).encode("utf-8"),
            properties=pika.BasicProperties(
                content_type="application/json", content_encoding="utf-8",
                delivery_mode=pika.DeliveryMode.Persistent, message_id=str(event_id),
                headers={"nameko.call_id_stack": [f"{self.service}.outbox.{event_id}"]},
            ))

    def run(self) -> None:
        backoff = 1.0
        listening = None
        while not self.stopping.is_set():
            try:
                if listening is None or listening.closed:
                    listening = connect(self.settings.service_db_url(self.service))
                    listening.autocommit = True
                    listening.cursor().execute(f"LISTEN outbox_{self.service}")
                n = self.publish_pending()
                # While a burst drains too, or the gauge would show the backlog from before it.
                self.report_backlog()
                if n:
                    log.info("events published", extra={"service": self.service, "count": n})
                    metrics.OUTBOX_PUBLISHED.inc(n)
                    backoff = 1.0
                    continue
                if not self.publisher.connected and self._has_pending():
                    # The broker is down: wait a little longer each time, up to 30 s.
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                ready, _, _ = select.select([listening], [], [], self.poll_seconds)
                if ready:
                    listening.poll()
                    listening.notifies.clear()
                self.publisher.keep_alive()
            except psycopg2.Error as exc:
                log.warning("database unavailable", extra={"service": self.service, "error": str(exc)})
                self._db = listening = None
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)
            except (pika.exceptions.AMQPError, OSError) as exc:
                self.publisher.close()
                log.warning("broker connection lost", extra={"service": self.service, "error": str(exc)})
        self.publisher.close()

    def report_backlog(self) -> None:
        """What is left to publish, for the metrics, at most once per BACKLOG_SECONDS (a count of the
        unpublished index: cheap while the broker keeps up, and the figure to watch while it does not)."""
        if time.monotonic() < self._backlog_due:
            return
        self._backlog_due = time.monotonic() + BACKLOG_SECONDS
        with self._db_ready() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            metrics.OUTBOX_BACKLOG.set(cur.fetchone()[0])

    def _has_pending(self) -> bool:
        with self._db_ready() as conn, conn.cursor() as cur:
            cur.execute("SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL)")
            return cur.fetchone()[0]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit("usage: python -m services.common.relay <service>")
    settings = get_settings()
    setup_logging(f"{argv[0]}-relay", settings.log_level)
    metrics.serve(settings.metrics_port)
    relay = OutboxRelay(argv[0], settings)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: relay.stopping.set())
    log.info("outbox relay started", extra={"service": argv[0]})
    relay.run()


if __name__ == "__main__":
    main()
