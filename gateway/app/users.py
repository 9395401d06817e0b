"""Staff accounts: argon2 passwords, signing in, and the demo users of development and demo mode."""
from __future__ import annotations

import logging
import time
from functools import cache
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool

from services.common.db import Database
from services.common.demo_staff import demo_dispatchers, demo_technicians
from services.common.settings import Settings

from . import store
from .auth import Role, User

DEMO_PASSWORD = "demo"
# How long a token's account, once found active with the token's role, is taken to stay so.
ACCOUNT_CHECK_SECONDS = 5.0
CONFIRMED_MAX = 10_000  # remembered tokens past which the expired ones are forgotten

log = logging.getLogger(__name__)
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return hash_password("no such user")


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(db: Database, username: str, password: str) -> tuple[User, bool] | None:
    """The user, and whether their password was set by an admin for one sign-in (staff.py); None for a
    wrong name or password."""
    row = None
    if "\x00" not in username:  # no name holds one, and PostgreSQL text cannot even be asked about it
        with db.transaction() as cur:
            row = store.find_active_user(cur, username)
    # An unknown user costs the same hash as a known one, so timing does not reveal who exists.
    if row is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(row["password_hash"], password):
        return None
    return User(row["username"], Role(row["role"]), row["scope"]), row["password_expired"]


def still_current(db: Database, user: User, issued_at: float = 0.0) -> bool:
    """Whether the account behind a token is still active with the role and scope the token claims, and its
    password older than the token."""
    with db.transaction() as cur:
        row = store.find_active_user(cur, user.username)
    return (row is not None and row["role"] == user.role.value and row["scope"] == user.scope
            and (row["tokens_valid_after"] is None or issued_at >= row["tokens_valid_after"]))


class AccountCheck:
    """`lookup` (`still_current` on the gateway's database), asked at most once per `ttl` seconds for a
    user and role.

    Every request carries a token, and reading the users table for each was a round trip (and a hop to
    a worker thread) per request. So a deactivated account or a changed role is refused within `ttl`
    seconds instead of at once. Only the answer "still current" is kept: a refused token is asked
    about again each time, so signing in again after a change is never held up by the cache.
    """

    def __init__(self, lookup: Callable[[User, float], bool], ttl: float = ACCOUNT_CHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self._lookup = lookup
        self.ttl = ttl
        self._clock = clock
        # Keys come from tokens we signed: an entry per token in use (a user and role, issued when).
        self._confirmed: dict[tuple[User, float], float] = {}

    async def __call__(self, user: User, issued_at: float = 0.0) -> bool:
        key = (user, issued_at)
        if self._clock() < self._confirmed.get(key, float("-inf")):
            return True
        if not await run_in_threadpool(self._lookup, user, issued_at):
            self._confirmed.pop(key, None)
            return False
        now = self._clock()
        if len(self._confirmed) >= CONFIRMED_MAX:
            # An entry per token: without this, every sign-in of a long-running gateway would stay here.
            self._confirmed = {k: until for k, until in self._confirmed.items() if until > now}
        self._confirmed[key] = now + self.ttl
        return True


# The banks whose file layouts billing ships (services/billing/collection/banks): the demo's `bank` user
# acts for the first, and each has a user of its own (bank-ccb, ...).
DEMO_BANKS = ("ICBC", "CCB", "BOC")


def demo_users() -> list[tuple[str, str, str | None]]:
    """(username, role, scope): one user per role, named after it, one per demo bank, and the demo
    stations' dispatchers and technicians (the `dispatcher` and `technician` users among them, of the first
    station)."""
    scoped = {Role.BANK: DEMO_BANKS[0]}
    users = [(role.value, role.value, scoped.get(role)) for role in Role
             if role not in (Role.DISPATCHER, Role.TECHNICIAN)]
    return (users + [(f"bank-{code.lower()}", Role.BANK.value, code) for code in DEMO_BANKS[1:]]
            + [(name, Role.DISPATCHER.value, station) for name, station in demo_dispatchers()]
            + [(name, Role.TECHNICIAN.value, station) for name, station in demo_technicians()])


def ensure_demo_users(settings: Settings) -> None:
    """The demo users (demo_users()), password `demo`: only in development and demo mode.

    In production they are deactivated, so a database that once ran a demo cannot be entered with them.
    """
    db = Database(settings.service_db_url("gateway"), schema="gateway", maxconn=1)
    try:
        with db.transaction() as cur:
            if settings.demo:
                store.upsert_demo_users(cur, demo_users(), hash_password(DEMO_PASSWORD))
            elif deactivated := store.deactivate_demo_users(cur):
                log.warning("demo users deactivated in production mode", extra={"count": deactivated})
    finally:
        db.close()
