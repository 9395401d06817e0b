"""All SQL of the customer service's request path (the bulk import keeps its own in importer/).

Functions take an open cursor so the caller decides the transaction; rows come back as dicts.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

from psycopg2.errors import UniqueViolation
from psycopg2.extras import Json, RealDictCursor

from services.common.db import Prepared
from services.common.errors import AlreadyExists, NotFound

from .domain.search import SearchQuery


# -- reading ------------------------------------------------------------------------------------

def customer_by_no(cur, customer_no: str, lock: bool = False) -> dict:
    cur.execute("SELECT * FROM customer WHERE customer_no = %s" + (" FOR UPDATE" if lock else ""),
                (customer_no,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"customer {customer_no} not found", reason="customer-not-found")
    return row


def customer_view(cur, customer_no: str, recent_contacts: int = 10) -> dict:
    """The 360 view: everything a clerk needs on one screen, in one statement (one round trip and one
    plan instead of eight; at a few hundred views a second the count of statements is the cost)."""
    views = customer_views(cur, [customer_no], recent_contacts)
    if not views:
        raise NotFound(f"customer {customer_no} not found", reason="customer-not-found")
    return views[0]


def customer_views(cur, customer_nos: list[str], recent_contacts: int = 10) -> list[dict]:
    """The 360 views of the customers found among these numbers, in one statement."""
    _VIEW.execute(cur, {"customer_nos": customer_nos, "contacts": recent_contacts})
    views = cur.fetchall()
    # JSON carries timestamps as text; the callers get the datetimes the other queries give them.
    for c in views:
        for key, rows in (("services", c["services"]), ("recent_contacts", c["recent_contacts"])):
            for row in rows:
                for column in _TIMESTAMPS[key]:
                    if row[column] is not None:
                        row[column] = datetime.fromisoformat(row[column])
    return views


_TIMESTAMPS = {"services": ("started_at", "ended_at", "updated_at"), "recent_contacts": ("at",)}


def _rows(select: str, order_by: str) -> str:
    """A subquery's rows as one JSON array of objects (empty, not null, when there are none)."""
    return f"(SELECT coalesce(json_agg(r ORDER BY {order_by}), '[]') FROM ({select}) r)"


_SERVICES = """
    SELECT s.id, s.service_no, s.kind, s.origin, s.legacy_ref, s.product_code, s.product_name,
           s.monthly_fee_minor, s.currency, s.state, s.started_at, s.ended_at, s.updated_at, s.updated_by,
           a.account_no, s.premises_id, d.serial AS device_serial
      FROM service s LEFT JOIN account a ON a.id = s.account_id LEFT JOIN device d ON d.id = s.device_id"""


_VIEW_ACCOUNTS = """
    SELECT a.account_no, a.name, a.status, a.premises_id,
           array(SELECT s.service_no FROM service s WHERE s.account_id = a.id ORDER BY s.service_no) AS service_nos
      FROM account a WHERE a.customer_id = c.id"""
_VIEW_PREMISES = """
    SELECT p.id AS premises_id, p.address, p.area_code, st.station_code, st.station_name
      FROM premises p
      LEFT JOIN area_station ast ON ast.area_code = p.area_code
      LEFT JOIN station st ON st.station_code = ast.station_code
     WHERE p.customer_id = c.id"""
_VIEW_CONTACTS = """
    SELECT id, channel, kind, summary, actor, at FROM contact WHERE customer_id = c.id
     ORDER BY at DESC, id DESC LIMIT %(contacts)s"""
# The customer's columns by name, not c.*: a column added by a later migration must not change the result
# of a statement prepared before it ("cached plan must not change result type").
_VIEW = Prepared("customer_view", f"""
    SELECT c.id, c.customer_no, c.name, c.id_type, c.id_no, c.email, c.tier, c.status, c.merged_into,
           c.created_at, c.created_by, c.updated_at, c.updated_by, m.customer_no AS merged_into_no,
           {_rows("SELECT phone, kind, is_primary, source FROM customer_phone WHERE customer_id = c.id",
                  "r.is_primary DESC, r.phone")} AS phones,
           {_rows(_VIEW_ACCOUNTS, "r.account_no")} AS accounts,
           {_rows(_VIEW_PREMISES, "r.premises_id")} AS premises,
           {_rows(_SERVICES + " WHERE s.customer_id = c.id", "r.state = 'disconnected', r.kind, r.service_no")}
               AS services,
           {_rows("SELECT kind, serial, paired_serial, status, origin, model FROM device WHERE customer_id = c.id",
                  "r.kind, r.serial")} AS devices,
           {_rows("SELECT system, legacy_key, method, score FROM legacy_link WHERE customer_id = c.id",
                  "r.system, r.legacy_key")} AS links,
           {_rows(_VIEW_CONTACTS, "r.at DESC, r.id DESC")} AS recent_contacts
      FROM customer c LEFT JOIN customer m ON m.id = c.merged_into
     WHERE c.customer_no = ANY(%(customer_nos)s::text[])""", ("customer_nos", "contacts"))


