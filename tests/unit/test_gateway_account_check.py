"""The per-request account check keeps "still current" for a few seconds: pure, a fake clock and lookup."""
import asyncio

from gateway.app.auth import Role, User
from gateway.app.users import AccountCheck

CLERK = User("clerk7", Role.SUPERVISOR)


class Accounts:
    """The users table as a dict, counting how often it is asked."""

    def __init__(self):
        self.roles = {CLERK.username: CLERK.role}
        self.valid_after = 0.0  # when the password was last replaced
        self.asked = 0

    def __call__(self, user: User, issued_at: float) -> bool:
        self.asked += 1
        return self.roles.get(user.username) == user.role and issued_at >= self.valid_after


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def check(accounts: Accounts, clock: Clock) -> AccountCheck:
    return AccountCheck(accounts, ttl=5.0, clock=clock)


def test_a_current_account_is_asked_about_once_per_ttl():
    accounts, clock = Accounts(), Clock()
    current = check(accounts, clock)
    assert all(asyncio.run(current(CLERK)) for _ in range(50))
    assert accounts.asked == 1
    clock.now += 5.0
    assert asyncio.run(current(CLERK)) and accounts.asked == 2


def test_a_deactivated_account_is_refused_once_the_ttl_has_passed():
    accounts, clock = Accounts(), Clock()
    current = check(accounts, clock)
    assert asyncio.run(current(CLERK))
    del accounts.roles[CLERK.username]
    clock.now += 4.9
    assert asyncio.run(current(CLERK))  # the price of not reading the table on every request
    clock.now += 0.1
    assert not asyncio.run(current(CLERK))


def test_a_refusal_is_not_kept_so_signing_in_again_works_at_once():
    accounts, clock = Accounts(), Clock()
    current = check(accounts, clock)
    demoted = User(CLERK.username, Role.COUNTER)
    assert not asyncio.run(current(demoted))
    accounts.roles[CLERK.username] = Role.COUNTER
    assert asyncio.run(current(demoted))
    assert not asyncio.run(current(CLERK))  # the old token's role, asked again and refused


def test_a_new_password_ends_older_tokens_not_the_new_one():
    accounts, clock = Accounts(), Clock()
    current = check(accounts, clock)
    assert asyncio.run(current(CLERK, 100.0))
    accounts.valid_after = 200.0
    assert asyncio.run(current(CLERK, 200.0)), "the token the change answered with"
    clock.now += 5.0
    assert not asyncio.run(current(CLERK, 100.0)) and asyncio.run(current(CLERK, 200.0))


def test_tokens_long_expired_from_the_cache_are_forgotten(monkeypatch):
    from gateway.app import users
    monkeypatch.setattr(users, "CONFIRMED_MAX", 3)
    accounts, clock = Accounts(), Clock()
    current = check(accounts, clock)
    for issued in (1.0, 2.0, 3.0):
        assert asyncio.run(current(CLERK, issued))
    clock.now += 5.0
    assert asyncio.run(current(CLERK, 4.0))
    assert list(current._confirmed) == [(CLERK, 4.0)], "one entry per sign-in would grow without end"
