"""BSS_TEST_CONTAINERS=1: a container that fails to start does not leave the others running."""
from __future__ import annotations

import pytest
import testcontainers.community.postgres as tc_postgres
import testcontainers.community.rabbitmq as tc_rabbitmq

from tests import conftest


class FakeContainer:
    def __init__(self, *args, fail: bool = False, **kwargs):
        self.fail = fail
        self.running = False

    def start(self):
        if self.fail:
            raise ConnectionError("no engine")
        self.running = True

    def stop(self):
        self.running = False


def test_a_failed_start_stops_the_containers_already_started(monkeypatch):
    started: list[FakeContainer] = []

    def make(fail):
        def factory(*args, **kwargs):
            started.append(FakeContainer(fail=fail))
            return started[-1]
        return factory

    session_containers = list(conftest._containers)  # the run's own, under BSS_TEST_CONTAINERS=1
    monkeypatch.setattr(tc_postgres, "PostgresContainer", make(False))
    monkeypatch.setattr(tc_rabbitmq, "RabbitMqContainer", make(True))
    with pytest.raises(ConnectionError):
        conftest._start_containers()
    assert [c.running for c in started] == [False, False]
    assert conftest._containers == session_containers  # and the run's own were left alone
