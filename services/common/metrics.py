"""What an operations team scrapes from every process (Prometheus text format, prometheus_client): the calls
each gRPC server answers and how long they take, the gateway's requests by route, the events each worker
handles and what each relay has still to publish. Served on a port of its own (BSS_METRICS_PORT), never on
the gateway's public one; 0 serves nothing (`make run`, whose processes share one host, and the tests).

Names follow Prometheus' conventions: a unit suffix, `_total` for counters, labels of bounded cardinality
(a route template, never a path with a customer number in it)."""
from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

# Buckets around what is measured: a 360 view answers in milliseconds, a billing run's call in minutes.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

RPC_HANDLED = Counter("bss_grpc_server_handled_total", "gRPC calls answered, by method and status code",
                      ["method", "code"])
RPC_SECONDS = Histogram("bss_grpc_server_handling_seconds", "Time to answer a gRPC call", ["method"],
                        buckets=LATENCY_BUCKETS)
HTTP_REQUESTS = Counter("bss_http_requests_total", "Gateway requests answered, by route template and status",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("bss_http_request_duration_seconds", "Time for the gateway to answer a request",
                         ["method", "route"], buckets=LATENCY_BUCKETS)
EVENTS_HANDLED = Counter("bss_events_handled_total", "Events a worker took from the broker, by type and outcome",
                         ["event_type", "outcome"])
OUTBOX_PUBLISHED = Counter("bss_outbox_published_total", "Events a relay published to the broker")
OUTBOX_BACKLOG = Gauge("bss_outbox_backlog_events", "Events in the outbox not yet published (a relay's last look)")


def serve(port: int) -> None:
    """Serve this process's metrics on `port` (0: not at all), on every interface, as a container's port."""
    if port:
        start_http_server(port)
        log.info("metrics served", extra={"metricsPort": port})
