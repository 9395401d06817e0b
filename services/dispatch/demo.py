"""Dispatch's demo data (`python -m deploy.suite demo`, idempotent): the demo stations' technicians on
the roster (services/common/demo_staff.py), each station with a generalist, an installer and a repairer,
so automatic assignment has skills and loads to weigh. An entry an admin changed is left as it is."""
from __future__ import annotations

from services.common.db import Database
from services.common.demo_staff import demo_technicians

from .domain.states import TYPES
from .scheduling import store
from .service import NAME
from .settings import DispatchSettings

ACTOR = "demo"
# (skills, daily capacity) of a station's first, second and third technician, and so on round.
PROFILES = [(list(TYPES), 8),
            (["install", "relocation", "digital_conversion", "equipment_swap"], 10),
            (["repair", "equipment_swap", "disconnect", "reconnect"], 6)]


def roster() -> list[tuple[str, str, list[str], int]]:
    """(username, station, skills, capacity) of every demo technician."""
    rows = []
    for username, station in demo_technicians():
        skills, capacity = PROFILES[(int(username.rsplit("-", 1)[1]) - 1) % len(PROFILES)]
        rows.append((username, station, skills, capacity))
    return rows


def demo(settings: DispatchSettings) -> None:
    db = Database(settings.service_db_url(NAME), schema=NAME, maxconn=1)
    try:
        with db.transaction() as cur:
            added = store.add_technicians(cur, roster(), ACTOR)
        print(f"dispatch: {added} technicians put on the roster", flush=True)
    finally:
        db.close()
