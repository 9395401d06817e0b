"""Throwaway databases for tests that need a world of their own (fresh legacy systems, a customer
database nobody else writes to), created with unique names and dropped afterwards."""
from __future__ import annotations

import contextlib
import dataclasses
import shutil
import uuid
from pathlib import Path

import psycopg2

from services.common.migrate import migrate_service
from services.common.provision import ensure_database, server_url

LEGACY_SQL = Path(__file__).resolve().parents[1] / "services" / "legacy_sim"


def execute(url: str, sql: str, params=None, schema: str | None = None) -> list[tuple]:
    conn = psycopg2.connect(url, options=f"-c search_path={schema},public" if schema else None)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def drop_database(url: str) -> None:
    # FORCE terminates the connections still open on the database first.
    execute(server_url(url), f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_schema(settings, prefix: str):
    """A schema of its own in the test database, dropped with all it holds afterwards."""
    ensure_database(settings.db_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    execute(settings.db_url, f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        execute(settings.db_url, f"DROP SCHEMA {name} CASCADE")


@contextlib.contextmanager
def throwaway_legacy(settings):
    """Two fresh legacy databases with the legacy schemas, dropped afterwards; yields the settings
    that point at them (and at a fresh customer database name, created by whoever needs it)."""
    tag = uuid.uuid4().hex[:10]
    base = settings.db_url.rsplit("/", 1)[0]
    scoped = settings.model_copy(update={"db_url": f"{base}/bss_t_{tag}",
                                         "legacy_cms_url": f"{base}/legacy_cms_t_{tag}",
                                         "legacy_sms_url": f"{base}/legacy_sms_t_{tag}"})
    for url, script in ((scoped.legacy_cms_url, "cms.sql"), (scoped.legacy_sms_url, "sms.sql")):
        ensure_database(url)
        execute(url, (LEGACY_SQL / script).read_text())
    try:
        yield scoped
    finally:
        for url in (scoped.db_url, scoped.legacy_cms_url, scoped.legacy_sms_url):
            drop_database(url)


def migrated_before(settings, spec, version: str, folder: Path) -> None:
    """The service's schema as it stood before migration `version` (its earlier scripts copied to `folder`
    and applied), for a test of what that migration does to rows written before it."""
    for script in sorted(spec.migrations.glob("*.sql")):
        if script.name < version:
            shutil.copy(script, folder)
    migrate_service(settings, dataclasses.replace(spec, migrations=folder))
