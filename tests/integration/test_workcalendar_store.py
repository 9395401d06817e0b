"""The working-day calendar's table against the real PostgreSQL: seeding is idempotent and never
overwrites an admin's day, an admin's edit is audited, and the loaded calendar counts with them.
Each test runs in a transaction it rolls back, so tests share one schema in any order."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg2.extras
import pytest

from services.common.db import Database
from services.common.errors import InvalidArgument
from services.common.migrate import migrate
from services.common.workcalendar_store import load, seed, set_day, set_year_known

pytestmark = pytest.mark.integration
SERVICE = "workcaltest"


@pytest.fixture(scope="module")
def db(settings):
    migrate(settings, SERVICE, Path(__file__).parent / "platform" / "migrations")
    database = Database(settings.service_db_url(SERVICE), schema=SERVICE)
    yield database
    database.close()


@pytest.fixture
def cur(db):
    with db.connection() as conn:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as c:
            c.execute("DELETE FROM work_calendar_day; DELETE FROM work_calendar_year")
            yield c
        conn.rollback()


def test_seed_is_idempotent_and_loads(cur):
    first = seed(cur, [2025, 2026, 2099])
    assert first["years"] == [2025, 2026] and first["days"] > 40
    assert seed(cur, [2025, 2026]) == {"years": [2025, 2026], "days": 0}
    cal = load(cur)
    assert cal.known_years == {2025, 2026}
    assert not cal.is_working_day(date(2026, 2, 17)) and cal.is_working_day(date(2026, 2, 28))
    assert cal.flagged(date(2099, 1, 1)) and cal.is_working_day(date(2099, 1, 1))  # a Thursday


def test_seed_never_overwrites_an_admin_day(cur):
    seed(cur, [2026])
    set_day(cur, date(2026, 2, 28), False, "公司统一休息", "admin1")  # the make-up Saturday, cancelled
    set_day(cur, date(2026, 3, 2), False, "台风停工", "admin1")
    seed(cur, [2026])
    cur.execute("SELECT day, working, name, source, updated_by FROM work_calendar_day "
                "WHERE day IN ('2026-02-28', '2026-03-02') ORDER BY day")
    rows = cur.fetchall()
    assert [(r["working"], r["source"], r["updated_by"]) for r in rows] == [
        (False, "admin", "admin1"), (False, "admin", "admin1")]
    cal = load(cur)
    assert not cal.is_working_day(date(2026, 2, 28)) and not cal.is_working_day(date(2026, 3, 2))


def test_admin_edit_is_audited_with_the_value_before(cur):
    seed(cur, [2026])
    set_day(cur, date(2026, 2, 14), False, "", "admin2")
    cur.execute("SELECT action, changes, actor FROM audit_log WHERE entity = 'work_calendar_day' "
                "AND entity_key = '2026-02-14'")
    row = cur.fetchone()
    assert row["actor"] == "admin2" and row["action"] == "set"
    assert row["changes"]["working"] is False and row["changes"]["before"]["source"] == "library"


def test_admin_enters_next_year_and_declares_it_known(cur):
    seed(cur, [2026])
    assert load(cur).flagged(date(2030, 10, 1))
    for d in (date(2030, 10, 1), date(2030, 10, 2), date(2030, 10, 3)):
        set_day(cur, d, False, "国庆节", "admin3")
    set_year_known(cur, 2030, "admin3")
    cal = load(cur)
    assert not cal.flagged(date(2030, 10, 1)) and not cal.is_working_day(date(2030, 10, 2))
    assert seed(cur, [2030])["years"] == []  # the library knows nothing of it; the admin's year stays
    cur.execute("SELECT source FROM work_calendar_year WHERE year = 2030")
    assert cur.fetchone()["source"] == "admin"


def test_bad_admin_input_is_refused_and_changes_nothing(cur):
    with pytest.raises(InvalidArgument):
        set_day(cur, "2026-03-02", False, "x", "admin4")
    with pytest.raises(InvalidArgument):
        set_day(cur, date(2026, 3, 2), "no", "x", "admin4")
    with pytest.raises(InvalidArgument):
        set_day(cur, date(2026, 3, 2), False, "x" * 101, "admin4")
    with pytest.raises(InvalidArgument):
        set_year_known(cur, 99999, "admin4")
    cur.execute("SELECT count(*) AS n FROM work_calendar_day")
    assert cur.fetchone()["n"] == 0
