"""A conversion campaign's SQL: the homes streamed from the customer service into a scratch table, then each
step a statement over all of them (never a round trip per home), all in the campaign's one transaction.

The scratch tables are temporary (no WAL, dropped at commit) and live on the job's own connection.
"""
from __future__ import annotations

from datetime import date

from psycopg2.extras import Json, execute_values

from ..domain.slots import SLOTS
from ..domain.states import OPEN_STATES

# The customer service's ServicePage columns, in its order; '' where a value is missing.
HOME_COLUMNS = ("customer_no", "customer_name", "contact_phone", "account_no", "service_no", "premises_id",
                "address", "area_code", "station_code", "station_name")
CAMPAIGN_COLUMNS = """id, campaign_no, kind, name, area_codes, start_day, visits_per_slot, request_id, requested_by,
    status, started_at, finished_at, counts, error"""


# -- the campaign record ----------------------------------------------------------------------------

def campaign(cur, campaign_no: str) -> dict | None:
    cur.execute(f"SELECT {CAMPAIGN_COLUMNS} FROM campaign WHERE campaign_no = %s", (campaign_no,))
    return cur.fetchone()


def campaign_by_id(cur, campaign_id: int) -> dict:
    cur.execute(f"SELECT {CAMPAIGN_COLUMNS} FROM campaign WHERE id = %s", (campaign_id,))
    return cur.fetchone()


def campaign_by_request(cur, request_id: str) -> dict | None:
    """The campaign this request started, unless it failed (then the same request may start it again)."""
    cur.execute(f"SELECT {CAMPAIGN_COLUMNS} FROM campaign WHERE request_id = %s AND status <> 'failed'",
                (request_id,))
    return cur.fetchone()


def campaign_id(cur, campaign_no: str) -> int | None:
    cur.execute("SELECT id FROM campaign WHERE campaign_no = %s", (campaign_no,))
    row = cur.fetchone()
    return row["id"] if row else None


def record_progress(cur, campaign_id: int, counts: dict) -> None:
    """What a running campaign has done so far, for GET, from outside its transaction: the job's own update
    of its row comes when it ends, and replaces this."""
    cur.execute("UPDATE campaign SET counts = %s WHERE id = %s AND status = 'running'", (Json(counts), campaign_id))


def record_commit(cur, campaign_id: int, seconds: float) -> None:
    cur.execute("""UPDATE campaign SET counts = jsonb_set(counts, '{phases,commit}', to_jsonb(%s::numeric))
                   WHERE id = %s""", (seconds, campaign_id))


# -- the job, on its own connection (plain tuple rows) -------------------------------------------------

def create_homes(cur) -> None:
    cur.execute(f"""CREATE TEMPORARY TABLE campaign_home ({', '.join(f'{c} text NOT NULL' for c in HOME_COLUMNS)})
                    ON COMMIT DROP""")


def drop_unrouted(cur) -> int:
    """Homes in an area no station covers: nobody can visit them. Returns how many."""
    cur.execute("DELETE FROM campaign_home WHERE station_code = ''")
    return cur.rowcount


def drop_open(cur) -> int:
    """Homes whose analog service already has an open work order (any kind of visit, or a product order's
    conversion that replaces it): the visit that is coming deals with the home. Returns how many."""
    cur.execute("""DELETE FROM campaign_home WHERE service_no IN (
                       SELECT service_no FROM work_order WHERE state = ANY(%(open)s) AND service_no IS NOT NULL
                       UNION ALL
                       SELECT from_service_no FROM work_order WHERE state = ANY(%(open)s) AND from_service_no IS NOT NULL)""",
                {"open": list(OPEN_STATES)})
    return cur.rowcount


def ensure_stations(cur) -> None:
    """The homes' stations known, and the areas they cover (core store.ensure_station, for all at once)."""
    cur.execute("""INSERT INTO station (station_code, station_name)
                   SELECT station_code, min(station_name) FROM campaign_home GROUP BY station_code
                   ON CONFLICT (station_code) DO NOTHING""")
    cur.execute("""INSERT INTO area_station AS a (area_code, station_code)
                   SELECT area_code, min(station_code) FROM campaign_home WHERE area_code <> '' GROUP BY area_code
                   ON CONFLICT (area_code) DO UPDATE SET station_code = EXCLUDED.station_code, updated_at = now()
                   WHERE a.station_code <> EXCLUDED.station_code""")


def station_loads(cur) -> dict[str, tuple[int, int]]:
    """station code -> (homes to visit, places per slot)."""
    cur.execute("""SELECT h.station_code, count(*), s.slot_capacity FROM campaign_home h
                     JOIN station s USING (station_code) GROUP BY h.station_code, s.slot_capacity""")
    return {code: (homes, capacity) for code, homes, capacity in cur.fetchall()}


