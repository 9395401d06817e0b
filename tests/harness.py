"""What every service's tests share: a free port, settings that serve the whole suite, a service's
database migrated from its spec, its real gRPC server on a free port, and events published as a relay does."""
from __future__ import annotations

import contextlib
import json
import socket
import subprocess
from typing import Iterator

import pika

from gateway.app.settings import GatewaySettings
from services.common.grpc_server import build
from services.common.migrate import migrate_service
from services.common.relay import exchange_name
from services.common.service import ServiceSpec
from services.common.settings import get_settings
from services.registry import SERVICES


class SuiteSettings(*(spec.settings for spec in SERVICES), GatewaySettings):
    """Every service's and the gateway's settings in one object, as the tests run them side by side."""


def suite_settings() -> SuiteSettings:
    return get_settings(SuiteSettings)


def own_vhost(name: str) -> bool:
    """A virtual host of the tests' own on the local broker, made anew, so that nothing an earlier run left
    in its durable queues reaches this one: on the default host, a demo's workers took the tests' events
    from the queues both declare (and would have applied them to the demo's data). Made with rabbitmqctl,
    which needs the broker to be this machine's; False when it cannot be."""
    try:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True, timeout=60)  # if any
        for args in (["add_vhost", name], ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]):
            subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def service_server(spec: ServiceSpec, settings) -> Iterator[int]:
    """The service provisioned and migrated, and its real gRPC server on a free port; yields the port."""
    migrate_service(settings, spec)
    server = build(spec, settings, address="127.0.0.1:0")
    server.start()
    try:
        yield server.port
    finally:
        server.stop(0)


def publish_as_relay(settings, event: dict) -> None:
    """An event envelope (services/common/outbox.envelope) published, with a confirm, to its source's
    exchange, as that service's relay would: how a test feeds a consumer another service's event."""
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    try:
        channel = conn.channel()
        channel.confirm_delivery()
        channel.basic_publish(exchange_name(event["source"]), event["type"], json.dumps(event).encode(),
                              pika.BasicProperties(content_type="application/json", delivery_mode=2), mandatory=True)
    finally:
        conn.close()
