"""A state machine as an explicit table of (state, action) -> new state, as every service's records have
(a service, a product order, a bill, a debit, a work order): an action the table does not allow in the
current state is an IllegalTransition (HTTP 409), never a silent no-op; an action that does not exist at
all is an InvalidArgument (HTTP 422)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import IllegalTransition, InvalidArgument


@dataclass(frozen=True)
class StateMachine:
    # What the machine's records are called in a refusal: "cannot cancel a work order that is completed".
    name: str
    transitions: dict[tuple[str, str], str]
    # The reason slug of a refusal (the problem type the gateway answers).
    refusal: str = "illegal-transition"
    states: frozenset[str] = field(init=False)
    actions: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "states", frozenset({s for s, _ in self.transitions} | set(self.transitions.values())))
        object.__setattr__(self, "actions", frozenset(a for _, a in self.transitions))

    def next_state(self, state: str, action: str) -> str:
        if action not in self.actions:
            raise InvalidArgument(f"unknown {self.name} action {action!r}; expected one of "
                                  f"{', '.join(sorted(self.actions))}", reason="unknown-action")
        if state not in self.states:
            raise InvalidArgument(f"unknown {self.name} state {state!r}", reason="unknown-state")
        try:
            return self.transitions[(state, action)]
        except KeyError:
            raise IllegalTransition(f"cannot {action} a {self.name} that is {state}", reason=self.refusal) from None
