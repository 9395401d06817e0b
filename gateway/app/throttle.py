"""How failed sign-ins are throttled: the policy, as pure functions (the counters live in the database,
store.py, so that every gateway replica sees the same ones; login.py applies the policy).

Three kinds of counter, each counting failed sign-ins and forgetting after WINDOW without one:

- per name (the name as asked, case-folded), whether or not such a user exists, so probing names is
  throttled exactly like guessing a real user's password and a 429 tells nothing about who exists;
- per address, across all names, so one address trying many names is stopped even though no single name
  fails often;
- per (name, address), used instead of the two above for an address where that name has signed in
  successfully within TRUST: a storm on a clerk's name from elsewhere, or from other desks behind the
  same NAT, does not lock the clerk out at the desk they use. Guessing that clerk's password from that
  address is still throttled, by this counter.

So a storm on one name locks out only that name, and only at addresses it has never used; a storm from
one address stops that address only for names that have not signed in there. The price: a user signing
in from a new address while their name is under attack waits like the attacker. A refusal (429) is not a
failure (no password was checked), so hammering a blocked counter does not lengthen its block.
Attempts that race past the check together each count their failure; the next one sees the block. The
address is the peer uvicorn reports (behind a proxy, run uvicorn with --forwarded-allow-ips for it).

Once a counter reaches its threshold every further failure blocks it for a delay that doubles, from
BASE_DELAY up to MAX_DELAY. A successful sign-in clears that name's counters (not the address's: one
valid account must not let an address go on guessing other names).
"""
from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

WINDOW = timedelta(hours=1)
TRUST = timedelta(days=30)
BASE_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=15)
MAX_NAME = 200  # longer names share a counter with their first 200 characters


class Counter(StrEnum):
    NAME = "name"
    ADDRESS = "address"
    PAIR = "pair"


# How many failures within WINDOW a counter takes before it blocks. An address may be a whole call center
# behind one NAT, so it gets more room than a single name.
THRESHOLDS: dict[Counter, int] = {Counter.NAME: 5, Counter.ADDRESS: 20, Counter.PAIR: 5}


# A success clears these: they are about this account, not about the address.
ACCOUNT_COUNTERS = (Counter.NAME, Counter.PAIR)


def as_typed(username: str) -> str:
    """The name as asked, fit to store: PostgreSQL text cannot hold NUL, and a counter key has a bound."""
    return username.replace("\x00", "\ufffd")[:MAX_NAME]


def name_key(username: str) -> str:
    # Admin, ADMIN and admin are one name to throttle, however the user table compares them.
    return as_typed(username).casefold()


def counter_keys(username: str, address: str) -> dict[Counter, str]:
    name = name_key(username)
    return {Counter.NAME: f"name:{name}", Counter.ADDRESS: f"address:{address}",
            Counter.PAIR: f"pair:{name}@{address}"}


def judges(known_address: bool) -> tuple[Counter, ...]:
    """The counters that decide an attempt: the pair alone where the name has signed in before."""
    return (Counter.PAIR,) if known_address else (Counter.NAME, Counter.ADDRESS)


def block_after(counter: Counter, failures: int) -> timedelta | None:
    """How long a counter is blocked after its `failures`-th failure in a row; None below the threshold."""
    over = failures - THRESHOLDS[counter]
    if over < 0:
        return None
    return min(BASE_DELAY * 2 ** min(over, 32), MAX_DELAY)
