"""All of the gateway's SQL: its users. Functions take a cursor so the caller owns the transaction."""
from __future__ import annotations

from typing import Iterable


def find_active_user(cur, username: str) -> dict | None:
    cur.execute("SELECT username, role, password_hash FROM users WHERE username = %s AND active",
                (username,))
    return cur.fetchone()


def upsert_demo_users(cur, users: Iterable[tuple[str, str]], password_hash: str) -> None:
    """Create missing demo users and reactivate existing ones; a real user of the same name is left alone."""
    for username, role in users:
        cur.execute(
            """INSERT INTO users (username, role, password_hash, demo) VALUES (%s, %s, %s, true)
               ON CONFLICT (username) DO UPDATE SET active = true, updated_at = now(), updated_by = 'system'
               WHERE users.demo AND NOT users.active""",
            (username, role, password_hash))


def deactivate_demo_users(cur) -> int:
    cur.execute("""UPDATE users SET active = false, updated_at = now(), updated_by = 'system'
                   WHERE demo AND active""")
    return cur.rowcount
