"""Publish a batch of messages to one exchange and wait once for the broker's confirms of all of them.

pika's BlockingChannel in confirm mode waits for each message's confirm before it sends the next, so a
batch costs one round trip (and, for a durable queue, one disk sync on the broker) per message. This
drives pika's asynchronous channel instead: the whole batch is sent, then the broker's acks (one ack may
cover many messages, `multiple=True`) are collected until every message is answered or the time is up.
Only the messages the broker acked come back as confirmed; after anything less the connection is
dropped, so a late confirm can never be taken for a later batch's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import pika
import pika.exceptions
from pika import spec


@dataclass(frozen=True)
class Message:
    routing_key: str
    body: bytes
    properties: pika.BasicProperties


@dataclass
class Outcome:
    confirmed: list[int] = field(default_factory=list)  # indexes into the batch, in order
    error: str | None = None  # why the others are not confirmed


class BatchPublisher:
    def __init__(self, amqp_uri: str, exchange: str, timeout: float = 30.0):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.timeout = timeout
        self._conn: pika.SelectConnection | None = None
        self._channel = None
        self._ready = False
        self._failure: Exception | None = None
        self._until: Callable[[], bool] | None = None
        self._driving: pika.SelectConnection | None = None
        self._next_tag = 1
        self._outstanding: dict[int, int] = {}  # delivery tag -> index in the batch
        self._outcome = Outcome()

    @property
    def connected(self) -> bool:
        return self._ready

    def publish(self, messages: Sequence[Message]) -> Outcome:
        """Send every message, then wait for the broker's answers; raises AMQPError if it cannot connect."""
        if not self._ready:
            self._connect()
        self._outcome = Outcome()
        self._outstanding = {}
        for index, m in enumerate(messages):
            self._channel.basic_publish(self.exchange, m.routing_key, m.body, m.properties)
            self._outstanding[self._next_tag] = index
            self._next_tag += 1
        self._run_until(lambda: not self._outstanding, self.timeout)
        outcome = self._outcome
        outcome.confirmed.sort()
        if self._outstanding:
            outcome.error = outcome.error or str(self._failure or f"no confirm within {self.timeout} s")
            self.close()
        return outcome

    def keep_alive(self) -> None:
        """Let the connection answer heartbeats and notice a lost broker while there is nothing to send."""
        if self._conn is not None:
            self._run_until(lambda: False, 0)

    def close(self) -> None:
        conn, self._conn, self._channel, self._ready = self._conn, None, None, False
        if conn is None:
            return
        if not (conn.is_closed or conn.is_closing):
            try:
                conn.close()
            except pika.exceptions.ConnectionWrongStateError:
                pass  # still opening: nothing to close politely
            self._drive(conn, lambda: conn.is_closed, 5.0)
        conn.ioloop.close()

    # -- the asynchronous connection, driven only from inside publish, keep_alive and close -------
    def _connect(self) -> None:
        self.close()
        params = pika.URLParameters(self.amqp_uri)
        params.connection_attempts = 1
        params.socket_timeout = 5
        self._failure = None
        self._next_tag = 1
        self._conn = pika.SelectConnection(params, on_open_callback=self._on_open,
                                           on_open_error_callback=self._on_failure,
                                           on_close_callback=self._on_failure)
        self._run_until(lambda: self._ready, 10.0)
        if not self._ready:
            failure = self._failure
            self.close()
            if isinstance(failure, pika.exceptions.AMQPError):
                raise failure
            raise pika.exceptions.AMQPConnectionError(str(failure or "no connection within 10 s"))

    def _on_open(self, conn) -> None:
        conn.channel(on_open_callback=self._on_channel)

    def _on_channel(self, channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_failure)
        # Same declaration as nameko's event dispatcher, so either side may create the exchange first.
        channel.confirm_delivery(self._on_confirm, callback=lambda _: channel.exchange_declare(
            self.exchange, exchange_type="topic", durable=True, callback=self._on_declared))

    def _on_declared(self, _frame) -> None:
        self._ready = True
        self._wake()

    def _on_failure(self, _source, reason) -> None:
        self._ready = False
        self._failure = reason if isinstance(reason, Exception) else pika.exceptions.AMQPError(str(reason))
        self._wake(stop=True)

    def _on_confirm(self, frame) -> None:
        method = frame.method
        tags = ([t for t in self._outstanding if t <= method.delivery_tag] if method.multiple
                else [method.delivery_tag])
        acked = isinstance(method, spec.Basic.Ack)
        for tag in tags:
            index = self._outstanding.pop(tag, None)
            if index is None:
                continue
            if acked:
                self._outcome.confirmed.append(index)
            else:
                self._outcome.error = "the broker refused (nack) some messages"
        self._wake()

    def _wake(self, stop: bool = False) -> None:
        if self._driving is not None and (stop or self._until is None or self._until()):
            self._driving.ioloop.stop()

    def _run_until(self, done: Callable[[], bool], timeout: float) -> None:
        self._drive(self._conn, done, timeout)

    def _drive(self, conn, done: Callable[[], bool], timeout: float) -> None:
        """Run the connection's I/O loop until `done()`, a failure, or `timeout` seconds."""
        if conn is None or (done() and timeout > 0):
            return
        self._until, self._driving = done, conn
        timer = conn.ioloop.call_later(timeout, conn.ioloop.stop)
        try:
            conn.ioloop.start()
        finally:
            conn.ioloop.remove_timeout(timer)
            self._until = self._driving = None
