"""Dispatch's demo data (`python -m deploy.suite demo`, idempotent): the demo stations' technicians on
the roster (services/common/demo_staff.py), each station with a generalist, an installer and a repairer,
so automatic assignment has skills and loads to weigh (an entry an admin changed is left as it is); and
each station's stock of set-top boxes and smart cards, some in each technician's hands, so a technician
can complete an install (received once: a station that has stock gets none)."""
from __future__ import annotations

from services.common.db import Database
from services.common.demo_staff import demo_technicians

from . import store as core_store
from .domain.states import TYPES
from .scheduling import store
from .stock import store as stock
from .service import NAME
from .settings import DispatchSettings

ACTOR = "demo"
# Devices a station receives of each kind, and how many of each every technician carries.
STOCK = {"stb": ("HD-S1", "STB-{station}-{n:04d}"), "smart_card": ("CA-2026", "8{digits}{n:04d}")}
STOCK_PER_STATION = 60
CARRIED_EACH = 10
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
            received = receive_stock(cur)
        print(f"dispatch: {added} technicians put on the roster, {received} devices received into stock",
              flush=True)
    finally:
        db.close()


def receive_stock(cur) -> int:
    """Each demo station's boxes and cards, CARRIED_EACH of each kind issued to every technician of it."""
    received = 0
    technicians = demo_technicians()
    for station in sorted({station for _, station in technicians}):
        cur.execute("SELECT 1 FROM device WHERE station_code = %s LIMIT 1", (station,))
        if cur.fetchone():
            continue
        core_store.ensure_station(cur, station, station)
        staff = [name for name, at in technicians if at == station]
        for kind, (model, pattern) in STOCK.items():
            serials = [pattern.format(station=station, digits=station[2:].rjust(11, "0"), n=n)
                       for n in range(1, STOCK_PER_STATION + 1)]
            stock.receive(cur, station, kind, model, serials, ACTOR)
            received += len(serials)
            for i, name in enumerate(staff):
                stock.move(cur, "issue", serials[i * CARRIED_EACH:(i + 1) * CARRIED_EACH],
                           {"state": "issued", "technician": name}, ACTOR)
    return received
