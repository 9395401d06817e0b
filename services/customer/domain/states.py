"""The service state machine: which action moves a service from which state to which.

An action not in the table for the current state is an IllegalTransition, never a silent no-op.
"""
from __future__ import annotations

from services.common.errors import IllegalTransition, InvalidArgument

ACTIONS = ("suspend", "restore", "disconnect")

# (state, action) -> new state
TRANSITIONS: dict[tuple[str, str], str] = {
    ("active", "suspend"): "suspended",
    ("suspended", "restore"): "active",
    ("pending", "disconnect"): "disconnected",
    ("active", "disconnect"): "disconnected",
    ("suspended", "disconnect"): "disconnected",
}

# The event each transition publishes.
EVENTS = {"suspended": "service_suspended", "active": "service_restored", "disconnected": "service_disconnected"}


def next_state(state: str, action: str) -> str:
    if action not in ACTIONS:
        raise InvalidArgument(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}",
                              reason="unknown-action")
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(f"cannot {action} a service that is {state}") from None
