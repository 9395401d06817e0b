import pytest

from services.common.errors import IllegalTransition, InvalidArgument
from services.common.statemachine import StateMachine

DOOR = StateMachine("door", {("closed", "open"): "open", ("open", "close"): "closed", ("closed", "lock"): "locked",
                             ("locked", "unlock"): "closed"}, refusal="door-stuck")


def test_the_table_says_where_an_action_leads():
    assert DOOR.next_state("closed", "lock") == "locked"
    assert DOOR.states == {"open", "closed", "locked"} and DOOR.actions == {"open", "close", "lock", "unlock"}


def test_an_action_the_table_does_not_allow_now_is_an_illegal_transition_with_the_machines_reason():
    with pytest.raises(IllegalTransition, match="cannot open a door that is locked") as refused:
        DOOR.next_state("locked", "open")
    assert refused.value.reason == "door-stuck"


def test_an_unknown_action_or_state_is_an_invalid_argument():
    with pytest.raises(InvalidArgument, match="expected one of close, lock, open, unlock"):
        DOOR.next_state("closed", "kick")
    with pytest.raises(InvalidArgument) as unknown:
        DOOR.next_state("ajar", "close")
    assert unknown.value.reason == "unknown-state"