def services_of(cur, customer_id: int) -> list[dict]:
    cur.execute(f"""
        {_SERVICES}
         WHERE s.customer_id = %s
         ORDER BY s.state = 'disconnected', s.kind, s.service_no""", (customer_id,))
    return cur.fetchall()


def service_for_update(cur, customer_id: int, service_no: str) -> dict:
    cur.execute(f"""
        {_SERVICES}
         WHERE s.customer_id = %s AND s.service_no = %s
           FOR UPDATE OF s""", (customer_id, service_no))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"service {service_no} not found for this customer", reason="service-not-found")
    return row


def service_by_id(cur, service_id: int) -> dict:
    cur.execute(f"""
        {_SERVICES}
         WHERE s.id = %s""", (service_id,))
    return cur.fetchone()


# -- search -------------------------------------------------------------------------------------

# Each field's hits as a condition on `customer c`, so that one query both finds the hits and walks them
# in list order: the planner drives a rare term from its index and walks a common one (a surname, a
# district) in list order only as far as the page and the count ahead need.
_MATCH_WHERE = {
    "customer_no": "c.customer_no = %(v)s",
    "id_no": "c.id_no = %(v)s",
    "phone": "c.id IN (SELECT customer_id FROM customer_phone WHERE phone = %(v)s)",
    # Stored landlines carry their area code; the reversed-number index finds them by their tail.
    "local_phone": """c.id IN (SELECT customer_id FROM customer_phone
                                WHERE kind = 'landline' AND reverse(phone) LIKE reverse(%(v)s) || '%%')""",
    "smart_card": "c.id IN (SELECT customer_id FROM device WHERE kind = 'smart_card' AND serial = %(v)s)",
    # A name is exact first; a partial name falls back to trigram similarity.
    "name": "(c.name_norm = %(v)s OR c.name_norm LIKE %(prefix)s OR (%(trgm)s AND c.name_norm %% %(v)s))",
    "address": "c.id IN (SELECT customer_id FROM premises WHERE address_norm LIKE %(contains)s)",
}


# A customer as a list shows it (search and browse), from `customer c`.
_SUMMARY = """
    c.customer_no, c.name, c.id_no, c.tier, c.status,
    (SELECT phone FROM customer_phone p WHERE p.customer_id = c.id
      ORDER BY is_primary DESC, phone LIMIT 1) AS primary_phone,
    (SELECT address FROM premises p WHERE p.customer_id = c.id ORDER BY id LIMIT 1) AS address,
    (SELECT coalesce(array_agg(DISTINCT system ORDER BY system), '{}')
       FROM legacy_link l WHERE l.customer_id = c.id) AS origins"""


def _like_literal(text: str) -> str:
    # A typed % or _ is a character to find, not a wildcard: q=% would otherwise list (and count) everyone.
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(cur, query: SearchQuery, offset: int, limit: int, count_ahead: int) -> tuple[list[dict], int, bool]:
    """A page of the customers matching `query`, merged ones last, with the total counted as browse counts
    it (offset + the hits from offset on, up to `count_ahead`) and whether counting stopped there."""
    literal = _like_literal(query.value)
    params = {"v": query.value, "prefix": literal + "%", "contains": "%" + literal + "%",
              "trgm": len(query.value) >= 3}
    return _counted_page(cur, _MATCH_WHERE[query.field], "c.status = 'merged', c.id", params,
                         offset, limit, count_ahead)


