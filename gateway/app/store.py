"""All of the gateway's SQL: users, sign-in throttling and its audit trail, idempotency keys.
Functions take a cursor so the caller owns the transaction."""
from __future__ import annotations

from typing import Iterable

from psycopg2.extras import Json

from services.common.copy import CopyWriter


def find_active_user(cur, username: str) -> dict | None:
    cur.execute("""SELECT username, role, scope, password_hash, password_expired,
                          extract(epoch FROM tokens_valid_after) AS tokens_valid_after
                   FROM users WHERE username = %s AND active""", (username,))
    return cur.fetchone()


# -- staff accounts (staff.py) ------------------------------------------------------------------------

# The last successful sign-in is read from the sign-in audit trail (its index by name and time), so
# signing in writes nothing more than it did.
STAFF_COLUMNS = """u.username, u.display_name, u.role, u.scope, u.active, u.demo, u.password_expired,
    u.created_at, u.created_by, u.updated_at, u.updated_by,
    (SELECT max(e.at) FROM auth_event e WHERE e.username = u.username AND e.outcome = 'success') AS last_sign_in_at"""


def staff(cur, username: str, lock: bool = False) -> dict | None:
    cur.execute(f"SELECT {STAFF_COLUMNS} FROM users u WHERE u.username = %s" + (" FOR UPDATE OF u" if lock else ""),
                (username,))
    return cur.fetchone()


def staff_page(cur, role: str | None, active: bool | None, offset: int, limit: int) -> tuple[list[dict], int]:
    where = "(%(role)s::text IS NULL OR u.role = %(role)s) AND (%(active)s::boolean IS NULL OR u.active = %(active)s)"
    args = {"role": role, "active": active, "offset": offset, "limit": limit}
    cur.execute(f"SELECT count(*) AS n FROM users u WHERE {where}", args)
    total = cur.fetchone()["n"]
    cur.execute(f"SELECT {STAFF_COLUMNS} FROM users u WHERE {where} ORDER BY u.username OFFSET %(offset)s LIMIT %(limit)s",
                args)
    return cur.fetchall(), total


def insert_staff(cur, row: dict, actor: str) -> bool:
    """False when the user name is taken (by anyone, active or not: a name in an audit trail is one person)."""
    cur.execute("""INSERT INTO users (username, display_name, role, scope, password_hash, password_expired,
                                      created_by, updated_by)
                   VALUES (%(username)s, %(display_name)s, %(role)s, %(scope)s, %(password_hash)s,
                           %(password_expired)s, %(actor)s, %(actor)s)
                   ON CONFLICT (username) DO NOTHING""", {**row, "actor": actor})
    return cur.rowcount == 1


def update_staff(cur, username: str, changes: dict, actor: str) -> None:
    """`changes`: columns of users (never the hash; set_password) to their new values."""
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    cur.execute(f"UPDATE users SET {assignments}, updated_at = now(), updated_by = %(actor)s WHERE username = %(username)s",
                {**changes, "actor": actor, "username": username})


def set_password(cur, username: str, password_hash: str, expired: bool, actor: str, at: float) -> None:
    """The new hash; tokens issued before `at` (the gateway's clock, as their issue time is) stop working."""
    cur.execute("""UPDATE users SET password_hash = %s, password_expired = %s, updated_at = now(), updated_by = %s,
                                    tokens_valid_after = to_timestamp(%s)
                   WHERE username = %s""", (password_hash, expired, actor, at, username))


def clear_failures_of(cur, name_key: str) -> None:
    """Forget a name's failed sign-ins, from every address (throttle.py's name and pair counters)."""
    cur.execute("DELETE FROM login_throttle WHERE key = 'name:' || %(name)s OR starts_with(key, 'pair:' || %(name)s || '@')",
                {"name": name_key})


def lock_admin_changes(cur) -> None:
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('gateway.users.admins'))")


