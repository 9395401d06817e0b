"""Staff accounts as use cases: an admin lists, opens, changes and deactivates accounts and sets a password
for one sign-in; each person then chooses their own. Every change is audited (audit_log), never with a
password or its hash. A deactivated or re-roled account's tokens stop working within AccountCheck's seconds.
"""
from __future__ import annotations

import time

from services.common.audit import audit
from services.common.db import Database

from . import staff_rules as rules
from . import store, throttle
from .auth import Role, User
from .login import sign_in
from .problems import Problem
from .users import hash_password, verify_password


def _found(cur, username: str, lock: bool = False) -> dict:
    row = store.staff(cur, username, lock)
    if row is None:
        raise Problem(404, "staff-not-found", f"no staff account {username}")
    return row


def list_staff(db: Database, role: Role | None, active: bool | None, offset: int, limit: int
               ) -> tuple[list[dict], int]:
    with db.transaction() as cur:
        return store.staff_page(cur, role.value if role else None, active, offset, limit)


def get_staff(db: Database, username: str) -> dict:
    with db.transaction() as cur:
        return _found(cur, rules.username(username))


def check_technician(db: Database, username: str, station_code: str) -> None:
    """Problem 422 unless `username` is an active technician account of `station_code`: a roster entry
    without one would be given visits nobody sees (a technician sees only their own station's orders)."""
    with db.transaction() as cur:
        row = store.find_active_user(cur, username)
    if row is None or row["role"] != Role.TECHNICIAN or (row["scope"] or "").upper() != station_code.upper():
        raise Problem(422, "unknown-technician",
                      f"{username} is not an active technician account of {station_code.upper()}: open or change the "
                      "account first (/api/v1/staff)")


def create_staff(db: Database, actor: User, username: str, role: Role, scope: str | None,
                 display_name: str | None, password: str, for_one_sign_in: bool = True) -> dict:
    """A new account. An admin's password is for one sign-in (`for_one_sign_in`); the command line that
    makes the first admin sets the operator's own."""
    name = rules.username(username)
    rules.check_password(password, name)
    row = {"username": name, "role": role.value, "scope": rules.scope(role, scope),
           "display_name": rules.display_name(display_name), "password_hash": hash_password(password),
           "password_expired": for_one_sign_in}
    with db.transaction() as cur:
        if not store.insert_staff(cur, row, actor.username):
            raise Problem(409, "staff-exists", f"the user name {name} is taken")
        audit(cur, "staff", name, "created", {k: row[k] for k in ("role", "scope", "display_name")}, actor.username)
        return _found(cur, name)


def change_staff(db: Database, actor: User, username: str, changes: dict) -> tuple[dict, dict]:
    """`changes`: any of role (a Role), scope, display_name, active. A scope follows the role: a new role
    without a scope keeps the old one only where it still fits. The account before and after."""
    name = rules.username(username)
    with db.transaction() as cur:
        before = _found(cur, name, lock=True)
        role = changes.get("role") or Role(before["role"])
        wanted: dict = {}
        if "role" in changes or "scope" in changes:
            scope = changes["scope"] if "scope" in changes else (before["scope"] if role in rules.SCOPES else None)
            wanted.update(role=role.value, scope=rules.scope(role, scope))
        if "display_name" in changes:
            wanted["display_name"] = rules.display_name(changes["display_name"])
        if "active" in changes:
            wanted["active"] = changes["active"]
        wanted = {k: v for k, v in wanted.items() if before[k] != v}
        if not wanted:
            return before, before
        # Someone must be left to keep the accounts (and the catalog, the calendar...): only the command
        # line could make an admin again.
        stays_admin = wanted.get("role", before["role"]) == Role.ADMIN and wanted.get("active", before["active"])
        if before["role"] == Role.ADMIN and before["active"] and not stays_admin:
            # Two admins deactivating each other at once would each still see the other: such changes take
            # turns, and the second counts after the first has committed.
            store.lock_admin_changes(cur)
            if store.other_active_admins(cur, name) == 0:
                raise Problem(409, "last-admin", f"{name} is the last active admin: make another admin first")
        store.update_staff(cur, name, wanted, actor.username)
        audit(cur, "staff", name, "changed", {k: [before[k], v] for k, v in wanted.items()}, actor.username)
        return before, _found(cur, name)


def set_password_for_one_sign_in(db: Database, actor: User, username: str, password: str) -> dict:
    """An admin's reset: the person signs in with it once, to choose their own."""
    name = rules.username(username)
    rules.check_password(password, name)
    with db.transaction() as cur:
        _found(cur, name, lock=True)
        store.set_password(cur, name, hash_password(password), True, actor.username, time.time())
        store.clear_failures_of(cur, throttle.name_key(name))
        audit(cur, "staff", name, "password-set", {"forOneSignIn": True}, actor.username)
        return _found(cur, name)


def choose_password(db: Database, username: str, password: str, new_password: str, address: str | None,
                    correlation_id: str | None) -> User:
    """A person replaces their password (an admin's for one sign-in, or their own): the old one is checked
    as a sign-in is (throttled, audited), and the new one must differ."""
    user = sign_in(db, username, password, address, correlation_id, allow_expired=True)
    rules.check_password(new_password, user.username)
    with db.transaction() as cur:
        row = store.find_active_user(cur, user.username)
        if verify_password(row["password_hash"], new_password):
            raise Problem(422, "weak-password", "the new password must differ from the old one")
        store.set_password(cur, user.username, hash_password(new_password), False, user.username, time.time())
        audit(cur, "staff", user.username, "password-chosen", {}, user.username)
    return user