def _counted_page(cur, where: str, order_by: str, params: dict, offset: int, limit: int,
                  count_ahead: int) -> tuple[list[dict], int, bool]:
    """The customers `where` holds, a page from `offset` in `order_by` (which the list-order indexes
    serve), the total counted up to `count_ahead` past the offset, and whether it stopped there."""
    cur.execute(f"SELECT c.id FROM customer c WHERE {where} ORDER BY {order_by} OFFSET %(offset)s LIMIT %(ahead)s",
                {**params, "offset": offset, "ahead": count_ahead + 1})
    ids = [row["id"] for row in cur.fetchall()]
    if not ids and offset:
        # Past the end: how many there are at all, which is fewer than the offset.
        cur.execute(f"SELECT count(*) AS n FROM (SELECT 1 FROM customer c WHERE {where} LIMIT %(offset)s) m",
                    {**params, "offset": offset})
        return [], cur.fetchone()["n"], False
    cur.execute(f"SELECT {_SUMMARY} FROM customer c WHERE c.id = ANY(%(ids)s) ORDER BY {order_by}",
                {"ids": ids[:limit]})
    return cur.fetchall(), offset + min(len(ids), count_ahead), len(ids) > count_ahead


# -- writing ------------------------------------------------------------------------------------

def claim_identity(cur, id_no: str | None, name_norm: str, phone: str | None) -> None:
    """Refuse (AlreadyExists, naming the customer) a person who is a customer already: same ID number, or
    same name and phone. The person's keys are locked to the end of the transaction first, so of two
    clerks creating the same person at once the second waits, then finds the first one's customer; a
    read-then-insert alone would let both in."""
    keys = ([f"id:{id_no}"] if id_no else []) + ([f"name+phone:{name_norm}:{phone}"] if phone else [])
    for identity in sorted(keys):  # one order everywhere: two creates never wait for each other in a circle
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('customer-identity'), hashtext(%s))", (identity,))
    if id_no:
        cur.execute("SELECT customer_no FROM customer WHERE id_no = %s", (id_no,))
        if row := cur.fetchone():
            raise _duplicate(row["customer_no"])
    if phone:
        cur.execute("""SELECT c.customer_no FROM customer c JOIN customer_phone p ON p.customer_id = c.id
                        WHERE p.phone = %s AND c.name_norm = %s AND c.status = 'active' LIMIT 1""",
                    (phone, name_norm))
        if row := cur.fetchone():
            raise _duplicate(row["customer_no"])


def _duplicate(customer_no: str) -> AlreadyExists:
    return AlreadyExists(f"this person is already customer {customer_no}", reason="duplicate-customer")


def insert_customer(cur, *, name: str, name_norm: str, id_no: str | None, email: str | None,
                    tier: str, actor: str) -> dict:
    # The ID number is unique: a customer the legacy sync or a merge gave it since the claim is a duplicate
    # too, reported as one rather than as a failed insert.
    cur.execute("SAVEPOINT insert_customer")
    try:
        # Created here, the customer is in neither legacy system until a link says so (migration 0009).
        cur.execute("""INSERT INTO customer (name, name_norm, id_no, email, tier, created_by, updated_by, bss_only)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, true) RETURNING *""",
                    (name, name_norm, id_no, email, tier, actor, actor))
    except UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT insert_customer")
        cur.execute("SELECT customer_no FROM customer WHERE id_no = %s", (id_no,))
        raise _duplicate(cur.fetchone()["customer_no"]) from None
    return cur.fetchone()


def add_phone(cur, customer_id: int, phone: str, kind: str, primary: bool, source: str) -> None:
    if primary:
        cur.execute("UPDATE customer_phone SET is_primary = false WHERE customer_id = %s", (customer_id,))
    cur.execute("""INSERT INTO customer_phone (customer_id, phone, kind, is_primary, source)
                   VALUES (%s, %s, %s, %s, %s)
                   ON CONFLICT (customer_id, phone) DO UPDATE SET is_primary = EXCLUDED.is_primary""",
                (customer_id, phone, kind, primary, source))


def add_premises(cur, customer_id: int, address: str, address_norm: str, area_code: str | None) -> int:
    cur.execute("""INSERT INTO premises (customer_id, address, address_norm, area_code)
                   VALUES (%s, %s, %s, %s)
                   ON CONFLICT (customer_id, address_norm) DO UPDATE SET area_code = EXCLUDED.area_code
                   RETURNING id""", (customer_id, address, address_norm, area_code))
    return cur.fetchone()["id"]


