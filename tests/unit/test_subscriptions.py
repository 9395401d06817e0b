"""A subscription names its queue, bindings and dead letters once, for provisioning and the worker alike."""
import pytest

from services.common.consumer import SubscribedHandler
from services.common.service import load
from services.common.subscriptions import Subscription
from services.customer.subscriptions import BILLING, DISPATCH

SUB = Subscription(consumer="dispatch", source="customer", event_types=("service_ordered", "service_suspended"))


def test_one_durable_queue_per_consumer_and_source_bound_to_each_event_type():
    queue = SUB.queue()
    assert (queue.name, queue.durable, queue.auto_delete, queue.exclusive) == ("dispatch.customer", True, False, False)
    assert {(b.exchange.name, b.exchange.type, b.exchange.durable, b.routing_key) for b in queue.bindings} == {
        ("customer.events", "topic", True, "service_ordered"), ("customer.events", "topic", True, "service_suspended")}
    dead = queue.queue_arguments["x-dead-letter-routing-key"]
    assert dead == SUB.dead_letter_queue().name == "dispatch.customer.dead"


def test_a_service_declares_its_subscriptions_in_its_spec():
    from services.customer.service import SPEC
    assert load(SPEC.subscriptions) == (BILLING, DISPATCH)


def test_a_handler_for_an_event_type_the_subscription_does_not_bind_is_refused():
    with pytest.raises(ValueError, match="no binding"):
        SubscribedHandler(SUB, "customer_created")
