"""The SQL of the working-day calendar (tables from migrations/0002.work-calendar.sql, in every
service's schema): seeding from the holiday library, loading, and an admin's edits, which are audited."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from psycopg2.extras import execute_values

from .audit import audit
from .errors import InvalidArgument
from .inputrules import wording
from .workcalendar import WorkingCalendar, library_years, seed_days

SEED_ACTOR = "system:calendar-seed"
NAME_MAX = 100


def seed(cur, years: Iterable[int]) -> dict:
    """Seed the announced ones of `years` from the library; idempotent. A day or year an admin set is
    never overwritten. Returns {"years": [...seeded...], "days": rows written}."""
    known = library_years(years)
    rows = seed_days(known)
    written = execute_values(cur, """
        INSERT INTO work_calendar_day (day, working, name, source, updated_by) VALUES %s
        ON CONFLICT (day) DO UPDATE SET working = EXCLUDED.working, name = EXCLUDED.name,
            updated_by = EXCLUDED.updated_by, updated_at = now()
        WHERE work_calendar_day.source = 'library'
          AND (work_calendar_day.working, work_calendar_day.name) IS DISTINCT FROM (EXCLUDED.working, EXCLUDED.name)
        RETURNING day
        """, [(d, working, name, "library", SEED_ACTOR) for d, working, name in rows],
        page_size=1000, fetch=True) if rows else []
    # A day a newer library no longer lists goes back to its weekday default, unless an admin set it.
    cur.execute("""
        DELETE FROM work_calendar_day WHERE source = 'library'
        AND extract(year FROM day)::int = ANY(%s) AND NOT (day = ANY(%s::date[]))
        """, (known, [d for d, _, _ in rows]))
    if known:
        execute_values(cur, """
            INSERT INTO work_calendar_year (year, source, updated_by) VALUES %s ON CONFLICT (year) DO NOTHING
            """, [(y, "library", SEED_ACTOR) for y in known])
    return {"years": known, "days": len(written)}


def load(cur) -> WorkingCalendar:
    cur.execute("SELECT day, working FROM work_calendar_day")
    days = {r["day"]: r["working"] for r in cur.fetchall()}
    cur.execute("SELECT year FROM work_calendar_year")
    return WorkingCalendar(days, {r["year"] for r in cur.fetchall()})


def year(cur, year: int) -> tuple[bool, list[dict]]:
    """Whether the year is known, and its days that differ from Monday to Friday working."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM work_calendar_year WHERE year = %s) AS known", (year,))
    known = cur.fetchone()["known"]
    cur.execute("""SELECT day, working, name, source FROM work_calendar_day
                   WHERE day >= make_date(%s, 1, 1) AND day < make_date(%s + 1, 1, 1) ORDER BY day""",
                (year, year))
    return known, cur.fetchall()


def set_day(cur, day: date, working: bool, name: str, actor: str) -> None:
    """An admin's decision for one day; a later seed leaves it alone. Setting a day to its weekday
    default still keeps the row, so the decision outlives a library that says otherwise."""
    if not isinstance(day, date) or not isinstance(working, bool):
        raise InvalidArgument("a calendar day needs a date and working true or false", reason="invalid-calendar-day")
    name = wording("name", name or "", NAME_MAX).strip()
    cur.execute("SELECT working, name, source FROM work_calendar_day WHERE day = %s FOR UPDATE", (day,))
    before = cur.fetchone()
    cur.execute("""
        INSERT INTO work_calendar_day (day, working, name, source, updated_by) VALUES (%s, %s, %s, 'admin', %s)
        ON CONFLICT (day) DO UPDATE SET working = EXCLUDED.working, name = EXCLUDED.name, source = 'admin',
            updated_by = EXCLUDED.updated_by, updated_at = now()
        """, (day, working, name, actor))
    changes = {"working": working, "name": name}
    if before:
        changes["before"] = dict(before)
    audit(cur, "work_calendar_day", day.isoformat(), "set", changes, actor)


def set_year_known(cur, year: int, actor: str) -> None:
    """An admin declares a year complete (e.g. after entering the November notice for next year): its
    dates stop falling back to weekends only."""
    if not isinstance(year, int) or not 1900 <= year <= 2999:
        raise InvalidArgument(f"{year!r} is not a calendar year", reason="invalid-calendar-year")
    cur.execute("""
        INSERT INTO work_calendar_year (year, source, updated_by) VALUES (%s, 'admin', %s)
        ON CONFLICT (year) DO UPDATE SET source = 'admin', updated_by = EXCLUDED.updated_by, updated_at = now()
        """, (year, actor))
    audit(cur, "work_calendar_year", str(year), "set_known", {}, actor)
