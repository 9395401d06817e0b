"""One gRPC server factory for every service: health and reflection, an interceptor that maps domain
errors to status codes and logs each call, readiness that follows the database, graceful stop; and
`build`/`run`, which make a service's server from its spec (services/common/service.py)."""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from concurrent import futures
from dataclasses import dataclass
from typing import Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from . import audit_grpc, calendar_grpc, metrics
from .db import Database
from .errors import REASON_METADATA_KEY, DomainError
from .gc_tuning import tune_for_serving
from .logs import correlation_id, setup_logging
from .service import ServiceSpec, load
from .settings import Settings, get_settings

log = logging.getLogger(__name__)
# Threads answering calls: one runs Python while another waits on PostgreSQL, about two a core. At 16
# they mostly took turns at the interpreter lock: a quarter more CPU per 360 view, measured.
WORKERS = 2 * (os.cpu_count() or 2)
# An error's message travels in a header (grpc-message, percent-encoded: a Chinese character takes nine
# bytes), and a client refuses headers over 8 KB with RESOURCE_EXHAUSTED instead of the error: a message
# quoting a pasted page of text is cut to what a person reads anyway.
MESSAGE_MAX = 500


class DomainErrorInterceptor(grpc.ServerInterceptor):
    """Domain errors become their status code; anything else is logged and becomes INTERNAL. For every
    kind of method (a file uploaded in chunks is client-streaming): an error in the middle of a stream
    ends it with its status."""

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return handler
        for kind, make, streams in _METHOD_KINDS:
            inner = getattr(handler, kind)
            if inner is not None:
                return make(_mapping(inner, handler_call_details.method, streams),
                            request_deserializer=handler.request_deserializer,
                            response_serializer=handler.response_serializer)
        return handler


# Each kind of method: the handler attribute holding it, the factory that wraps it, whether it answers
# with a stream.
_METHOD_KINDS = (("unary_unary", grpc.unary_unary_rpc_method_handler, False),
                 ("unary_stream", grpc.unary_stream_rpc_method_handler, True),
                 ("stream_unary", grpc.stream_unary_rpc_method_handler, False),
                 ("stream_stream", grpc.stream_stream_rpc_method_handler, True))


def _mapping(inner, method: str, streams: bool):
    """`inner` with its errors mapped: around the whole stream it answers, or around its one answer."""
    if streams:
        def stream(request, context):
            with _mapped_errors(method, context):
                yield from inner(request, context)
        return stream

    def call(request, context):
        with _mapped_errors(method, context):
            return inner(request, context)
    return call


@contextlib.contextmanager
def _mapped_errors(method: str, context):
    # A batched call (the gateway's coalesced views) carries the id of each request in it.
    token = correlation_id.set(",".join(v for k, v in context.invocation_metadata() if k == "x-correlation-id"))
    started = time.perf_counter()
    outcome = "OK"
    try:
        yield
    except DomainError as exc:
        outcome = exc.status.name
        context.set_trailing_metadata(((REASON_METADATA_KEY, exc.reason),))
        context.abort(exc.status, shortened(exc.message))
    except Exception:
        if context.code() is not None:  # already aborted on purpose
            raise
        outcome = "INTERNAL"
        log.exception("unhandled error", extra={"method": method})
        context.abort(grpc.StatusCode.INTERNAL, "internal error")
    finally:
        # A line per answered call cost the customer server a tenth of its CPU at a few hundred views a
        # second: answered calls are logged at DEBUG, failed ones at INFO.
        seconds = time.perf_counter() - started
        log.log(logging.DEBUG if outcome == "OK" else logging.INFO, "rpc",
                extra={"method": method, "code": outcome, "ms": round(seconds * 1000, 2)})
        metrics.RPC_HANDLED.labels(method, outcome).inc()
        metrics.RPC_SECONDS.labels(method).observe(seconds)
        correlation_id.reset(token)


def shortened(message: str) -> str:
    return message if len(message) <= MESSAGE_MAX else message[:MESSAGE_MAX - 1] + "…"


class Readiness:
    """Reports SERVING only while `check()` passes, re-checked every few seconds."""

    def __init__(self, health_servicer: health.HealthServicer, names: Iterable[str],
                 check: Callable[[], bool], interval: float = 5.0):
        self.health = health_servicer
        self.names = ["", *names]
        self.check = check
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="readiness")

    def start(self) -> None:
        self._set(self.check())
        self._thread.start()

    def _set(self, ok: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if ok else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in self.names:
            self.health.set(name, status)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._set(self.check())

    def stop(self) -> None:
        self._stop.set()
        self.health.enter_graceful_shutdown()


def create_server(register: Callable[[grpc.Server], Iterable[str]], check: Callable[[], bool],
                  address: str = "127.0.0.1:0", max_workers: int = WORKERS) -> tuple[grpc.Server, int, Readiness]:
    """Build (not start) a server; `register` adds the servicers and returns their full service names.
    Returns the server with the bound port, so tests can use port 0."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers),
                         interceptors=[DomainErrorInterceptor()],
                         options=[("grpc.so_reuseport", 0)])
    names = list(register(server))
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot bind gRPC server to {address}")
    return server, port, Readiness(health_servicer, names, check)


@dataclass
class ServiceServer:
    """A service's server, the port it is bound to, its readiness and its database pool."""
    server: grpc.Server
    port: int
    readiness: Readiness
    db: Database

    def start(self) -> None:
        self.server.start()
        self.readiness.start()

    def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, drain in-flight calls for `grace` seconds, close the pool."""
        self.readiness.stop()
        self.server.stop(grace).wait()
        self.db.close()


def build(spec: ServiceSpec, settings: Settings, address: str | None = None) -> ServiceServer:
    """The service's server wired to its database (its role and schema), on `address` or where its
    settings say it listens; beside the service's own, the working-day calendar and the audit trail every
    service offers on its schema (calendar_grpc.py, audit_grpc.py)."""
    db = Database(settings.service_db_url(spec.name), schema=spec.name, maxconn=settings.db_pool_max)
    register = load(spec.grpc)
    server, port, readiness = create_server(lambda s: [*register(s, settings, db), *calendar_grpc.register(s, db),
                                                       *audit_grpc.register(s, db)],
                                            check=db.ping,
                                            address=address or spec.grpc_address(settings))
    return ServiceServer(server, port, readiness, db)


def serve_forever(service: ServiceServer, grace: float = 5.0) -> None:
    """Start and block until SIGINT/SIGTERM, then drain in-flight calls for `grace` seconds."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    tune_for_serving()
    service.start()
    done.wait()
    service.stop(grace)


def run(spec: ServiceSpec) -> None:
    """A service's gRPC process: its settings, JSON logs, its server until SIGTERM."""
    settings = get_settings(spec.settings)
    setup_logging(f"{spec.name}-grpc", settings.log_level)
    metrics.serve(settings.metrics_port)
    service = build(spec, settings)
    log.info("gRPC server listening", extra={"service": spec.name, "port": service.port})
    serve_forever(service)
