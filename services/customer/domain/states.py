"""The service state machine: which action moves a service from which state to which.

An action not in the table for the current state is an IllegalTransition, never a silent no-op.
"""
from __future__ import annotations

from services.common.statemachine import StateMachine

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

SERVICE = StateMachine("service", TRANSITIONS)
next_state = SERVICE.next_state
