"""What each role may do, and the signed tokens that say who is asking: roles, permissions, JWTs."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from functools import lru_cache

import jwt

from .problems import Problem

ALGORITHM = "HS256"


class Role(StrEnum):
    COUNTER = "counter"
    AGENT = "agent"
    TECHNICIAN = "technician"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    BANK = "bank"
    ADMIN = "admin"


# permission -> the roles that hold it. Banks hold only the collection files' ones: they exchange their own files.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "customers:read": frozenset({Role.COUNTER, Role.AGENT, Role.TECHNICIAN, Role.DISPATCHER, Role.SUPERVISOR,
                                 Role.ADMIN}),
    "customers:write": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    # Listing customers without a search term: the front line finds the customer in front of them by
    # searching; paging through everyone is oversight.
    "customers:browse": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "matches:review": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "imports:read": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    # The working-day calendar every clock counts on (SLAs, due dates, dunning, retries, appointments).
    "calendar:read": frozenset({Role.COUNTER, Role.AGENT, Role.TECHNICIAN, Role.DISPATCHER, Role.SUPERVISOR,
                                Role.ADMIN}),
    "calendar:admin": frozenset({Role.ADMIN}),
    # What an account owes and why: the front line answers the customer, oversight checks.
    "bills:read": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    # Taking money and closing a counter's day: those who stand at a counter (a supervisor covers one).
    "payments:take": frozenset({Role.COUNTER, Role.SUPERVISOR}),
    "payments:read": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    "closings:read": frozenset({Role.COUNTER, Role.SUPERVISOR}),
    # Refunds and adjustments change what a customer owes without money crossing the counter.
    "payments:correct": frozenset({Role.SUPERVISOR}),
    "billruns:run": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "catalog:read": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    "catalog:write": frozenset({Role.ADMIN}),
    # Signing a customer up to a promotion happens where the customer is served.
    "promotions:grant": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    # Dunning: admins set the ladders, supervisors run them and decide write-offs, agents hold disputed bills.
    "dunning:read": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "dunning:configure": frozenset({Role.ADMIN}),
    "dunning:run": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "bills:hold": frozenset({Role.AGENT, Role.SUPERVISOR}),
    "accounts:tag": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "writeoffs:decide": frozenset({Role.SUPERVISOR}),
    # Bank collection: the front line signs and renews mandates; oversight runs collection and works the
    # exception queue; a bank exchanges only its own files (its scope).
    "mandates:read": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    "mandates:write": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR}),
    "collection:run": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "debitBatches:read": frozenset({Role.BANK, Role.SUPERVISOR, Role.ADMIN}),
    "bankFiles:upload": frozenset({Role.BANK}),
    "bankFiles:read": frozenset({Role.BANK, Role.SUPERVISOR, Role.ADMIN}),
    "collectionExceptions:read": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "collectionExceptions:resolve": frozenset({Role.SUPERVISOR}),
    "collectionReports:read": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    # Work orders: a technician reads only their own and a dispatcher their station's (the dispatch service
    # narrows every read to the user's scope); the front line opens fault visits with the customer on the
    # line; cancelling is a dispatcher's decision, reopening a completed order a supervisor's.
    "workOrders:read": frozenset({Role.COUNTER, Role.AGENT, Role.TECHNICIAN, Role.DISPATCHER, Role.SUPERVISOR,
                                  Role.ADMIN}),
    "workOrders:create": frozenset({Role.COUNTER, Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR}),
    "workOrders:change": frozenset({Role.DISPATCHER, Role.SUPERVISOR}),
    # Ordering a service (install, relocation, conversion, swap, disconnect) is front-line work.
    "productOrders:write": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    "productOrders:read": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    # Scheduling: whoever talks to the customer books the visit; dispatchers (their station's) and
    # supervisors give orders to technicians, a technician claims an unassigned order of their station;
    # supervisors and admins keep the rosters.
    "appointments:book": frozenset({Role.COUNTER, Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR}),
    "workOrders:assign": frozenset({Role.DISPATCHER, Role.SUPERVISOR}),
    "workOrders:claim": frozenset({Role.TECHNICIAN}),
    "technicians:read": frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN}),
    "technicians:write": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    # The steps of a visit are the order's own technician's; the customer's confirmation code is told to the
    # customer by the front line and never shown to the technician who must hear it from the customer.
    "workOrders:field": frozenset({Role.TECHNICIAN}),
    "workOrders:confirmationCode": frozenset({Role.COUNTER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    # Device stock: a station's staff see its stock (a technician what they carry); dispatchers receive and
    # issue their station's, supervisors any; devices come back from the technician who carries them or
    # through their station's dispatcher.
    "stock:read": frozenset({Role.DISPATCHER, Role.TECHNICIAN, Role.SUPERVISOR, Role.ADMIN}),
    "stock:write": frozenset({Role.DISPATCHER, Role.SUPERVISOR}),
    "stock:return": frozenset({Role.TECHNICIAN, Role.DISPATCHER, Role.SUPERVISOR}),
    # A conversion campaign books stations' slots for months: oversight starts it; dispatchers follow it
    # (and list its orders of their station).
    "campaigns:run": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "campaigns:read": frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN}),
    # Who may sign in, and as what: admins keep the staff accounts (everyone chooses their own password).
    "staff:admin": frozenset({Role.ADMIN}),
    # Who changed what, when, in every service: oversight.
    "audit:read": frozenset({Role.SUPERVISOR, Role.ADMIN}),
}


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    # What the user acts for where the role needs it: a bank user's bank code, a dispatcher's or a
    # technician's station code.
    scope: str | None = None

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def issue_token(user: User, secret: str, ttl: timedelta, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    # The issue time to the microsecond: a password replaced a moment before or after tells old tokens from new.
    claims = {"sub": user.username, "role": user.role.value, "iat": now.timestamp(), "exp": now + ttl}
    if user.scope:
        claims["scope"] = user.scope
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str, now: float | None = None) -> User:
    user, expires, _ = _verified(token, secret)
    if (time.time() if now is None else now) >= expires:
        raise _expired()
    return user


def issued_at(token: str, secret: str) -> float:
    """When a token decode_token accepted was issued (a new password ends older tokens: users.still_current)."""
    return _verified(token, secret)[2]


def _expired() -> Problem:
    return Problem(401, "token-expired", "the access token has expired; sign in again",
                   {"WWW-Authenticate": 'Bearer error="invalid_token"'})


# A clerk's screen sends the same token with every request: its signature is checked once, and only its
# expiry again (decoding cost the gateway about a fifteenth of its CPU per request). A refused token
# raises, so it is never kept.
@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[User, float, float]:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "role"]})
        scope = claims.get("scope")
        return (User(str(claims["sub"]), Role(claims["role"]), str(scope) if scope else None), float(claims["exp"]),
                float(claims.get("iat", 0)))
    except jwt.ExpiredSignatureError:
        raise _expired() from None
    except (jwt.InvalidTokenError, ValueError):
        raise Problem(401, "invalid-token", "the access token is not valid",
                      {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
