"""What the integration tests of the customer service and of the gateway share: the databases it
needs, a real server on a free port, and unique test identities so tests can share a database."""
from __future__ import annotations

import contextlib
import uuid
from datetime import date, timedelta
from pathlib import Path

import grpc
import psycopg2
import pytest
from bss.customer.v1 import customer_pb2_grpc as pb_grpc

from services.common.db import Database
from services.common.migrate import migrate_service
from services.common.provision import ensure_database
from services.customer.domain.idcard import check_char
from services.customer.service import SPEC
from tests.harness import service_server

ROOT = Path(__file__).resolve().parents[2]


def valid_id_no() -> str:
    """A valid number nobody else in the shared test database has (18 million to draw from)."""
    n = uuid.uuid4().int
    birth = date(1950, 1, 1) + timedelta(days=n % 18000)
    first17 = f"330106{birth:%Y%m%d}{n // 18000 % 1000:03d}"
    return first17 + check_char(first17)


def unique_mobile() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def autocommit(url: str):
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def prepare_databases(settings) -> None:
    """The customer schema and the two legacy databases (schemas only; tests add their own rows)."""
    migrate_service(settings, SPEC)
    for url, ddl in ((settings.legacy_cms_url, "cms.sql"), (settings.legacy_sms_url, "sms.sql")):
        ensure_database(url)
        with autocommit(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(42)")
            cur.execute((ROOT / "services/legacy_sim" / ddl).read_text())
            cur.execute("SELECT pg_advisory_unlock(42)")


@contextlib.contextmanager
def customer_database(settings, maxconn: int = 2):
    """The customer schema and the legacy databases ready, and a pool on the customer schema as the
    service connects (its own role)."""
    prepare_databases(settings)
    db = Database(settings.service_db_url("customer"), schema="customer", maxconn=maxconn)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(scope="module")
def customer_db(settings):
    """customer_database as a module's fixture."""
    with customer_database(settings) as db:
        yield db


def customer_server(settings):
    """A real customer gRPC server on a free port; yields the port."""
    return service_server(SPEC, settings)


@contextlib.contextmanager
def customer_client(settings):
    """The databases ready, a real customer server on a free port, and a stub that talks to it."""
    prepare_databases(settings)
    with customer_server(settings) as port, grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield pb_grpc.CustomerServiceStub(channel)


def attach_cms_line(settings, customer_no: str) -> tuple[str, str]:
    """A CMS user number in the legacy database and its analog service on the golden customer."""
    user_no = f"0101{uuid.uuid4().int % 10**8:08d}"
    with autocommit(settings.legacy_cms_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO yhxx (yhbh, yhxm, qydm, xlzt, khrq, sflxdm) VALUES (%s, '王小明', '0101', '1', "
                    "'20200101', '01')", (user_no,))
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO customer.service (customer_id, kind, origin, legacy_ref, product_code,
                                                     product_name, monthly_fee_minor, state)
                       SELECT id, 'analog_tv', 'cms', %s, '01', '城镇标准', 2200, 'active'
                         FROM customer.customer WHERE customer_no = %s RETURNING service_no""",
                    (user_no, customer_no))
        return user_no, cur.fetchone()[0]
