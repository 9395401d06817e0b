"""The SQL of scheduling: stations' slots and bookings, the technician roster, technicians' load of a
day, and assignments made in one statement for a whole station-day."""
from __future__ import annotations

from datetime import date

from ..store import ORDER_COLUMNS

_FROM = "work_order w JOIN station s ON s.station_code = w.station_code"
# The day an order takes a place of its technician's capacity: its slot's day; without a slot it is
# today's work until it completes, and then its completion day's.
WORK_DAY = "COALESCE(w.slot_day, (w.completed_at AT TIME ZONE %(tz)s)::date, %(today)s)"
HELD = "w.state IN ('assigned', 'accepted', 'on_site', 'completed')"
UNASSIGNED = "w.state IN ('open', 'scheduled')"
TECHNICIAN_COLUMNS = "t.username, t.station_code, t.skills, t.daily_capacity, t.active, t.updated_at, t.updated_by"


def station(cur, station_code: str) -> dict | None:
    cur.execute("SELECT station_code, station_name, slot_capacity FROM station WHERE station_code = %s",
                (station_code,))
    return cur.fetchone()


def station_of_area(cur, area_code: str) -> str | None:
    """The station covering this area, as the orders from it were routed (the customer service routes areas)."""
    cur.execute("SELECT station_code FROM area_station WHERE area_code = %s", (area_code,))
    row = cur.fetchone()
    return row["station_code"] if row else None


def booked(cur, station_code: str, first: date, last: date) -> dict[tuple[date, str], int]:
    """Places taken per (day, slot) of the station from first to last, both included."""
    cur.execute("""SELECT day, slot, booked FROM slot_booking WHERE station_code = %s AND day BETWEEN %s AND %s""",
                (station_code, first, last))
    return {(r["day"], r["slot"]): r["booked"] for r in cur.fetchall()}


def technician(cur, username: str, lock: bool = False) -> dict | None:
    cur.execute(f"SELECT {TECHNICIAN_COLUMNS} FROM technician t WHERE t.username = %s"
                + (" FOR UPDATE" if lock else ""), (username,))
    return cur.fetchone()


def lock_technicians(cur, station_code: str) -> None:
    """Hold the station's roster while choosing among it: the loads read stay true until commit.
    Every assignment locks technicians (by name) before orders, so two never wait on each other."""
    cur.execute("SELECT username FROM technician WHERE station_code = %s ORDER BY username FOR UPDATE",
                (station_code,))


def technicians(cur, station_code: str, day: date, today: date, tz: str, active_only: bool) -> list[dict]:
    """The station's technicians with `load`, the orders each holds for `day`."""
    cur.execute(f"""SELECT {TECHNICIAN_COLUMNS}, count(w.id)::int AS load
                      FROM technician t
                      LEFT JOIN work_order w ON w.technician = t.username AND {HELD} AND {WORK_DAY} = %(day)s
                     WHERE t.station_code = %(station)s AND (t.active OR NOT %(active_only)s)
                     GROUP BY t.username ORDER BY t.username""",
                {"station": station_code, "day": day, "today": today, "tz": tz, "active_only": active_only})
    return cur.fetchall()


def load(cur, username: str, day: date, today: date, tz: str) -> int:
    cur.execute(f"""SELECT count(*)::int AS n FROM work_order w
                     WHERE w.technician = %(username)s AND {HELD} AND {WORK_DAY} = %(day)s""",
                {"username": username, "day": day, "today": today, "tz": tz})
    return cur.fetchone()["n"]


def put_technician(cur, values: dict, actor: str) -> tuple[dict | None, dict]:
    """Create or replace a technician's roster entry: (the entry before, the entry now)."""
    before = technician(cur, values["username"], lock=True)
    cur.execute(f"""INSERT INTO technician AS t (username, station_code, skills, daily_capacity, active, updated_by)
                    VALUES (%(username)s, %(station_code)s, %(skills)s, %(daily_capacity)s, %(active)s, %(actor)s)
                    ON CONFLICT (username) DO UPDATE SET station_code = EXCLUDED.station_code,
                        skills = EXCLUDED.skills, daily_capacity = EXCLUDED.daily_capacity, active = EXCLUDED.active,
                        updated_by = EXCLUDED.updated_by, updated_at = now()
                    RETURNING {TECHNICIAN_COLUMNS}""", {**values, "actor": actor})
    return before, cur.fetchone()


