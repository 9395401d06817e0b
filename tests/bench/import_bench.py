"""Bulk import benchmark: 1,000,000 CMS users and 600,000 SMS subscribers into a fresh customer database.

    .venv/bin/python -m tests.bench.import_bench

The legacy databases legacy_cms_bench / legacy_sms_bench are generated when empty; the customer
database (BSS_BENCH_DB, default bss_bench) is dropped and migrated again every time, so two people
benching at once on one server each name their own. The target is 90 s.
"""
from __future__ import annotations

import json
import logging
import os
import time

import psycopg2
from psycopg2 import sql

from services.common.db import connect
from services.common.migrate import migrate_service
from services.common.provision import server_url
from services.customer.importer.bulk import run_bulk_import
from services.customer.service import SPEC
from services.customer.settings import CustomerSettings
from services.legacy_sim.generate import generate, has_data
from tests.bench.server_cost import server_cost

CMS_ROWS, SMS_ROWS = 1_000_000, 600_000
TARGET_S = 90


def bench_settings() -> CustomerSettings:
    base = os.environ.get("BSS_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
    return CustomerSettings(db_url=f"{base}/{bench_db()}", legacy_cms_url=f"{base}/legacy_cms_bench",
                    legacy_sms_url=f"{base}/legacy_sms_bench")


def bench_db() -> str:
    return os.environ.get("BSS_BENCH_DB", "bss_bench")


def legacy_loaded(settings: CustomerSettings) -> bool:
    """Whether the legacy databases hold data, asked with plain reads: generate() locks their tables
    to check, which would wait for (and hold up) another bench reading them."""
    try:
        return has_data(settings)
    except (psycopg2.errors.UndefinedTable, psycopg2.OperationalError):
        return False


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("services.common.bulkjob").setLevel(logging.DEBUG)  # per-statement timings
    settings = bench_settings()
    if not legacy_loaded(settings):
        generated = generate(settings, CMS_ROWS, cms=CMS_ROWS, sms=SMS_ROWS, if_empty=True)
        print(f"generated legacy data in {generated.get('seconds', 0)} s")
    admin = connect(server_url(settings.db_url))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(bench_db())))
    admin.close()
    migrate_service(settings, SPEC)

    with server_cost(settings.db_url) as cost:
        started = time.perf_counter()
        counts = run_bulk_import(settings)
        elapsed = time.perf_counter() - started
    rows = counts["cms_rows"] + counts["sms_rows"]
    print(json.dumps(counts, ensure_ascii=False, indent=2))
    print("phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in counts["phases"].items()))
    print(f"bulk import: {rows:,} legacy person records ({counts['cms_rows']:,} CMS + {counts['sms_rows']:,} SMS, "
          f"{counts.get('sms_entitlements', 0):,} entitlements) in {elapsed:.1f} s = {rows / elapsed:,.0f} records/s; "
          f"target {TARGET_S} s: {'met' if elapsed < TARGET_S else 'MISSED'}; PostgreSQL CPU {cost['postgres_cpu_s']} s, "
          f"WAL {cost['wal_mb']} MB")


if __name__ == "__main__":
    main()