def lock_bookings(cur, stations: list[str], start: date) -> dict[str, dict[tuple[date, str], int]]:
    """The stations' booked places from `start` on, locked until the campaign commits: an appointment taken
    meanwhile waits for it, so the places the campaign counts as free stay free."""
    cur.execute("""SELECT station_code, day, slot, booked FROM slot_booking
                    WHERE station_code = ANY(%s) AND day >= %s FOR UPDATE""", (stations, start))
    booked: dict[str, dict[tuple[date, str], int]] = {}
    for station, day, slot, n in cur.fetchall():
        booked.setdefault(station, {})[(day, slot)] = n
    return booked


def write_plan(cur, rows: list[tuple[str, date, str, int, int]]) -> None:
    """(station, day, slot, first rank, last rank): which homes of each station visit in which slot."""
    cur.execute("""CREATE TEMPORARY TABLE campaign_plan (station_code text, day date, slot text, first_rank bigint,
                   last_rank bigint) ON COMMIT DROP""")
    execute_values(cur, "INSERT INTO campaign_plan VALUES %s", rows, page_size=5000)


def book_plan(cur) -> int:
    """Add the plan's places to the slots' bookings, each only while it keeps within the station's capacity.
    Returns the slots booked: fewer than the plan's when a booking made in a slot nobody had booked before
    (so there was no row to lock) took a place the campaign counted on."""
    cur.execute("""INSERT INTO slot_booking AS b (station_code, day, slot, booked)
                   SELECT station_code, day, slot, last_rank - first_rank + 1 FROM campaign_plan
                   ON CONFLICT (station_code, day, slot) DO UPDATE SET booked = b.booked + EXCLUDED.booked
                   WHERE b.booked + EXCLUDED.booked
                         <= (SELECT slot_capacity FROM station s WHERE s.station_code = EXCLUDED.station_code)""")
    return cur.rowcount


# The homes of each station in address order take the plan's places one by one: the plan's ranges are
# expanded to a row per place and joined on (station, rank), a hash join instead of a range search per home.
# Each order is scheduled straight away, due at the end of its slot (domain/sla.py).
#
# A campaign's orders start their history with the campaign: its row records who made them, when, over
# which areas and into which slots, and each order names it. A history row per order would be 600,000 more
# rows, and their foreign-key checks alone took 9 s of a 50 s insert.
INSERT_ORDERS = """
WITH home AS (
    SELECT h.*, row_number() OVER (PARTITION BY station_code
                                   ORDER BY address COLLATE "C", service_no COLLATE "C") AS rank
      FROM campaign_home h),
place AS (
    SELECT p.station_code, g.rank, p.day, p.slot
      FROM campaign_plan p CROSS JOIN LATERAL generate_series(p.first_rank, p.last_rank) g(rank)),
slot_end AS (
    SELECT * FROM unnest(%(slots)s::text[], %(ends)s::time[]) e(slot, ends))
INSERT INTO work_order (type, state, source, campaign_id, customer_no, customer_name, contact_phone, account_no,
                        service_no, from_service_no, kind, premises_id, address, area_code, station_code,
                        description, slot_day, slot, due_at, created_by, updated_by)
SELECT 'digital_conversion', 'scheduled', 'campaign', %(campaign_id)s, h.customer_no, h.customer_name,
       h.contact_phone, NULLIF(h.account_no, ''), h.service_no, h.service_no, 'analog_tv',
       NULLIF(h.premises_id, ''), h.address, NULLIF(h.area_code, ''), h.station_code, %(description)s,
       x.day, x.slot, (x.day + e.ends) AT TIME ZONE %(tz)s, %(actor)s, %(actor)s
  FROM home h JOIN place x USING (station_code, rank) JOIN slot_end e USING (slot)"""


def insert_orders(cur, campaign_id: int, description: str, actor: str, tz: str) -> int:
    """One scheduled digital_conversion order per home; returns how many."""
    cur.execute(INSERT_ORDERS, {
        "campaign_id": campaign_id, "description": description, "actor": actor, "tz": tz,
        "slots": list(SLOTS), "ends": [end for _, end in SLOTS.values()]})
    return cur.rowcount


def schedule_summary(cur) -> list[dict]:
    """Per station: its orders and the first and last day they are booked on."""
    cur.execute("""SELECT p.station_code, s.station_name, sum(p.last_rank - p.first_rank + 1)::bigint,
                          min(p.day), max(p.day)
                     FROM campaign_plan p JOIN station s USING (station_code)
                    GROUP BY p.station_code, s.station_name ORDER BY p.station_code""")
    return [{"stationCode": code, "stationName": name, "orders": orders, "firstDay": first.isoformat(),
             "lastDay": last.isoformat()} for code, name, orders, first, last in cur.fetchall()]
