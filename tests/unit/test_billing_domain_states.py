import itertools

import pytest

from services.common.errors import IllegalTransition, InvalidArgument
from services.billing.domain.states import INITIAL, MACHINES, events, states, transition

LEGAL = [(m, s, e, to) for m, machine in MACHINES.items() for (s, e), to in machine.transitions.items()]
ILLEGAL = [(m, s, e) for m in MACHINES for s, e in itertools.product(sorted(states(m)), sorted(events(m)))
           if (s, e) not in MACHINES[m].transitions]


@pytest.mark.parametrize("machine,state,event,expected", LEGAL)
def test_every_legal_transition(machine, state, event, expected):
    assert transition(machine, state, event) == expected


@pytest.mark.parametrize("machine,state,event", ILLEGAL)
def test_every_other_pair_is_illegal(machine, state, event):
    with pytest.raises(IllegalTransition, match=f"cannot {event}"):
        transition(machine, state, event)


@pytest.mark.parametrize("machine,terminal", [
    ("bill", "paid"), ("bill", "written_off"), ("debit", "succeeded"), ("debit", "cancelled"),
    ("mandate", "revoked"), ("debit_batch", "reconciled"), ("debit_batch", "cancelled"),
    ("write_off", "approved"), ("write_off", "rejected"), ("write_off", "withdrawn"),
])
def test_terminal_states_have_no_way_out(machine, terminal):
    assert not [k for k in MACHINES[machine].transitions if k[0] == terminal]


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_state_is_reachable_from_the_initial_one(machine):
    seen, todo = {INITIAL[machine]}, [INITIAL[machine]]
    while todo:
        s = todo.pop()
        for (frm, _), to in MACHINES[machine].transitions.items():
            if frm == s and to not in seen:
                seen.add(to)
                todo.append(to)
    assert seen == states(machine)


def test_examples_the_services_rely_on():
    assert transition("bill", "on_hold", "release_overdue") == "overdue"
    assert transition("debit", "failed", "schedule_retry") == "retry_scheduled"
    assert transition("mandate", "needs_renewal", "renew") == "active"
    assert transition("debit_batch", "offered", "receive_result") == "result_received"
    with pytest.raises(IllegalTransition, match="cannot write_off a bill that is on_hold"):
        transition("bill", "on_hold", "write_off")
    with pytest.raises(IllegalTransition, match="debit batch that is reconciled"):
        transition("debit_batch", "reconciled", "receive_result")


@pytest.mark.parametrize("machine,state,event", [
    ("invoice", "issued", "pay_full"), ("bill", "issued", "explode"), ("bill", "lost", "pay_full"),
])
def test_unknown_names_are_invalid_arguments(machine, state, event):
    with pytest.raises(InvalidArgument):
        transition(machine, state, event)
