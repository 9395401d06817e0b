"""The work order state machine: which action moves an order from which state to which, and who may take it.

    open --schedule--> scheduled --assign/claim--> assigned --accept--> accepted --arrive--> on_site
    on_site --complete--> completed;  accepted|on_site --return_unfinished--> open (re-dispatched)
    completed --reopen (supervisor)--> open;  any state before on_site --cancel--> cancelled

An order can be assigned without an appointment (a repair is visited within the day, not on a booked
slot). Rescheduling an assigned order releases its technician: the new day may be one they do not work.
An action not in the table for the current state is an IllegalTransition (HTTP 409), never a no-op.
"""
from __future__ import annotations

from services.common.errors import InvalidArgument
from services.common.statemachine import StateMachine

TYPES = ("install", "repair", "relocation", "digital_conversion", "equipment_swap", "disconnect", "reconnect")
STATES = ("open", "scheduled", "assigned", "accepted", "on_site", "completed", "cancelled")
OPEN_STATES = ("open", "scheduled", "assigned", "accepted", "on_site")

# (state, action) -> new state
TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "schedule"): "scheduled",
    ("scheduled", "schedule"): "scheduled",
    ("assigned", "schedule"): "scheduled",
    ("open", "assign"): "assigned",
    ("scheduled", "assign"): "assigned",
    ("assigned", "assign"): "assigned",
    ("open", "claim"): "assigned",
    ("scheduled", "claim"): "assigned",
    ("assigned", "accept"): "accepted",
    ("accepted", "arrive"): "on_site",
    ("on_site", "complete"): "completed",
    ("accepted", "return_unfinished"): "open",
    ("on_site", "return_unfinished"): "open",
    ("open", "cancel"): "cancelled",
    ("scheduled", "cancel"): "cancelled",
    ("assigned", "cancel"): "cancelled",
    ("accepted", "cancel"): "cancelled",
    ("completed", "reopen"): "open",
}
WORK_ORDER = StateMachine("work order", TRANSITIONS)
next_state = WORK_ORDER.next_state
ACTIONS = tuple(sorted(WORK_ORDER.actions))

# The event each action publishes (decision support follows them; the customer service and billing
# act on work_order_completed).
EVENTS = {"schedule": "work_order_scheduled", "assign": "work_order_assigned", "claim": "work_order_assigned",
          "complete": "work_order_completed", "return_unfinished": "work_order_returned_unfinished"}

# Actions only the order's own technician takes: the phone app's steps.
TECHNICIAN_ACTIONS = ("accept", "arrive", "complete", "return_unfinished")
# A completed order changes only by a supervisor's decision.
SUPERVISOR_ACTIONS = ("reopen",)


def may_take(action: str, role: str, username: str, technician: str | None) -> bool:
    """Whether this user may take the action on an order assigned to `technician`.

    Technicians take their own orders' steps and claim unassigned ones; supervisors and admins take any
    action; dispatchers every action but a technician's steps and the reopening of a completed order.
    Front-line staff (counter, agent) only book and cancel with the customer.
    """
    if role in ("supervisor", "admin"):
        return True
    if role == "technician":
        return action == "claim" or (action in TECHNICIAN_ACTIONS and technician == username)
    if action in TECHNICIAN_ACTIONS + SUPERVISOR_ACTIONS:
        return False
    if role == "dispatcher":
        return True
    return role in ("counter", "agent") and action in ("schedule", "cancel")


def validate_type(work_order_type: str) -> str:
    if work_order_type not in TYPES:
        raise InvalidArgument(f"type must be one of {', '.join(TYPES)}", reason="invalid-type")
    return work_order_type
