"""A demo (`make run`) beside the tests is untouched and touches nothing of theirs (tests/conftest.py): their
events stay in a virtual host of their own on the local broker, where the demo's workers took them from the
queues both declare (a test then timed out waiting for the work order its event should have made); and a
peer a test does not start is down, where the demo's servers answered on the default ports (a test of a
peer being down saw it up)."""
import os
import shutil
from urllib.parse import urlsplit

import pika
import pytest

from gateway.app.settings import GatewaySettings
from services.common.outbox import envelope
from services.common.relay import exchange_name
from tests.harness import publish_as_relay


def _queue_on(uri: str, exchange: str, routing_key: str):
    conn = pika.BlockingConnection(pika.URLParameters(uri))
    channel = conn.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange, routing_key)
    return conn, channel, queue


def test_an_event_of_the_tests_never_reaches_the_default_host(settings):
    if os.environ.get("BSS_TEST_BROKER") in ("container", "given") or not shutil.which("rabbitmqctl"):
        pytest.skip("the broker is a container or named in BSS_AMQP_URI: used as it is")
    vhost = urlsplit(settings.amqp_uri).path.lstrip("/")
    assert vhost, f"the tests share the local broker's default host: {settings.amqp_uri}"
    default_host = settings.amqp_uri.rsplit("/", 1)[0] + "/"
    exchange = exchange_name("customer")
    demo_conn, demo_channel, demo_queue = _queue_on(default_host, exchange, "customer_created")
    test_conn, test_channel, test_queue = _queue_on(settings.amqp_uri, exchange, "customer_created")
    try:
        event = envelope("customer", "customer_created", {"customerNo": "C-ISOLATION"})
        publish_as_relay(settings, event)
        received = None
        for _ in range(50):
            method, _, body = test_channel.basic_get(test_queue, auto_ack=True)
            if method:
                received = body
                break
            test_conn.sleep(0.1)
        assert received is not None and b"C-ISOLATION" in received
        method, _, _ = demo_channel.basic_get(demo_queue, auto_ack=True)
        assert method is None, "the tests' event reached the default host, where a demo's workers listen"
    finally:
        demo_conn.close()
        test_conn.close()


def test_a_peer_no_test_started_is_not_on_the_default_ports(settings):
    defaults = GatewaySettings.model_fields
    for peer in ("customer_grpc", "billing_grpc", "dispatch_grpc"):
        assert getattr(settings, peer) != defaults[peer].default, f"{peer} is the demo's address"
