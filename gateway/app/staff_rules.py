"""What a staff account may be: its user name, what its role acts for (the scope), and a password good
enough to guard customers' personal data and a counter's money. Pure rules; staff.py applies them."""
from __future__ import annotations

import re

from services.common.errors import InvalidArgument
from services.common.inputrules import NAME_MAX, STATION_CODE_PATTERN, fold, wording

from .auth import Role
from .problems import Problem

# Lower case only: two accounts "Zhang" and "zhang" would be one person's two names to everyone reading an
# audit trail. The gateway's rule for a user name in a path or a body (keys.USERNAME_RULE) admits these.
USERNAME = re.compile(r"^[0-9a-z_.@-]{1,50}$")
BANK_CODE = re.compile(r"^[A-Z]{2,10}$")  # as billing's bank layouts name a bank (ICBC, CCB, BOC)
STATION_CODE = re.compile(f"^{STATION_CODE_PATTERN}$")
# What each scoped role acts for; every other role acts for the whole operator and takes no scope.
SCOPES = {Role.BANK: (BANK_CODE, "a bank's code such as ICBC"),
          Role.TECHNICIAN: (STATION_CODE, "the code of the station they work from, such as ST01"),
          Role.DISPATCHER: (STATION_CODE, "the code of the station they dispatch, such as ST01")}

# NIST SP 800-63B: length rather than composition rules, and no password everyone tries first. Argon2
# hashes any length, the upper bound keeps one sign-in's work bounded.
PASSWORD_MIN, PASSWORD_MAX = 12, 128
COMMON = frozenset({"password", "passw0rd", "qwerty", "qwertyuiop", "iloveyou", "welcome", "changeme", "letmein",
                    "admin", "administrator", "demo", "guest", "root", "test", "abc123", "a1b2c3", "woaini",
                    "woaini1314", "1q2w3e4r", "1qaz2wsx", "qazwsx", "zxcvbnm", "asdfghjkl"})
# Rows typed in order: digits round and round, the alphabet, the keyboard's letter rows.
ROWS = ("0123456789" * 13, "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm")


def username(value: str) -> str:
    name = fold(value).strip().lower()
    if not USERNAME.match(name):
        raise Problem(422, "invalid-username", "a user name is 1 to 50 lower-case letters, digits and . _ @ -")
    return name


def display_name(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        name = wording("displayName", value, NAME_MAX).strip()
    except InvalidArgument as exc:
        raise Problem(422, "invalid-display-name", exc.message) from None
    return name or None


def scope(role: Role, value: str | None) -> str | None:
    """The scope as stored: required and well-formed for a scoped role, absent for every other."""
    value = fold(value).strip().upper() if value else None
    rule = SCOPES.get(role)
    if rule is None:
        if value:
            raise Problem(422, "invalid-scope", f"the role {role.value} acts for the whole operator: send no scope")
        return None
    pattern, meaning = rule
    if not value or not pattern.match(value):
        raise Problem(422, "invalid-scope", f"a {role.value} account needs a scope: {meaning}")
    return value


def check_password(password: str, name: str) -> None:
    """Problem 422 weak-password naming what is wrong with `password` for user `name`."""
    fault = None
    lowered = password.lower()
    if "\x00" in password:
        fault = "a password cannot contain NUL characters"
    elif not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        fault = f"a password is {PASSWORD_MIN} to {PASSWORD_MAX} characters long"
    elif name and name in lowered:
        fault = "a password must not contain the user name"
    elif len(set(password)) < 4:
        fault = "a password needs more than three different characters"
    elif lowered.rstrip("0123456789!.") in COMMON or _is_run(lowered):
        fault = "this password is among the first anyone would try"
    if fault:
        raise Problem(422, "weak-password", fault)


def _is_run(text: str) -> bool:
    """1234567890ab..., abcdef..., qwerty..., 987654...: a stretch of a row everyone types in order."""
    return any(text in row or text in row[::-1] for row in ROWS)
