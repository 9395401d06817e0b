"""Tokens, passwords and the permission table: pure, no database."""
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from gateway.app.auth import PERMISSIONS, Role, User, decode_token, issue_token
from gateway.app.problems import Problem
from services.common.demo_staff import DEMO_STATIONS
from gateway.app.users import DEMO_BANKS, authenticate, demo_users, hash_password, verify_password

SECRET = "unit-test-secret-0123456789abcdef0123"


def test_token_round_trip_carries_name_and_role():
    user = User("clerk7", Role.COUNTER)
    assert decode_token(issue_token(user, SECRET, timedelta(minutes=5)), SECRET) == user


def test_expired_token_is_refused():
    token = issue_token(User("a", Role.AGENT), SECRET, timedelta(minutes=5),
                        now=datetime.now(timezone.utc) - timedelta(hours=1))
    with pytest.raises(Problem) as err:
        decode_token(token, SECRET)
    assert (err.value.status, err.value.reason) == (401, "token-expired")


# Tokens are made at collection: expiries far enough that a slow full run still sees them unexpired.
@pytest.mark.parametrize("token", [
    "not-a-jwt",
    issue_token(User("a", Role.ADMIN), "another-secret-0123456789abcdef0123", timedelta(minutes=5)),
    jwt.encode({"sub": "a", "role": "emperor", "exp": datetime.now(timezone.utc) + timedelta(days=1)},
               SECRET, algorithm="HS256"),
    jwt.encode({"sub": "a", "role": "admin"}, SECRET, algorithm="HS256"),  # never expires: refused
    jwt.encode({"sub": "a", "role": "admin", "exp": datetime.now(timezone.utc) + timedelta(days=1)},
               None, algorithm="none"),
])
def test_forged_or_malformed_tokens_are_refused(token):
    with pytest.raises(Problem) as err:
        decode_token(token, SECRET)
    assert (err.value.status, err.value.reason) == (401, "invalid-token")


def test_password_hash_verifies_only_the_right_password():
    hashed = hash_password("s3cret")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "s3cret")
    assert not verify_password(hashed, "S3cret")
    assert not verify_password("not a hash", "s3cret")


def test_bank_holds_no_customer_permission():
    # A bank exchanges its own collection files, nothing else.
    assert {p for p in PERMISSIONS if User("b", Role.BANK).may(p)} == {"debitBatches:read", "bankFiles:upload",
                                                                        "bankFiles:read"}


def test_technician_reads_but_does_not_write_customers():
    tech = User("t", Role.TECHNICIAN)
    assert tech.may("customers:read") and not tech.may("customers:write")


def test_only_supervisors_and_admins_review_matches():
    assert PERMISSIONS["matches:review"] == {Role.SUPERVISOR, Role.ADMIN}


def test_a_name_with_nul_is_simply_unknown():
    # It used to reach PostgreSQL, which cannot hold NUL in text: a 500 at sign-in (no database here).
    assert authenticate(db=None, username="admin\x00", password="demo") is None


def test_a_token_seen_before_is_still_refused_once_it_expires():
    token = issue_token(User("c", Role.COUNTER), SECRET, timedelta(minutes=5))
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert decode_token(token, SECRET) == User("c", Role.COUNTER)  # checked once, then remembered
    with pytest.raises(Problem) as err:
        decode_token(token, SECRET, now=later.timestamp())
    assert (err.value.status, err.value.reason) == (401, "token-expired")


def test_a_token_is_not_remembered_under_another_secret():
    token = issue_token(User("c", Role.COUNTER), SECRET, timedelta(minutes=5))
    assert decode_token(token, SECRET).username == "c"
    with pytest.raises(Problem) as err:
        decode_token(token, "another-secret-0123456789abcdef0123")
    assert err.value.reason == "invalid-token"


def test_a_bank_users_token_carries_the_bank_it_acts_for():
    user = User("bank-ccb", Role.BANK, "CCB")
    assert decode_token(issue_token(user, SECRET, timedelta(minutes=5)), SECRET) == user
    clerk = User("counter", Role.COUNTER)
    assert decode_token(issue_token(clerk, SECRET, timedelta(minutes=5)), SECRET).scope is None


def test_every_demo_bank_and_station_has_users_of_its_own():
    banks = {scope for _, role, scope in demo_users() if role == Role.BANK.value}
    assert banks == set(DEMO_BANKS)
    for station in DEMO_STATIONS:
        staff = [(name, role) for name, role, scope in demo_users() if scope == station]
        assert sum(role == Role.DISPATCHER.value for _, role in staff) == 1
        assert sum(role == Role.TECHNICIAN.value for _, role in staff) >= 3, "several technicians per station"
    field = (Role.BANK.value, Role.DISPATCHER.value, Role.TECHNICIAN.value)
    assert all(scope is None for _, role, scope in demo_users() if role not in field)
    assert len({name for name, _, _ in demo_users()}) == len(demo_users())