def add_technicians(cur, rows: list[tuple[str, str, list[str], int]], actor: str) -> int:
    """Roster entries (username, station, skills, capacity) not there yet; an existing one is kept."""
    cur.execute("""INSERT INTO technician (username, station_code, skills, daily_capacity, updated_by)
                   SELECT r.username, r.station_code, string_to_array(r.skills, ','), r.capacity, %s
                     FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[])
                          AS r(username, station_code, skills, capacity)
                   ON CONFLICT (username) DO NOTHING""",
                (actor, [r[0] for r in rows], [r[1] for r in rows], [",".join(r[2]) for r in rows],
                 [r[3] for r in rows]))
    return cur.rowcount


def unassigned_of_day(cur, station_code: str, day: date, today: date) -> list[dict]:
    """The station's open and scheduled orders of `day` (unbooked ones count as today's), locked, most
    urgent first; orders another transaction holds are left to it."""
    cur.execute(f"""SELECT w.work_order_no, w.type FROM work_order w
                     WHERE w.station_code = %(station)s AND {UNASSIGNED}
                       AND COALESCE(w.slot_day, %(today)s) = %(day)s
                     ORDER BY w.slot NULLS FIRST, w.due_at NULLS LAST, w.created_at, w.id
                     FOR NO KEY UPDATE SKIP LOCKED""", {"station": station_code, "day": day, "today": today})
    return cur.fetchall()


def assign_all(cur, plan: list[tuple[str, str]], to_state: str, actor: str, by: str) -> list[dict]:
    """Give each planned order (work order no, technician) to its technician in one statement, with its
    transition recorded: the set-based `handlers.transition` of the assign action for locked unassigned
    orders. Answers (work_order_no, station_code, technician) of each."""
    if not plan:
        return []
    cur.execute(f"""WITH plan AS (SELECT * FROM unnest(%(nos)s::text[], %(techs)s::text[])
                                       AS p(work_order_no, technician)),
                    changed AS (
                        UPDATE work_order w SET state = %(to_state)s, technician = p.technician, updated_at = now(),
                               updated_by = %(actor)s
                          FROM plan p JOIN work_order prior ON prior.work_order_no = p.work_order_no
                         WHERE w.id = prior.id AND {UNASSIGNED.replace('w.', 'prior.')}
                        RETURNING w.id, w.work_order_no, w.station_code, w.technician, prior.state AS from_state),
                    history AS (
                        INSERT INTO work_order_transition (work_order_id, action, from_state, to_state, actor, detail)
                        SELECT id, 'assign', from_state, %(to_state)s, %(actor)s,
                               jsonb_build_object('technician', technician, 'by', %(by)s::text) FROM changed)
                    SELECT work_order_no, station_code, technician FROM changed ORDER BY work_order_no""",
                {"nos": [no for no, _ in plan], "techs": [t for _, t in plan], "to_state": to_state, "actor": actor,
                 "by": by})
    return cur.fetchall()


def claimable(cur, station_code: str, today: date, offset: int, limit: int) -> tuple[list[dict], int]:
    """The station's unassigned orders, the soonest visit first (unbooked ones are today's)."""
    where = f"w.station_code = %(station)s AND {UNASSIGNED}"
    args = {"station": station_code, "today": today, "offset": offset, "limit": limit}
    cur.execute(f"SELECT count(*)::int AS n FROM work_order w WHERE {where}", args)
    total = cur.fetchone()["n"]
    cur.execute(f"""SELECT {ORDER_COLUMNS} FROM {_FROM} WHERE {where}
                    ORDER BY COALESCE(w.slot_day, %(today)s), w.slot NULLS FIRST, w.due_at NULLS LAST, w.created_at,
                             w.id
                    OFFSET %(offset)s LIMIT %(limit)s""", args)
    return cur.fetchall(), total
