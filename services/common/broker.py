"""Is RabbitMQ there? One probe for the gateway's health, the suite's start-up check and the tests."""
from __future__ import annotations

import pika

PROBE_TIMEOUT_SECONDS = 3.0


def broker_problem(amqp_uri: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> str | None:
    """None when a connection opens within `timeout` seconds, otherwise why not, in a few words."""
    try:
        params = pika.URLParameters(amqp_uri)
        params.connection_attempts = 1
        params.socket_timeout = params.blocked_connection_timeout = min(2.0, timeout)
        params.stack_timeout = timeout
        pika.BlockingConnection(params).close()
        return None
    except Exception as exc:  # noqa: BLE001 - pika raises many unrelated types (IndexError for a bad URI)
        return f"{type(exc).__name__} {exc}".strip()


def broker_reachable(amqp_uri: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> bool:
    return broker_problem(amqp_uri, timeout) is None
