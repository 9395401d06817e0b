"""Billing's state machines as explicit tables: (state, event) -> new state.

An event not in a machine's table for the current state is an IllegalTransition (409 at the gateway),
never a silent no-op. Self-transitions are listed where repeating the event is a normal fact (a second
partial payment, a bank downloading its file again).
"""
from __future__ import annotations

from services.common.errors import InvalidArgument
from services.common.statemachine import StateMachine

# A bill's collection state. Being on hold (a complaint disputes it) stops collection and dunning; the
# hold is released into the state the bill's payments and due date put it in, which the caller knows.
BILL: dict[tuple[str, str], str] = {
    ("issued", "pay_part"): "partially_paid",
    ("issued", "pay_full"): "paid",
    ("issued", "fall_due"): "overdue",
    ("issued", "hold"): "on_hold",
    ("partially_paid", "pay_part"): "partially_paid",
    ("partially_paid", "pay_full"): "paid",
    ("partially_paid", "fall_due"): "overdue",
    ("partially_paid", "hold"): "on_hold",
    ("overdue", "pay_part"): "overdue",
    ("overdue", "pay_full"): "paid",
    ("overdue", "hold"): "on_hold",
    ("overdue", "write_off"): "written_off",
    ("on_hold", "pay_part"): "on_hold",
    ("on_hold", "pay_full"): "paid",
    ("on_hold", "release"): "issued",
    ("on_hold", "release_part_paid"): "partially_paid",
    ("on_hold", "release_overdue"): "overdue",
}

# One bank debit of one bill.
DEBIT: dict[tuple[str, str], str] = {
    ("pending", "send"): "sent",
    ("pending", "cancel"): "cancelled",
    ("sent", "succeed"): "succeeded",
    ("sent", "fail"): "failed",
    # The bank never answered it and a supervisor cancelled its batch: the bill may be collected again.
    ("sent", "cancel"): "cancelled",
    ("failed", "schedule_retry"): "retry_scheduled",
    ("retry_scheduled", "send"): "sent",
    ("retry_scheduled", "cancel"): "cancelled",
}

# A direct-debit authorisation (代扣授权).
MANDATE: dict[tuple[str, str], str] = {
    ("pending", "activate"): "active",
    ("pending", "revoke"): "revoked",
    ("active", "flag_renewal"): "needs_renewal",
    ("active", "revoke"): "revoked",
    ("needs_renewal", "flag_renewal"): "needs_renewal",
    ("needs_renewal", "renew"): "active",
    ("needs_renewal", "revoke"): "revoked",
}

# One bank's batch (报盘) and its result (回盘). A bank may download again and send its results in
# more than one file.
DEBIT_BATCH: dict[tuple[str, str], str] = {
    ("created", "offer"): "offered",
    ("created", "cancel"): "cancelled",
    ("offered", "download"): "downloaded",
    ("offered", "cancel"): "cancelled",
    ("offered", "receive_result"): "result_received",
    ("downloaded", "download"): "downloaded",
    ("downloaded", "cancel"): "cancelled",
    ("downloaded", "receive_result"): "result_received",
    ("result_received", "receive_result"): "result_received",
    ("result_received", "reconcile"): "reconciled",
}

# A proposal at the end of the dunning ladder; withdrawn when the arrears are paid before a decision.
WRITE_OFF: dict[tuple[str, str], str] = {
    ("proposed", "approve"): "approved",
    ("proposed", "reject"): "rejected",
    ("proposed", "withdraw"): "withdrawn",
}

MACHINES: dict[str, StateMachine] = {
    name: StateMachine(name.replace("_", " "), table) for name, table in
    (("bill", BILL), ("debit", DEBIT), ("mandate", MANDATE), ("debit_batch", DEBIT_BATCH), ("write_off", WRITE_OFF))}
INITIAL = {"bill": "issued", "debit": "pending", "mandate": "pending", "debit_batch": "created",
           "write_off": "proposed"}


def states(machine: str) -> set[str]:
    return set(_machine(machine).states)


def events(machine: str) -> set[str]:
    return set(_machine(machine).actions)


def transition(machine: str, state: str, event: str) -> str:
    """The state `event` moves a `machine` in `state` to; IllegalTransition when it may not happen now,
    InvalidArgument for a machine, state or event that does not exist."""
    return _machine(machine).next_state(state, event)


def _machine(machine: str) -> StateMachine:
    try:
        return MACHINES[machine]
    except KeyError:
        raise InvalidArgument(f"unknown state machine {machine!r}", reason="unknown-machine") from None