def area_known(cur, area_code: str) -> bool:
    cur.execute("SELECT 1 FROM area_station WHERE area_code = %s", (area_code,))
    return cur.fetchone() is not None


def add_account(cur, customer_id: int, name: str, premises_id: int | None) -> int:
    cur.execute("INSERT INTO account (customer_id, premises_id, name) VALUES (%s, %s, %s) RETURNING id",
                (customer_id, premises_id, name))
    return cur.fetchone()["id"]


def update_customer(cur, customer_id: int, fields: dict, actor: str) -> None:
    if not fields:
        return
    assignments = ", ".join(f"{col} = %({col})s" for col in fields)
    cur.execute(f"UPDATE customer SET {assignments}, updated_at = now(), updated_by = %(actor)s "
                f"WHERE id = %(id)s", {**fields, "actor": actor, "id": customer_id})


def set_service_state(cur, service_id: int, state: str, actor: str) -> None:
    cur.execute("""UPDATE service SET state = %s, updated_at = now(), updated_by = %s,
                          ended_at = CASE WHEN %s = 'disconnected' THEN now() ELSE ended_at END
                    WHERE id = %s""", (state, actor, state, service_id))


def smart_card(cur, customer_id: int, card_no: str) -> dict:
    cur.execute("SELECT * FROM device WHERE customer_id = %s AND kind = 'smart_card' AND serial = %s",
                (customer_id, card_no))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"smart card {card_no} does not belong to this customer", reason="smart-card-not-found")
    return row


def insert_service(cur, **values) -> int:
    cols = ", ".join(values)
    cur.execute(f"INSERT INTO service ({cols}) VALUES ({', '.join(f'%({c})s' for c in values)}) RETURNING id",
                values)
    return cur.fetchone()["id"]


def account_for_premises(cur, customer_id: int, premises_id: int | None) -> int | None:
    """The household account paying at these premises, else the customer's first account."""
    cur.execute("""SELECT id FROM account WHERE customer_id = %s AND status = 'active'
                    ORDER BY premises_id IS NOT DISTINCT FROM %s DESC, id LIMIT 1""", (customer_id, premises_id))
    row = cur.fetchone()
    return row["id"] if row else None


def record_write_back(cur, *, service_id: int | None, system: str, action: str, request: dict,
                      ok: bool, detail: str, actor: str, legacy_changed_at=None) -> dict:
    cur.execute("""INSERT INTO write_back (service_id, system, action, request, outcome, detail, requested_by,
                                           legacy_changed_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING system, outcome, detail, at""",
                (service_id, system, action, Json(request), "ok" if ok else "failed", detail, actor,
                 legacy_changed_at))
    return cur.fetchone()


def add_contact(cur, customer_id: int, channel: str, kind: str, summary: str, actor: str) -> dict:
    cur.execute("""INSERT INTO contact (customer_id, channel, kind, summary, actor)
                   VALUES (%s, %s, %s, %s, %s) RETURNING id, channel, kind, summary, actor, at""",
                (customer_id, channel, kind, summary, actor))
    return cur.fetchone()



# -- match review ------------------------------------------------------------------------------

_MATCH_SIDE = """
    json_build_object(
        'customer_no', {c}.customer_no, 'name', {c}.name, 'id_no', {c}.id_no,
        'phone', (SELECT phone FROM customer_phone p WHERE p.customer_id = {c}.id
                   ORDER BY is_primary DESC, phone LIMIT 1),
        'address', (SELECT address FROM premises p WHERE p.customer_id = {c}.id ORDER BY id LIMIT 1),
        'origins', (SELECT coalesce(array_agg(DISTINCT system), '{{}}') FROM legacy_link l
                     WHERE l.customer_id = {c}.id))"""


