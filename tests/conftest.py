"""Test settings: the local PostgreSQL and RabbitMQ by default, in databases and a virtual host of their
own so a demo running beside the tests is untouched; with BSS_TEST_CONTAINERS=1, throwaway containers
instead."""
from __future__ import annotations

import os

import pytest

TEST_DATABASES = {
    "BSS_DB_URL": "bss_test",
    "BSS_LEGACY_CMS_URL": "legacy_cms_test",
    "BSS_LEGACY_SMS_URL": "legacy_sms_test",
}


def _start_containers() -> tuple[str, str]:
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.community.rabbitmq import RabbitMqContainer

    pg = PostgresContainer("postgres:15", username="postgres", password="postgres", dbname="postgres")
    mq = RabbitMqContainer("rabbitmq:3.13-management")
    started: list = []
    try:
        for container in (pg, mq):
            container.start()
            started.append(container)
    except Exception:
        # pytest does not unconfigure after a failed configure: stop what this call started, or it outlives
        # us (and only that: the session's own containers may be running when a test calls this).
        for container in started:
            container.stop()
        raise
    _containers.extend(started)
    pg_base = f"postgresql://postgres:postgres@{pg.get_container_host_ip()}:{pg.get_exposed_port(5432)}"
    amqp = f"amqp://guest:guest@{mq.get_container_host_ip()}:{mq.get_exposed_port(5672)}/"
    return pg_base, amqp


_containers: list = []


def pytest_configure(config):
    # BSS_TEST_DB_TAG keeps two checkouts testing at once on one server out of each other's databases
    # and virtual hosts.
    tag = os.environ.get("BSS_TEST_DB_TAG", "")
    if os.environ.get("BSS_TEST_CONTAINERS") == "1":
        try:
            pg_base, amqp = _start_containers()
        except Exception as exc:  # noqa: BLE001 - docker raises many kinds of "no engine here"
            raise pytest.UsageError(f"BSS_TEST_CONTAINERS=1 needs a running Docker engine: {exc}") from None
        os.environ["BSS_AMQP_URI"] = amqp
        os.environ["BSS_TEST_BROKER"] = "container"
    else:
        pg_base = os.environ.get("BSS_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
    for var, name in TEST_DATABASES.items():
        os.environ[var] = f"{pg_base}/{name}{tag}"
    from tests.harness import free_port, own_vhost
    # A broker named in BSS_AMQP_URI is used as it is; otherwise the local one, in a host of our own
    # where rabbitmqctl can make it (else its default host).
    if os.environ.get("BSS_TEST_BROKER") != "container":
        if "BSS_AMQP_URI" in os.environ:
            os.environ["BSS_TEST_BROKER"] = "given"
        elif own_vhost(f"bss_test{tag}"):
            os.environ["BSS_AMQP_URI"] = f"amqp://guest:guest@127.0.0.1:5672/bss_test{tag}"
            os.environ["BSS_TEST_BROKER"] = "own-host"
    # A test starts the servers it talks to and names their ports; any peer it does not start must be down,
    # never the demo's servers on the default ports (a "down" peer answered there).
    for var in ("BSS_CUSTOMER_GRPC", "BSS_BILLING_GRPC", "BSS_DISPATCH_GRPC"):
        os.environ[var] = f"127.0.0.1:{free_port()}"
    os.environ.setdefault("BSS_MODE", "development")
    os.environ.setdefault("BSS_LOG_LEVEL", "WARNING")
    from services.common.settings import get_settings
    get_settings.cache_clear()


def _stop_containers() -> None:
    while _containers:
        _containers.pop().stop()


def pytest_unconfigure(config):
    _stop_containers()


@pytest.fixture(scope="session")
def settings():
    """The whole suite's settings (every service's and the gateway's fields), from the test environment."""
    from tests.harness import suite_settings
    return suite_settings()
