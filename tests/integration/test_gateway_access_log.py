"""The personal data access log's writer against the real PostgreSQL: batched, kept while the database is
away, bounded."""
from __future__ import annotations

import uuid

import pytest

from gateway.app import access_log
from gateway.app.access_log import AccessLog
from gateway.app.auth import Role, User
from services.common.db import Database
from tests.integration.test_gateway import gateway_db  # noqa: F401

pytestmark = pytest.mark.integration
CLERK = User("counter", Role.COUNTER)


def test_views_are_written_in_one_batch_newest_first_when_read(gateway_db):  # noqa: F811
    log = AccessLog(gateway_db)
    customer_no = f"C{uuid.uuid4().int % 10**9}"
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        log.record(CLERK, customer_no, "GET /api/v1/customers/{customerNo}", address)
    assert log.flush() == 3 and log.flush() == 0
    rows, total = access_log.accesses(gateway_db, customer_no, 0, 2)
    assert total == 3 and [r["address"] for r in rows] == ["10.0.0.3", "10.0.0.2"]
    assert {(r["username"], r["role"]) for r in rows} == {("counter", "counter")}


def test_entries_wait_while_the_database_refuses_them_and_the_oldest_go_past_the_bound(settings, gateway_db,  # noqa: F811
                                                                                 monkeypatch):
    # A database that refuses the batch: connected, but where no pi_access table is.
    refusing = Database(settings.service_db_url("gateway"), schema="public", maxconn=1)
    log = AccessLog(refusing)
    monkeypatch.setattr(access_log, "MAX_PENDING", 3)
    customer_no = f"C{uuid.uuid4().int % 10**9}"
    for n in range(5):
        log.record(CLERK, customer_no, "GET /api/v1/customers/{customerNo}", f"10.0.0.{n}")
    with pytest.raises(Exception):
        log.flush()
    assert [e[5] for e in log.pending] == ["10.0.0.2", "10.0.0.3", "10.0.0.4"] and log.dropped == 2
    refusing.close()
    log.db = gateway_db  # the database is back
    assert log.flush() == 3 and log.dropped == 0
    assert access_log.accesses(gateway_db, customer_no, 0, 10)[1] == 3
