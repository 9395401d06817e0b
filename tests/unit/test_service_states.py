import pytest

from services.common.errors import IllegalTransition, InvalidArgument
from services.customer.domain.states import TRANSITIONS, next_state


@pytest.mark.parametrize("state,action,expected", [
    ("active", "suspend", "suspended"),
    ("suspended", "restore", "active"),
    ("active", "disconnect", "disconnected"),
    ("suspended", "disconnect", "disconnected"),
])
def test_allowed_transitions(state, action, expected):
    assert next_state(state, action) == expected


@pytest.mark.parametrize("state,action", [
    ("suspended", "suspend"), ("active", "restore"), ("disconnected", "restore"),
    ("disconnected", "suspend"), ("disconnected", "disconnect"), ("pending", "suspend"),
])
def test_illegal_transitions_are_errors(state, action):
    with pytest.raises(IllegalTransition, match=f"cannot {action}"):
        next_state(state, action)


def test_unknown_action_is_invalid_argument():
    with pytest.raises(InvalidArgument):
        next_state("active", "explode")


def test_disconnected_is_terminal():
    assert not [k for k in TRANSITIONS if k[0] == "disconnected"]