def matches(cur, status: str, offset: int, limit: int, match_id: int | None = None) -> tuple[list[dict], int]:
    where, params = ("m.id = %(id)s", {"id": match_id}) if match_id else ("m.status = %(status)s", {"status": status})
    # The page is chosen from the queue's index alone and counted apart: a count(*) OVER () of the page
    # joined to both customers read two customers for every one of the 30,000 pending pairs.
    cur.execute(f"""
        WITH page AS (
            SELECT m.id FROM match_candidate m WHERE {where}
             ORDER BY m.score DESC, m.id LIMIT %(limit)s OFFSET %(offset)s)
        SELECT (SELECT count(*) FROM match_candidate m WHERE {where}) AS total,
               m.id, m.score, m.reasons, m.status, m.decided_by, m.decided_at, m.created_at,
               {_MATCH_SIDE.format(c='a')} AS left_side, {_MATCH_SIDE.format(c='b')} AS right_side
          FROM page JOIN match_candidate m USING (id)
          JOIN customer a ON a.id = m.customer_a JOIN customer b ON b.id = m.customer_b
         ORDER BY m.score DESC, m.id""", {**params, "limit": limit, "offset": offset})
    rows = cur.fetchall()
    if rows:
        return rows, rows[0]["total"]
    cur.execute(f"SELECT count(*) AS total FROM match_candidate m WHERE {where}", params)
    return [], cur.fetchone()["total"]


