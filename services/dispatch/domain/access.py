"""Who sees which work orders: a technician only their own, a dispatcher only their station's; the
front line, supervisors and admins every one. Whoever may not see an order is told it does not exist."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    scope: str | None = None  # a dispatcher's or technician's station code


def sees(actor: Actor, station_code: str, technician: str | None) -> bool:
    if actor.role == "technician":
        return technician == actor.username
    if actor.role == "dispatcher":
        return station_code == actor.scope
    return True


def list_scope(actor: Actor) -> dict[str, str]:
    """The filters a list is narrowed to for this actor, whatever they asked for."""
    if actor.role == "technician":
        return {"technician": actor.username}
    if actor.role == "dispatcher":
        return {"station_code": actor.scope or ""}
    return {}
