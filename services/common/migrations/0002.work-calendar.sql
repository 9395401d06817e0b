-- The working-day calendar every clock counts on (services/common/workcalendar.py): only the days that
-- differ from Monday-to-Friday have a row. A row seeded from the holiday library is replaced by a later
-- seed; a row an admin set (source 'admin') is never touched by a seed. A year is counted only once it has
-- a row in work_calendar_year; any other year falls back to weekends only.
CREATE TABLE work_calendar_day (
    day         DATE PRIMARY KEY,
    working     BOOLEAN NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL CHECK (source IN ('library', 'admin')),
    updated_by  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE work_calendar_year (
    year        INTEGER PRIMARY KEY CHECK (year BETWEEN 1900 AND 2999),
    source      TEXT NOT NULL CHECK (source IN ('library', 'admin')),
    updated_by  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
