"""A service from its spec alone, against the real PostgreSQL and RabbitMQ: provisioned and migrated in a
fresh database and in one migrated before the audit trail was shared, its gRPC server on port 0 with
health and reflection, and the shared audit trail in its schema."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from bss.common.v1 import audit_pb2, audit_pb2_grpc
from services.common.audit import audit
from services.common.broker import broker_problem, broker_reachable
from services.common.db import Database
from services.common.migrate import migrate_service
from services.common.service import ServiceSpec
from services.common.settings import Settings
from services.customer.grpc_server import SERVICE_NAME
from services.customer.service import SPEC as CUSTOMER
from tests.databases import execute, throwaway_legacy
from tests.harness import free_port, service_server

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

# A service that brings nothing but a table of its own: what the platform gives every service.
BARE = ServiceSpec(name="bootstraptest", settings=Settings,
                   migrations=Path(__file__).parent / "platform" / "migrations",
                   grpc="tests.integration.test_service_bootstrap:register_nothing")


def register_nothing(server, settings, db) -> list[str]:
    return []


def tables(settings, schema: str) -> set[str]:
    return {r[0] for r in execute(settings.db_url, "SELECT table_name FROM information_schema.tables "
                                                   "WHERE table_schema = %s", (schema,))}


@pytest.fixture
def fresh(settings):
    """Settings pointing at databases that do not exist yet (dropped afterwards)."""
    with throwaway_legacy(settings) as scoped:
        yield scoped


def test_a_fresh_database_gets_the_shared_tables_and_the_services_own(fresh):
    assert migrate_service(fresh, CUSTOMER) > 0
    assert {"outbox", "inbox", "audit_log", "customer", "service"} <= tables(fresh, "customer")
    assert execute(fresh.db_url, "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'") == [(1,)]
    assert migrate_service(fresh, CUSTOMER) == 0


def test_a_database_from_before_the_shared_audit_trail_migrates_and_keeps_its_rows(fresh):
    migrate_service(fresh, CUSTOMER)
    # As a database migrated before the trail was shared: audit_log made by the customer's own 0001,
    # the common audit migration never recorded.
    execute(fresh.db_url, "DELETE FROM customer._migrations WHERE migration_id = '0000.audit-log'")
    execute(fresh.db_url, "INSERT INTO customer.audit_log (entity, entity_key, action, actor) "
                          "VALUES ('customer', 'C1', 'create', 'clerk')")
    assert migrate_service(fresh, CUSTOMER) == 1
    assert execute(fresh.db_url, "SELECT entity_key, actor FROM customer.audit_log") == [("C1", "clerk")]


def test_a_service_starts_from_its_spec_on_a_free_port(fresh):
    with service_server(CUSTOMER, fresh) as port, grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", SERVICE_NAME):
            reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        replies = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        listed = {s.name for r in replies for s in r.list_services_response.service}
        assert SERVICE_NAME in listed


@pytest.mark.parametrize("command", [["services.common.grpc_main", "customer"], ["services.customer.grpc_server"]],
                         ids=["by-name", "customer-module"])
def test_the_grpc_process_serves_until_sigterm(settings, command):
    """Both command lines (the second is the one docker-compose and deploy/k8s call) run the same server."""
    migrate_service(settings, CUSTOMER)
    address, metrics_port = f"127.0.0.1:{free_port()}", free_port()
    proc = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT,
                            # At INFO, as deployed: what the process logs at start must not stop it.
                            env={**os.environ, "BSS_CUSTOMER_GRPC": address, "BSS_METRICS_PORT": str(metrics_port),
                                 "BSS_LOG_LEVEL": "INFO"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with grpc.insecure_channel(address) as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        # The calls it answered, for Prometheus, on a port of its own.
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert 'bss_grpc_server_handled_total{code="OK",method="/grpc.health.v1.Health/Check"}' in scraped
        assert 'bss_grpc_server_handling_seconds_bucket{le="0.005",method="/grpc.health.v1.Health/Check"}' in scraped
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, proc.stdout.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_any_service_gets_the_platform_tables_and_the_audit_trail(settings):
    with service_server(BARE, settings) as port, grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert {"outbox", "inbox", "audit_log", "thing"} <= tables(settings, BARE.name)
    db = Database(settings.service_db_url(BARE.name), schema=BARE.name, maxconn=1)
    try:
        with db.transaction() as cur:
            audit(cur, "thing", "T1", "rename", {"label": ["old", "新"]}, "clerk-7")
            cur.execute("SELECT changes, actor FROM audit_log WHERE entity_key = 'T1' ORDER BY id DESC LIMIT 1")
            assert cur.fetchone() == {"changes": {"label": ["old", "新"]}, "actor": "clerk-7"}
    finally:
        db.close()


def test_the_broker_probe(settings):
    assert broker_reachable(settings.amqp_uri)
    closed = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    assert not broker_reachable(closed, timeout=2)
    assert broker_problem("not a uri at all") is not None


def test_every_service_offers_its_audit_trail(settings):
    with service_server(BARE, settings) as port, grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        db = Database(settings.service_db_url(BARE.name), schema=BARE.name, maxconn=1)
        try:
            with db.transaction() as cur:
                key = f"T{uuid.uuid4().hex[:8]}"
                audit(cur, "thing", key, "create", {}, "clerk-7")
                audit(cur, "thing", key, "rename", {"label": ["old", "新"]}, "clerk-8")
        finally:
            db.close()
        trail = audit_pb2_grpc.AuditTrailServiceStub(channel)
        found = trail.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(entity="thing", entity_key=key, limit=10),
                                       timeout=5)
        assert found.count == 2 and [(e.action, e.actor) for e in found.entries] == [("rename", "clerk-8"),
                                                                                      ("create", "clerk-7")]
        assert json.loads(found.entries[0].changes_json) == {"label": ["old", "新"]}
        mine = trail.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(actor="clerk-8", entity="thing",
                                                                         entity_key=key, limit=10), timeout=5)
        assert [e.action for e in mine.entries] == ["rename"]
        for wrong in (audit_pb2.ListAuditEntriesRequest(limit=10),
                      audit_pb2.ListAuditEntriesRequest(entity="thing", limit=10),
                      audit_pb2.ListAuditEntriesRequest(actor="clerk\x00", limit=10),
                      audit_pb2.ListAuditEntriesRequest(actor="clerk-8", limit=0),
                      audit_pb2.ListAuditEntriesRequest(actor="clerk-8", since="2026-12-01T08:00:00", limit=10)):
            with pytest.raises(grpc.RpcError) as refused:
                trail.ListAuditEntries(wrong, timeout=5)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
