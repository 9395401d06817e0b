"""A bank's rule for its account numbers, checked before a number goes into a mandate or a file."""
from __future__ import annotations

from services.common.inputrules import fold

from .layouts import BankLayout

_NOISE = str.maketrans("", "", " \t-")


class InvalidAccountNumber(ValueError):
    """`rule` names the broken rule: empty, digits_only, length, prefix or luhn."""

    def __init__(self, bank: str, rule: str, message: str):
        super().__init__(f"{bank} account number: {message}")
        self.bank, self.rule = bank, rule


_DOUBLED = {str(d): (d * 2 - 9 if d > 4 else d * 2) for d in range(10)}


def luhn_ok(digits: str) -> bool:
    return (sum(map(int, digits[-1::-2])) + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))) % 10 == 0


def validate_account_number(layout: BankLayout, number: str) -> str:
    """The number as the bank wants it (no spaces or dashes, half-width digits), or InvalidAccountNumber."""
    rule = layout.account_rule
    # Clerks copy numbers from passbooks in groups of four and type with Chinese input methods.
    number = number or ""
    value = number if number.isascii() and number.isdigit() else fold(number or "").translate(_NOISE)
    if not value:
        raise InvalidAccountNumber(layout.code, "empty", "missing")
    if rule.digits_only and not (value.isascii() and value.isdigit()):
        raise InvalidAccountNumber(layout.code, "digits_only", "must be digits only")
    if len(value) not in rule.lengths:
        allowed = " or ".join(str(n) for n in rule.lengths)
        raise InvalidAccountNumber(layout.code, "length", f"{len(value)} characters, must be {allowed}")
    if rule.prefixes and not value.startswith(rule.prefixes):
        raise InvalidAccountNumber(layout.code, "prefix",
                                   f"must start with {' or '.join(rule.prefixes)}")
    if rule.luhn and not luhn_ok(value):
        raise InvalidAccountNumber(layout.code, "luhn", "check digit (Luhn) does not match")
    return value
