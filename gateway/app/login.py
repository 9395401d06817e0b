"""Signing in: the throttle checked before the password, every attempt audited, counters moved after.

The policy (which counters, thresholds, delays) is throttle.py's; this module only applies it.
"""
from __future__ import annotations

import math

from services.common.db import Database

from . import store, throttle
from .auth import User
from .problems import Problem
from .users import authenticate

UNKNOWN_ADDRESS = "unknown"


def sign_in(db: Database, username: str, password: str, address: str | None,
            correlation_id: str | None = None, allow_expired: bool = False) -> User:
    """The user, or Problem 401 (wrong name or password), 429 (too many failures, with Retry-After) or 403
    (the password was an admin's for one sign-in, unless `allow_expired`: the call that replaces it)."""
    address = address or UNKNOWN_ADDRESS
    asked, name = throttle.as_typed(username), throttle.name_key(username)
    keys = throttle.counter_keys(username, address)
    window = throttle.WINDOW.total_seconds()
    # A refusal must be committed (audited) before it is raised: raising inside the transaction rolls back.
    with db.transaction() as cur:
        known = store.is_known_address(cur, name, address, throttle.TRUST.total_seconds())
        counters = {kind: keys[kind] for kind in throttle.judges(known)}
        blocked = store.blocked_counters(cur, list(counters.values()))
        refused_by = [kind.value for kind, key in counters.items() if key in blocked]
        if refused_by:
            store.record_auth_event(cur, asked, address, "throttled", ",".join(refused_by), correlation_id)
    if refused_by:
        retry_after = math.ceil(max(blocked.values()))
        raise Problem(429, "login-throttled",
                      f"too many failed sign-ins; try again in {retry_after} seconds",
                      {"Retry-After": str(retry_after)})

    found = authenticate(db, username, password)
    user, expired = found if found is not None else (None, False)
    must_change = expired and not allow_expired

    with db.transaction() as cur:
        if user is None:
            for kind, key in counters.items():
                if delay := throttle.block_after(kind, store.count_failure(cur, key, window)):
                    store.block_counter(cur, key, delay.total_seconds())
            store.forget_quiet_counters(cur, window)
            store.record_auth_event(cur, asked, address, "failure", None, correlation_id)
        else:
            store.clear_counters(cur, [keys[kind] for kind in throttle.ACCOUNT_COUNTERS])
            store.remember_address(cur, name, address)
            store.record_auth_event(cur, asked, address, "success",
                                    "password change required" if must_change else None, correlation_id)
    if user is None:
        raise Problem(401, "invalid-credentials", "wrong username or password", {"WWW-Authenticate": "Bearer"})
    if must_change:
        raise Problem(403, "password-change-required",
                      "this password was set by an admin for one sign-in: choose your own with POST /api/v1/auth/password")
    return user
