"""How the batch publisher reads the broker's answers: one ack may confirm many messages (multiple=True),
a nack confirms none, and only what was acked comes back as confirmed."""
from types import SimpleNamespace

from pika import spec

from services.common.publisher import BatchPublisher


def publisher_waiting_for(n: int) -> BatchPublisher:
    p = BatchPublisher("amqp://guest:guest@127.0.0.1:1/", "x.events")
    p._outstanding = {tag: tag - 1 for tag in range(1, n + 1)}
    return p


def answer(p: BatchPublisher, method) -> None:
    p._on_confirm(SimpleNamespace(method=method))


def test_one_ack_with_multiple_confirms_every_message_up_to_its_tag():
    p = publisher_waiting_for(5)
    answer(p, spec.Basic.Ack(delivery_tag=3, multiple=True))
    assert sorted(p._outcome.confirmed) == [0, 1, 2] and sorted(p._outstanding) == [4, 5]
    answer(p, spec.Basic.Ack(delivery_tag=5, multiple=False))
    answer(p, spec.Basic.Ack(delivery_tag=4, multiple=False))
    assert sorted(p._outcome.confirmed) == [0, 1, 2, 3, 4] and not p._outstanding
    assert p._outcome.error is None


def test_a_nacked_message_is_answered_but_not_confirmed():
    p = publisher_waiting_for(3)
    answer(p, spec.Basic.Nack(delivery_tag=2, multiple=True))
    answer(p, spec.Basic.Ack(delivery_tag=3, multiple=False))
    assert p._outcome.confirmed == [2] and not p._outstanding
    assert "nack" in p._outcome.error
