"""The purge of the gateway's traces of people against the real PostgreSQL: what is older than its retention
goes, in batches, and the purge is audited; what is younger stays."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from gateway.app import retention
from gateway.app.settings import GatewaySettings
from tests.integration.test_gateway import gateway_db  # noqa: F401

pytestmark = pytest.mark.integration


def test_rows_past_their_retention_are_purged_in_batches_and_the_purge_is_audited(gateway_db,  # noqa: F811
                                                                                  monkeypatch):
    # Younger than the defaults' cut (1095 and 365 days), so that no gateway another test starts (each
    # purges on start) takes them first.
    now = datetime.now(timezone.utc)
    who = f"retention-{uuid.uuid4().hex[:8]}"
    with gateway_db.transaction() as cur:
        for days_ago in (300, 200, 10):
            at = now - timedelta(days=days_ago)
            cur.execute("""INSERT INTO pi_access (at, username, role, customer_no, purpose, address)
                           SELECT %s, %s, 'agent', 'C' || n, 'GET /api/v1/customers/{customerNo}', '10.0.0.1'
                           FROM generate_series(1, 5) n""", (at, who))
            cur.execute("INSERT INTO auth_event (at, username, address, outcome) VALUES (%s, %s, '10.0.0.1', 'success')",
                        (at, who))
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches for this table's rows
    purged = retention.purge(gateway_db, {"pi_access": 250, "auth_event": 180}, now)
    # This test's rows, and any others of that age a long-used database holds.
    assert purged["pi_access"] >= 5 and purged["auth_event"] >= 2
    with gateway_db.transaction() as cur:
        cur.execute("SELECT at FROM pi_access WHERE username = %s", (who,))
        assert sorted({now - r["at"] for r in cur.fetchall()}) == [timedelta(days=10), timedelta(days=200)]
        cur.execute("SELECT at FROM auth_event WHERE username = %s", (who,))
        assert [now - r["at"] for r in cur.fetchall()] == [timedelta(days=10)]
        cur.execute("""SELECT entity_key, changes FROM audit_log WHERE entity = 'retention' AND action = 'purged'
                       AND actor = %s AND changes->>'before' = %s ORDER BY id DESC""",
                    (retention.ACTOR, (now - timedelta(days=250)).isoformat()))
        audited = {r["entity_key"]: r["changes"] for r in cur.fetchall()}
    assert audited["pi_access"]["rows"] == purged["pi_access"] and audited["pi_access"]["retentionDays"] == 250
    # Nothing more to purge: nothing is deleted, nothing audited.
    assert retention.purge(gateway_db, {"pi_access": 250, "auth_event": 180}, now) == {"pi_access": 0, "auth_event": 0}
    with gateway_db.transaction() as cur:
        cur.execute("DELETE FROM pi_access WHERE username = %s", (who,))
        cur.execute("DELETE FROM auth_event WHERE username = %s", (who,))


def test_one_replica_purges_at_a_time(gateway_db):  # noqa: F811
    with gateway_db.transaction() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s)) AS got", (retention.LOCK,))
        assert cur.fetchone()["got"]
        # Another replica holds the purge: this one leaves it.
        assert retention.purge(gateway_db, {"pi_access": 300}) == {}


@pytest.mark.parametrize("setting", ["access_log_retention_days", "auth_event_retention_days"])
def test_a_retention_shorter_than_six_months_is_refused(setting):
    with pytest.raises(ValidationError, match="180"):
        GatewaySettings(**{setting: 90})
    assert getattr(GatewaySettings(**{setting: 180}), setting) == 180
