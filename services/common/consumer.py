"""The nameko entry point for a provisioned subscription: `@subscribed(SUBSCRIPTION, "event_type")`.

It consumes the queue provisioning declared (`<consumer>.<source>`, subscriptions.py) instead of one
nameko would name (`evt-...`) and declare only when the worker starts, so events published before the
worker first ran are waiting for it. Every handler of one subscription shares its queue, so one AMQP
consumer per queue hands each message to the handler of its event type (two consumers on one queue
would each get every other message, whatever its type).

What happens to an event: the handler returns, it is acked; the database or a legacy system is out of
reach, it is requeued after a pause and tried again; anything else is logged and dead-lettered to
`<queue>.dead`, so one bad event neither loops for ever nor is lost. A handler acts on an event at most
once through the inbox (inbox.py), since a requeued or republished event comes again.
"""
from __future__ import annotations

import json
import logging
from functools import partial

import eventlet
import psycopg2
from nameko.events import EventHandler
from nameko.messaging import Consumer, QueueConsumer

from . import metrics
from .errors import Unavailable
from .subscriptions import Subscription

log = logging.getLogger(__name__)

RETRY_PAUSE_S = 2.0
TRANSIENT = (psycopg2.OperationalError, psycopg2.InterfaceError, Unavailable)


class _QueueRouter(QueueConsumer):
    """One consumer per queue, routing each message by its routing key (the event type)."""

    def get_consumers(self, consumer_cls, channel):
        by_queue: dict[str, list[SubscribedHandler]] = {}
        for provider in self._providers:
            by_queue.setdefault(provider.queue.name, []).append(provider)
        consumers = []
        for providers in by_queue.values():
            routes = {p.event_type: p for p in providers}
            consumer = consumer_cls(queues=[providers[0].queue], callbacks=[partial(self._route, routes)],
                                    accept=self.accept)
            consumer.qos(prefetch_count=self.prefetch_count)
            # nameko keeps one consumer per provider; sharing one means stopping any stops the queue's
            # consumer, which only happens when the whole worker stops.
            self._consumers.update({p: consumer for p in providers})
            consumers.append(consumer)
        return consumers

    def _route(self, routes, body, message):
        provider = routes.get(message.delivery_info["routing_key"])
        if isinstance(body, (str, bytes)):  # published without a content type; an envelope is JSON all the same
            try:
                body = json.loads(body)
            except ValueError:
                pass
        if provider is None or not isinstance(body, dict):
            _dead_letter(message, "no handler for this event type" if provider is None else "not a JSON object")
            return
        self.handle_message(provider, body, message)

    def on_decode_error(self, message, exc):
        # kombu only logs it, leaving the message unacknowledged to come back at every reconnection.
        _dead_letter(message, f"undecodable body: {exc}")


def _dead_letter(message, why: str) -> None:
    log.error("event dead-lettered: %s", why, extra={"routingKey": message.delivery_info.get("routing_key")})
    metrics.EVENTS_HANDLED.labels(message.delivery_info.get("routing_key", ""), "dead-lettered").inc()
    message.reject(requeue=False)


class SubscribedHandler(EventHandler):
    queue_consumer = _QueueRouter()

    def __init__(self, subscription: Subscription, event_type: str, **kwargs):
        if event_type not in subscription.event_types:
            raise ValueError(f"{event_type!r} is not in the subscription of {subscription.consumer} "
                             f"to {subscription.source}, so no binding brings it to the queue")
        self.subscription = subscription
        super().__init__(subscription.source, event_type, **kwargs)

    def setup(self):
        self.queue = self.subscription.queue()
        Consumer.setup(self)  # not EventHandler.setup, which would name and declare a queue of its own

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            outcome = "handled"
        elif isinstance(exc_info[1], TRANSIENT):
            eventlet.sleep(RETRY_PAUSE_S)
            self.queue_consumer.requeue_message(message)
            outcome = "retried"
        elif message.channel.connection:
            log.error("event handler failed; dead-lettered", exc_info=exc_info,
                      extra={"queue": self.queue.name, "eventType": self.event_type})
            message.reject(requeue=False)
            outcome = "dead-lettered"
        else:
            outcome = "connection-lost"  # the broker gives it again to the next consumer
        metrics.EVENTS_HANDLED.labels(self.event_type, outcome).inc()


subscribed = SubscribedHandler.decorator
