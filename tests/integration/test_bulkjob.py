"""The bulk-job pattern of services/common against the real PostgreSQL: one run at a time, a failed
run recorded as failed with its error, the counts and phases of a run recorded with its work."""
from __future__ import annotations

import threading

import pytest

from services.common.bulkjob import ABANDONED, bulk_job, job_connection
from services.common.errors import AlreadyExists
from tests.databases import execute, scratch_schema

RUN_TABLE = """
    CREATE TABLE job_run (
        id          BIGSERIAL PRIMARY KEY,
        kind        TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'running',
        started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        finished_at TIMESTAMPTZ,
        counts      JSONB NOT NULL DEFAULT '{}',
        error       TEXT);
    CREATE TABLE work (n INT NOT NULL);
"""


@pytest.fixture
def schema(settings):
    with scratch_schema(settings, "bulkjob") as name:
        execute(settings.db_url, RUN_TABLE, schema=name)
        yield name


@pytest.fixture
def job(schema):
    """A unique job name, so concurrent test runs never share a lock."""
    return f"test-job-{schema}"


def q(settings, schema: str, sql: str) -> list[tuple]:
    return execute(settings.db_url, sql, schema=schema)


def connection(settings, schema: str):
    return job_connection(settings.db_url, schema, "test")


def test_a_completed_run_records_its_counts_and_phases_with_its_work(settings, schema, job):
    conn = connection(settings, schema)
    try:
        with bulk_job(conn, job, "job_run", "full") as run, conn.cursor() as cur:
            with run.phase("load"):
                cur.execute("INSERT INTO work SELECT generate_series(1, 5)")
                run.counts["rows"] = cur.rowcount
            # Nothing of the run is visible before it completes.
            assert q(settings, schema, "SELECT count(*) FROM work") == [(0,)]
            assert q(settings, schema, "SELECT status FROM job_run") == [("running",)]
    finally:
        conn.close()
    (kind, status, rows, phases, error, finished), = q(
        settings, schema, "SELECT kind, status, counts->'rows', counts->'phases', error, finished_at FROM job_run")
    assert (kind, status, rows, list(phases), error) == ("full", "completed", 5, ["load"], None)
    assert finished is not None
    assert q(settings, schema, "SELECT count(*) FROM work") == [(5,)]


def test_a_second_concurrent_run_is_refused_with_a_clear_error(settings, schema, job):
    first, second = connection(settings, schema), connection(settings, schema)
    inside, release = threading.Event(), threading.Event()

    def hold():
        with bulk_job(first, job, "job_run", "full"):
            inside.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(30)
        with pytest.raises(AlreadyExists) as refused:
            with bulk_job(second, job, "job_run", "full"):
                pytest.fail("a second run started while the first held the lock")
        assert refused.value.reason == f"{job}-running"
        assert refused.value.message == f"a {job} is already running"
        assert q(settings, schema, "SELECT status FROM job_run") == [("running",)]  # the refused one left no row
    finally:
        release.set()
        holder.join()
    # Once the first run is over, the lock is free again, on the same connection too.
    with bulk_job(second, job, "job_run", "full") as run:
        pass
    first.close()
    second.close()
    assert q(settings, schema, "SELECT id, status FROM job_run ORDER BY id")[-1] == (run.id, "completed")


def test_a_failed_run_is_rolled_back_and_recorded_as_failed_with_its_error(settings, schema, job):
    conn = connection(settings, schema)
    try:
        with pytest.raises(ValueError, match="bad legacy row"):
            with bulk_job(conn, job, "job_run", "full") as run, conn.cursor() as cur:
                cur.execute("INSERT INTO work VALUES (1)")
                run.counts["rows"] = 1
                raise ValueError("bad legacy row")
        assert q(settings, schema, "SELECT status, error, counts->'rows' FROM job_run") == [
            ("failed", "ValueError: bad legacy row", 1)]
        assert q(settings, schema, "SELECT count(*) FROM work") == [(0,)]
        with bulk_job(conn, job, "job_run", "full"):  # the lock was released with the failure
            pass
    finally:
        conn.close()


def test_a_run_whose_process_died_is_marked_failed_by_the_next_run(settings, schema, job):
    q(settings, schema, "INSERT INTO job_run (kind) VALUES ('full')")  # what a killed run leaves behind
    conn = connection(settings, schema)
    try:
        with bulk_job(conn, job, "job_run", "full"):
            pass
    finally:
        conn.close()
    assert q(settings, schema, "SELECT status, error FROM job_run ORDER BY id") == [
        ("failed", ABANDONED), ("completed", None)]


def test_a_job_connection_compiles_nothing_just_in_time(settings, schema):
    """Every bulk statement is estimated past the server's JIT thresholds, where compiling costs seconds."""
    conn = connection(settings, schema)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW jit")
            assert cur.fetchone() == ("off",)
    finally:
        conn.close()