def other_active_admins(cur, username: str) -> int:
    cur.execute("SELECT count(*) AS n FROM users WHERE role = 'admin' AND active AND username <> %s", (username,))
    return cur.fetchone()["n"]


def upsert_demo_users(cur, users: Iterable[tuple[str, str, str | None]], password_hash: str) -> None:
    """Create missing demo users (username, role, scope) and reactivate existing ones; a real user of the
    same name is left alone."""
    for username, role, scope in users:
        cur.execute(
            """INSERT INTO users (username, role, scope, password_hash, demo) VALUES (%s, %s, %s, %s, true)
               ON CONFLICT (username) DO UPDATE SET active = true, scope = EXCLUDED.scope, updated_at = now(),
                   updated_by = 'system'
               WHERE users.demo AND (NOT users.active OR users.scope IS DISTINCT FROM EXCLUDED.scope)""",
            (username, role, scope, password_hash))


def deactivate_demo_users(cur) -> int:
    cur.execute("""UPDATE users SET active = false, updated_at = now(), updated_by = 'system'
                   WHERE demo AND active""")
    return cur.rowcount


# -- sign-in throttling and its audit trail --------------------------------------------------------

def blocked_counters(cur, keys: list[str]) -> dict[str, float]:
    """The counters among `keys` that are blocked now, with the seconds left on each."""
    cur.execute("""SELECT key, extract(epoch FROM blocked_until - now())::float AS seconds_left
                     FROM login_throttle WHERE key = ANY(%s) AND blocked_until > now()""", (keys,))
    return {row["key"]: row["seconds_left"] for row in cur.fetchall()}


def count_failure(cur, key: str, window_seconds: float) -> int:
    """One more failure on a counter (which forgets after a quiet window); returns the failures in a row."""
    cur.execute("""INSERT INTO login_throttle AS t (key, failures, last_failure_at) VALUES (%(key)s, 1, now())
                   ON CONFLICT (key) DO UPDATE SET
                       failures = CASE WHEN t.last_failure_at < now() - make_interval(secs => %(window)s)
                                       THEN 1 ELSE t.failures + 1 END,
                       last_failure_at = now()
                   RETURNING failures""", {"key": key, "window": window_seconds})
    return cur.fetchone()["failures"]


def block_counter(cur, key: str, seconds: float) -> None:
    cur.execute("UPDATE login_throttle SET blocked_until = now() + make_interval(secs => %s) WHERE key = %s",
                (seconds, key))


def forget_quiet_counters(cur, window_seconds: float) -> None:
    cur.execute("""DELETE FROM login_throttle
                    WHERE last_failure_at < now() - make_interval(secs => %(window)s)
                      AND (blocked_until IS NULL OR blocked_until < now())""", {"window": window_seconds})


def clear_counters(cur, keys: list[str]) -> None:
    cur.execute("DELETE FROM login_throttle WHERE key = ANY(%s)", (keys,))


def is_known_address(cur, name_key: str, address: str, trust_seconds: float) -> bool:
    cur.execute("""SELECT 1 FROM login_known_address WHERE name_key = %s AND address = %s
                      AND last_success_at > now() - make_interval(secs => %s)""",
                (name_key, address, trust_seconds))
    return cur.fetchone() is not None


def remember_address(cur, name_key: str, address: str) -> None:
    cur.execute("""INSERT INTO login_known_address (name_key, address, last_success_at) VALUES (%s, %s, now())
                   ON CONFLICT (name_key, address) DO UPDATE SET last_success_at = now()""",
                (name_key, address))


def record_auth_event(cur, username: str, address: str, outcome: str, detail: str | None,
                      correlation_id: str | None) -> None:
    cur.execute("""INSERT INTO auth_event (username, address, outcome, detail, correlation_id)
                   VALUES (%s, %s, %s, %s, %s)""", (username, address, outcome, detail, correlation_id))


# -- idempotency keys ----------------------------------------------------------------------------

