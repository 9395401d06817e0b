"""The SQL of device stock: devices by serial and every move of one, set-based for receipts of thousands."""
from __future__ import annotations

DEVICE_COLUMNS = ("serial, kind, model, state, station_code, technician, work_order_no, customer_no, updated_at, "
                  "updated_by")

# Records the moves of the devices a statement changed (CTE `moved`: serial, from_state and the new row).
_RECORD = """INSERT INTO device_movement (serial, action, from_state, to_state, station_code, technician,
                                         work_order_no, customer_no, actor)
             SELECT serial, %(action)s, from_state, state, station_code, technician, work_order_no, customer_no,
                    %(actor)s FROM moved"""


def receive(cur, station_code: str, kind: str, model: str, serials: list[str], actor: str) -> list[str]:
    """Put the devices in the station's stock; answers the serials that were already known (then nothing
    of this receipt may stay: the caller refuses it whole)."""
    cur.execute(f"""WITH moved AS (
                        INSERT INTO device (serial, kind, model, state, station_code, updated_by)
                        SELECT serial, %(kind)s, %(model)s, 'in_stock', %(station)s, %(actor)s
                          FROM unnest(%(serials)s::text[]) AS serial
                        ON CONFLICT (serial) DO NOTHING
                        RETURNING serial, NULL::text AS from_state, state, station_code, technician,
                                  work_order_no, customer_no),
                    recorded AS ({_RECORD})
                    SELECT s AS serial FROM unnest(%(serials)s::text[]) AS s
                     WHERE s NOT IN (SELECT serial FROM moved)""",
                {"station": station_code, "kind": kind, "model": model, "serials": serials, "actor": actor,
                 "action": "receive"})
    return [r["serial"] for r in cur.fetchall()]


def devices(cur, serials: list[str]) -> dict[str, dict]:
    """The known devices among these serials, locked: a move decides on their state and then changes it."""
    cur.execute(f"SELECT {DEVICE_COLUMNS} FROM device WHERE serial = ANY(%s) ORDER BY serial FOR UPDATE",
                (serials,))
    return {r["serial"]: r for r in cur.fetchall()}


def move(cur, action: str, serials: list[str], values: dict, actor: str) -> None:
    """Set the devices' state, station, technician, order and customer (`values`, each None to clear) and
    record the move."""
    cur.execute(f"""WITH old AS (SELECT serial, state FROM device WHERE serial = ANY(%(serials)s)),
                         moved AS (
                        UPDATE device d SET state = %(state)s, technician = %(technician)s,
                               work_order_no = %(work_order_no)s, customer_no = %(customer_no)s,
                               station_code = coalesce(%(station_code)s, d.station_code),
                               updated_at = now(), updated_by = %(actor)s
                          FROM old WHERE old.serial = d.serial
                        RETURNING d.serial, old.state AS from_state, d.state, d.station_code, d.technician,
                                  d.work_order_no, d.customer_no)
                    {_RECORD}""",
                {"serials": serials, "action": action, "actor": actor, "station_code": None, "technician": None,
                 "work_order_no": None, "customer_no": None, **values})


def add_removed(cur, device: dict, values: dict, actor: str) -> None:
    """A device first seen when a technician took it out of a home (legacy equipment): known from now on."""
    cur.execute(f"""WITH moved AS (
                        INSERT INTO device (serial, kind, state, station_code, technician, work_order_no, updated_by)
                        VALUES (%(serial)s, %(kind)s, %(state)s, %(station_code)s, %(technician)s,
                                %(work_order_no)s, %(actor)s)
                        RETURNING serial, NULL::text AS from_state, state, station_code, technician, work_order_no,
                                  customer_no)
                    {_RECORD}""", {**device, **values, "action": "remove", "actor": actor})


def counts(cur, station_code: str | None) -> list[dict]:
    cur.execute("""SELECT station_code, kind, model, state, count(*) AS n FROM device
                    WHERE %(station)s::text IS NULL OR station_code = %(station)s
                    GROUP BY station_code, kind, model, state ORDER BY station_code, kind, model, state""",
                {"station": station_code})
    return cur.fetchall()


def carried(cur, technician: str, station_code: str | None, offset: int, limit: int) -> tuple[list[dict], int]:
    """The devices in a technician's hands (narrowed to one station's for its dispatcher)."""
    where = "technician = %(technician)s AND (%(station)s::text IS NULL OR station_code = %(station)s)"
    args = {"technician": technician, "station": station_code, "offset": offset, "limit": limit}
    cur.execute(f"SELECT count(*) AS n FROM device WHERE {where}", args)
    total = cur.fetchone()["n"]
    cur.execute(f"SELECT {DEVICE_COLUMNS} FROM device WHERE {where} ORDER BY kind, serial OFFSET %(offset)s "
                "LIMIT %(limit)s", args)
    return cur.fetchall(), total