def match_for_update(cur, match_id: int) -> dict:
    cur.execute("SELECT * FROM match_candidate WHERE id = %s FOR UPDATE", (match_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"match {match_id} not found", reason="match-not-found")
    return row


def decide_match(cur, match_id: int, status: str, actor: str) -> None:
    cur.execute("UPDATE match_candidate SET status = %s, decided_by = %s, decided_at = now() WHERE id = %s",
                (status, actor, match_id))


def tiers(cur, *customer_ids: int) -> list[str]:
    cur.execute("SELECT id, tier FROM customer WHERE id = ANY(%s)", (list(customer_ids),))
    found = {row["id"]: row["tier"] for row in cur.fetchall()}
    return [found[i] for i in customer_ids]


def active_fees(cur, customer_id: int) -> list[int]:
    cur.execute("SELECT monthly_fee_minor FROM service WHERE customer_id = %s AND state = 'active'", (customer_id,))
    return [row["monthly_fee_minor"] for row in cur.fetchall()]


def merge_customers(cur, survivor: int, merged: int, actor: str) -> None:
    """Move everything of `merged` onto `survivor`; the merged record stays, pointing at the survivor."""
    for table in ("legacy_link", "account", "device", "service", "contact"):
        cur.execute(f"UPDATE {table} SET customer_id = %s WHERE customer_id = %s", (survivor, merged))
    cur.execute("""INSERT INTO customer_phone (customer_id, phone, kind, is_primary, source)
                   SELECT %s, phone, kind, false, source FROM customer_phone WHERE customer_id = %s
                   ON CONFLICT DO NOTHING""", (survivor, merged))
    cur.execute("DELETE FROM customer_phone WHERE customer_id = %s", (merged,))
    # Premises at the same normalized address become one; the services follow the survivor's row.
    cur.execute("""UPDATE service s SET premises_id = keep.id
                     FROM premises old JOIN premises keep
                          ON keep.customer_id = %s AND keep.address_norm = old.address_norm
                    WHERE old.customer_id = %s AND s.premises_id = old.id""", (survivor, merged))
    cur.execute("""UPDATE account a SET premises_id = keep.id
                     FROM premises old JOIN premises keep
                          ON keep.customer_id = %s AND keep.address_norm = old.address_norm
                    WHERE old.customer_id = %s AND a.premises_id = old.id""", (survivor, merged))
    cur.execute("""UPDATE device d SET premises_id = keep.id
                     FROM premises old JOIN premises keep
                          ON keep.customer_id = %s AND keep.address_norm = old.address_norm
                    WHERE old.customer_id = %s AND d.premises_id = old.id""", (survivor, merged))
    cur.execute("""DELETE FROM premises old USING premises keep
                    WHERE old.customer_id = %s AND keep.customer_id = %s AND keep.address_norm = old.address_norm""",
                (merged, survivor))
    cur.execute("UPDATE premises SET customer_id = %s WHERE customer_id = %s", (survivor, merged))
    # The ID number is unique, so it leaves the merged record before the survivor takes it.
    cur.execute("""UPDATE customer m SET status = 'merged', merged_into = %s, id_no = NULL,
                          updated_at = now(), updated_by = %s
                     FROM (SELECT id_no, email FROM customer WHERE id = %s) old
                    WHERE m.id = %s RETURNING old.id_no, old.email""", (survivor, actor, merged, merged))
    old = cur.fetchone()
    cur.execute("""UPDATE customer SET id_no = coalesce(id_no, %s), email = coalesce(email, %s),
                          updated_at = now(), updated_by = %s WHERE id = %s""",
                (old["id_no"], old["email"], actor, survivor))
    # Other open pairs that named the merged customer now name the survivor, unless that pair exists.
    other = "CASE WHEN m.customer_a = %(merged)s THEN m.customer_b ELSE m.customer_a END"
    involved = "m.status = 'pending' AND %(merged)s IN (m.customer_a, m.customer_b)"
    params = {"merged": merged, "survivor": survivor, "actor": actor}
    cur.execute(f"""UPDATE match_candidate m SET status = 'rejected', decided_by = %(actor)s, decided_at = now()
                     WHERE {involved} AND EXISTS (
                           SELECT 1 FROM match_candidate o
                            WHERE o.customer_a = least(%(survivor)s, {other})
                              AND o.customer_b = greatest(%(survivor)s, {other}))""", params)
    cur.execute(f"""UPDATE match_candidate m SET customer_a = least(%(survivor)s, {other}),
                                                 customer_b = greatest(%(survivor)s, {other})
                     WHERE {involved}""", params)


# -- import runs --------------------------------------------------------------------------------

def import_run(cur, run_id: int) -> dict:
    if run_id:
        cur.execute("SELECT * FROM import_run WHERE id = %s", (run_id,))
    else:
        cur.execute("SELECT * FROM import_run ORDER BY id DESC LIMIT 1")
    row = cur.fetchone()
    if row is None:
        raise NotFound("no such import run", reason="import-run-not-found")
    return row


# -- export -------------------------------------------------------------------------------------

_EXPORT = """
    SELECT c.customer_no, c.name, c.tier, c.status, m.customer_no AS merged_into_no, c.updated_at,
           coalesce((SELECT json_agg(json_build_object(
                         'account_no', a.account_no, 'name', a.name, 'status', a.status, 'premises_id', a.premises_id,
                         'service_nos', coalesce((SELECT array_agg(s.service_no ORDER BY s.service_no) FROM service s
                                                   WHERE s.customer_id = c.id AND s.account_id = a.id), '{}'))
                         ORDER BY a.account_no)
                       FROM account a WHERE a.customer_id = c.id), '[]') AS accounts,
           coalesce((SELECT json_agg(json_build_object(
                         'premises_id', p.id, 'address', p.address, 'area_code', p.area_code,
                         'station_code', st.station_code, 'station_name', st.station_name) ORDER BY p.id)
                       FROM premises p
                       LEFT JOIN area_station ast ON ast.area_code = p.area_code
                       LEFT JOIN station st ON st.station_code = ast.station_code
                      WHERE p.customer_id = c.id), '[]') AS premises,
           coalesce((SELECT json_agg(json_build_object(
                         'service_no', s.service_no, 'kind', s.kind, 'origin', s.origin, 'legacy_ref', s.legacy_ref,
                         'product_code', s.product_code, 'product_name', s.product_name,
                         'monthly_fee_minor', s.monthly_fee_minor, 'currency', s.currency, 'state', s.state,
                         'started_at', s.started_at, 'ended_at', s.ended_at, 'account_no', a.account_no,
                         'premises_id', s.premises_id, 'device_serial', d.serial) ORDER BY s.service_no)
                       FROM service s
                       LEFT JOIN account a ON a.id = s.account_id
                       LEFT JOIN device d ON d.id = s.device_id
                      WHERE s.customer_id = c.id), '[]') AS services
      FROM customer c LEFT JOIN customer m ON m.id = c.merged_into
     ORDER BY c.id"""


def begin_export(conn) -> int:
    """Open the export's one transaction, REPEATABLE READ so the position and every page see one moment;
    returns the greatest position of the published events it sees (0 before the first)."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cur.execute("SELECT coalesce(max(position), 0) AS position FROM outbox")
        return cur.fetchone()["position"]


def customers_for_export(conn, page_size: int) -> Iterator[list[dict]]:
    """Every customer with its accounts, premises and services, a page at a time through a server-side
    cursor: memory holds one page, whatever the number of customers."""
    with conn.cursor(name="customer_export", cursor_factory=RealDictCursor) as cur:
        cur.execute(_EXPORT)
        while page := cur.fetchmany(page_size):
            yield page


# -- services in areas ----------------------------------------------------------------------------

# The columns of proto ServicePage, in its order. Missing values are '' (what proto carries), and the
# rows come as tuples: a bulk reader takes them as columns, a dict per row would only be unpacked again.
# The primary phone (else the first) is one aggregate over the areas' customers' phones, not a lookup per
# service. Indexes (at a million customers): an area's premises come from premises_area_customer
# (migration 0009); kind and state need none, since a kind in a state is a large share of all services
# (active analog: 28%), which a sequential scan reads faster than any index would.
_SERVICES_IN_AREAS = """
    SELECT c.customer_no, c.name, coalesce(ph.phone, ''), coalesce(a.account_no, ''), s.service_no, p.id::text,
           p.address, p.area_code, coalesce(st.station_code, ''), coalesce(st.station_name, '')
      FROM premises p
      JOIN service s ON s.premises_id = p.id
      JOIN customer c ON c.id = s.customer_id
      LEFT JOIN account a ON a.id = s.account_id
      LEFT JOIN area_station ast ON ast.area_code = p.area_code
      LEFT JOIN station st ON st.station_code = ast.station_code
      LEFT JOIN (SELECT customer_id, coalesce(min(phone) FILTER (WHERE is_primary), min(phone)) AS phone
                   FROM customer_phone
                  WHERE customer_id IN (SELECT customer_id FROM premises WHERE area_code = ANY(%(areas)s))
                  GROUP BY customer_id) ph ON ph.customer_id = c.id
     WHERE p.area_code = ANY(%(areas)s) AND s.kind = %(kind)s AND s.state = %(state)s"""


def services_in_areas(conn, area_codes: list[str], kind: str, state: str, page_size: int) -> Iterator[list[tuple]]:
    """The services of a kind and state at premises in the areas, a page of row tuples at a time through
    a server-side cursor, all from one snapshot. A service without premises is in no area."""
    with conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # Every row is read, so plan for all of them (a cursor is planned for its first tenth by default),
        # with room for the hash joins over a million rows.
        cur.execute("SET LOCAL cursor_tuple_fraction = 1.0; SET LOCAL work_mem = '256MB'")
    with conn.cursor(name="services_in_areas") as cur:
        cur.itersize = page_size
        cur.execute(_SERVICES_IN_AREAS, {"areas": area_codes, "kind": kind, "state": state})
        while page := cur.fetchmany(page_size):
            yield page


# -- browse ---------------------------------------------------------------------------------------

# Each filter is a condition the planner can drive from its index when it matches few customers (a quiet
# station, merged customers, customers in neither legacy system), and check per customer while walking
# the list in customer order when it matches many. A station stands for its areas' codes, read first:
# a join to area_station would hide from the planner how many premises the station has.
_BROWSE_WHERE = {
    "status": "c.status = %(status)s",
    "tier": "c.tier = %(tier)s",
    "station_code": "c.id IN (SELECT p.customer_id FROM premises p WHERE p.area_code = ANY(%(areas)s))",
    "origin": "c.id IN (SELECT l.customer_id FROM legacy_link l WHERE l.system = %(origin)s)",
}
# No index finds an absence of links: the flag that migration 0009's triggers keep does.
_BSS_ONLY = "c.bss_only"


def browse(cur, filters: dict[str, str], offset: int, limit: int, count_ahead: int,
           timeout_ms: int) -> tuple[list[dict], int, bool]:
    """A page of customers in customer order, the total and whether counting stopped at the cap.

    The total is offset + the matches from offset on, counted up to `count_ahead`: bounded work per page
    instead of an exact count over a million rows. A very deep offset still walks most of the table;
    `timeout_ms` stops such a walk (QueryCanceled) before it holds a connection for seconds."""
    cur.execute("SET LOCAL statement_timeout = %s", (timeout_ms,))
    params = dict(filters)
    if "station_code" in filters:
        cur.execute("SELECT area_code FROM area_station WHERE station_code = %s", (filters["station_code"],))
        params["areas"] = [row["area_code"] for row in cur.fetchall()]
    where = " AND ".join(["true"] + [_BSS_ONLY if (name, value) == ("origin", "bss") else _BROWSE_WHERE[name]
                                     for name, value in filters.items()])
    return _counted_page(cur, where, "c.id", params, offset, limit, count_ahead)
