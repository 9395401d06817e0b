"""The outbox relay's throughput: how long it takes to publish N committed events to a durable queue,
confirmed by the broker. `python -m tests.bench.relay_bench [N]` (default 20,000)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pika

from services.common.db import connect
from services.common.migrate import migrate
from services.common.relay import OutboxRelay, exchange_name
from services.common.settings import get_settings

SERVICE = "relaybench"
QUEUE = "relaybench.sink"
MIGRATIONS = Path(__file__).resolve().parents[1] / "integration" / "platform" / "migrations"


def _fill_outbox(settings, n: int) -> None:
    with connect(settings.service_db_url(SERVICE), options=f"-c search_path={SERVICE}") as conn, \
            conn.cursor() as cur:
        cur.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
        cur.execute("""INSERT INTO outbox (event_id, event_type, payload)
                       SELECT gen_random_uuid(), 'bench_happened',
                              jsonb_build_object('eventId', gen_random_uuid(), 'type', 'bench_happened',
                                                 'source', %s, 'data', jsonb_build_object('n', i))
                         FROM generate_series(1, %s) i""", (SERVICE, n))


def _sink(settings, declare: bool) -> None:
    """A durable queue bound to the exchange, so the broker really stores what it confirms."""
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    channel = conn.channel()
    if declare:
        channel.exchange_declare(exchange_name(SERVICE), exchange_type="topic", durable=True)
        channel.queue_declare(QUEUE, durable=True)
        channel.queue_bind(QUEUE, exchange_name(SERVICE), routing_key="#")
        channel.queue_purge(QUEUE)
    else:
        channel.queue_delete(QUEUE)
    conn.close()


def run(n: int) -> dict:
    settings = get_settings()
    migrate(settings, SERVICE, MIGRATIONS)
    _sink(settings, declare=True)
    _fill_outbox(settings, n)
    with OutboxRelay(SERVICE, settings) as relay:
        started = time.perf_counter()
        published = relay.publish_all()
        seconds = time.perf_counter() - started
    _sink(settings, declare=False)
    return {"events": published, "seconds": round(seconds, 2), "eventsPerSecond": round(published / seconds)}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)))