def claim_idempotency_key(cur, username: str, key: str, method: str, path: str, request_hash: str,
                          ttl_seconds: float, abandoned_seconds: float) -> bool:
    """Take the key for this request: a new key, an expired one, or one whose request never finished
    (its gateway died). False when someone else's answer or request holds it."""
    cur.execute("""
        INSERT INTO idempotency_key (username, key, method, path, request_hash)
        VALUES (%(user)s, %(key)s, %(method)s, %(path)s, %(hash)s)
        ON CONFLICT (username, key) DO UPDATE SET
            method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
            status_code = NULL, response_body = NULL, response_headers = NULL, created_at = now()
        WHERE idempotency_key.created_at < now() - make_interval(secs => %(ttl)s)
           OR (idempotency_key.status_code IS NULL
               AND idempotency_key.created_at < now() - make_interval(secs => %(abandoned)s))
        RETURNING 1""", {"user": username, "key": key, "method": method, "path": path, "hash": request_hash,
                         "ttl": ttl_seconds, "abandoned": abandoned_seconds})
    return cur.fetchone() is not None


def idempotency_key(cur, username: str, key: str) -> dict | None:
    cur.execute("""SELECT request_hash, status_code, response_body, response_headers FROM idempotency_key
                    WHERE username = %s AND key = %s""", (username, key))
    return cur.fetchone()


def finish_idempotency_key(cur, username: str, key: str, status_code: int, body: object,
                           headers: dict[str, str]) -> None:
    cur.execute("""UPDATE idempotency_key SET status_code = %s, response_body = %s, response_headers = %s
                    WHERE username = %s AND key = %s""",
                (status_code, Json(body), Json(headers), username, key))


def release_idempotency_key(cur, username: str, key: str) -> None:
    cur.execute("DELETE FROM idempotency_key WHERE username = %s AND key = %s AND status_code IS NULL",
                (username, key))


def forget_expired_idempotency_keys(cur, ttl_seconds: float) -> None:
    cur.execute("DELETE FROM idempotency_key WHERE created_at < now() - make_interval(secs => %s)",
                (ttl_seconds,))


# -- retention (retention.py) ---------------------------------------------------------------------------

# The tables purged by age, each with the column that dates a row.
DATED = {"pi_access": "at", "auth_event": "at"}


def delete_older(cur, table: str, before, limit: int) -> int:
    """Up to `limit` rows of `table` (one of DATED) dated before `before`; how many went."""
    column = DATED[table]
    cur.execute(f"""DELETE FROM {table} WHERE ctid = ANY (ARRAY(
                        SELECT ctid FROM {table} WHERE {column} < %s LIMIT %s))""", (before, limit))
    return cur.rowcount


# -- who opened which customer's personal data (access_log.py) -----------------------------------------

def insert_accesses(cur, rows: list[tuple]) -> None:
    """(at, username, role, customer_no, purpose, address) rows, in one COPY: a page of search results is
    twenty rows, and for 20,000 rows COPY took half the time and half the gateway's CPU of INSERT ... VALUES
    (0.14-0.17 s and 0.06 s of CPU, against 0.30-0.35 s and 0.11-0.14 s)."""
    writer = CopyWriter(cur, "pi_access", ("at", "username", "role", "customer_no", "purpose", "address"),
                        batch=len(rows) + 1)
    for row in rows:
        writer.add(row)
    writer.flush()


def accesses(cur, customer_no: str, offset: int, limit: int) -> tuple[list[dict], int]:
    cur.execute("SELECT count(*) AS n FROM pi_access WHERE customer_no = %s", (customer_no,))
    total = cur.fetchone()["n"]
    cur.execute("""SELECT at, username, role, purpose, address FROM pi_access WHERE customer_no = %s
                   ORDER BY at DESC OFFSET %s LIMIT %s""", (customer_no, offset, limit))
    return cur.fetchall(), total
