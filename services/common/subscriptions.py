"""A consuming service's durable queues, declared when the service is provisioned, before any worker.

A consuming service lists what it handles as a tuple of Subscriptions named by its spec (`subscriptions`):
one per source service, naming the event types it handles. Provisioning (migrate_service) declares,
idempotently, the source's topic exchange `<source>.events` (as nameko and the relay declare it), the
durable queue `<consumer>.<source>` with one binding per event type, and the queue's dead letters
`<consumer>.<source>.dead` (events no handler could take, kept for a person to look at). An event
published while the consumer's worker has never run waits in its queue; nameko alone would declare a
queue only when a worker starts. The worker's handlers consume that queue (consumer.py).

Declaring only adds: a binding for an event type dropped from a subscription stays until an operator
removes it (`rabbitmqadmin delete binding ...`); its events then go to the dead letters.
"""
from __future__ import annotations

from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding

from .relay import exchange_name
from .settings import Settings


@dataclass(frozen=True)
class Subscription:
    consumer: str
    source: str
    event_types: tuple[str, ...]

    @property
    def queue_name(self) -> str:
        return f"{self.consumer}.{self.source}"

    @property
    def dead_letter_queue_name(self) -> str:
        return f"{self.queue_name}.dead"

    def queue(self) -> Queue:
        """The queue as both provisioning and the worker declare it (any difference would make RabbitMQ
        refuse the second declaration)."""
        exchange = Exchange(exchange_name(self.source), type="topic", durable=True)
        return Queue(self.queue_name, durable=True,
                     bindings=[binding(exchange, routing_key=t) for t in self.event_types],
                     queue_arguments={"x-dead-letter-exchange": "",
                                      "x-dead-letter-routing-key": self.dead_letter_queue_name})

    def dead_letter_queue(self) -> Queue:
        return Queue(self.dead_letter_queue_name, durable=True)


def declare(settings: Settings, subscriptions: tuple[Subscription, ...]) -> None:
    if not subscriptions:
        return
    with Connection(settings.amqp_uri, connect_timeout=10) as conn:
        channel = conn.channel()
        for sub in subscriptions:
            sub.dead_letter_queue()(channel).declare()
            sub.queue()(channel).declare()
