"""Dispatch's demo data (`python -m deploy.suite demo`, idempotent): the demo stations' technicians on
the roster (services/common/demo_staff.py), each station with a generalist, an installer and a repairer,
so automatic assignment has skills and loads to weigh (an entry an admin changed is left as it is); and
each station's stock of set-top boxes and smart cards, some in each technician's hands, so a technician
can complete an install (received once: a station that has stock gets none); and, while dispatch has no
work order yet, a repair visit on each technician's phone for an analog home of their station (found
through the customer service's stream, as a campaign finds its homes)."""
from __future__ import annotations

from services.common.db import Database
from services.common.demo_staff import DEMO_AREAS, demo_technicians

from . import events
from . import store as core_store
from .customer_lookup import CustomerLookup
from .domain.access import Actor
from .handlers import DispatchHandlers, transition
from .domain.states import TYPES
from .scheduling import store
from .stock import store as stock
from .service import NAME
from .settings import DispatchSettings

ACTOR = "demo"
# Devices a station receives of each kind, and how many of each every technician carries.
STOCK = {"stb": ("HD-S1", "STB-{station}-{n:04d}"), "smart_card": ("CA-2026", "8{digits}{n:04d}")}
STOCK_PER_STATION = 60
# The columns of the customer service's service stream a repair visit is made from.
HOME_FIELDS = ("customer_no", "customer_name", "primary_phone", "account_no", "service_no", "premises_id", "address",
               "area_code", "station_code", "station_name")
CARRIED_EACH = 10
# (skills, daily capacity) of a station's first, second and third technician, and so on round.
PROFILES = [(list(TYPES), 8),
            (["install", "relocation", "digital_conversion", "equipment_swap"], 10),
            (["repair", "equipment_swap", "disconnect", "reconnect"], 6)]


def roster() -> list[tuple[str, str, list[str], int]]:
    """(username, station, skills, capacity) of every demo technician."""
    rows = []
    for username, station in demo_technicians():
        # tech-st01-2 is its station's second; the plain `technician` user a generalist like each first.
        number = username.rsplit("-", 1)[-1]
        skills, capacity = PROFILES[(int(number) - 1 if number.isdigit() else 0) % len(PROFILES)]
        rows.append((username, station, skills, capacity))
    return rows


def demo(settings: DispatchSettings) -> None:
    db = Database(settings.service_db_url(NAME), schema=NAME, maxconn=1)
    try:
        with db.transaction() as cur:
            added = store.add_technicians(cur, roster(), ACTOR)
            received = receive_stock(cur)
        visits = repair_visits(db, settings)
        print(f"dispatch: {added} technicians put on the roster, {received} devices received into stock, "
              f"{visits} repair visits on the technicians' phones", flush=True)
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


def repair_visits(db: Database, settings: DispatchSettings) -> int:
    """A fault visit assigned to each demo technician, for an analog home of their station."""
    with db.transaction() as cur:
        cur.execute("SELECT 1 FROM work_order LIMIT 1")
        if cur.fetchone():
            return 0
    technicians: dict[str, list[str]] = {}
    for name, station in demo_technicians():
        technicians.setdefault(station, []).append(name)
    customers = CustomerLookup(settings.customer_grpc)
    homes: list[dict] = []
    try:
        for page in customers.services_in_areas(list(DEMO_AREAS), "analog_tv", "active"):
            homes += [dict(zip(HOME_FIELDS, row)) for row in zip(*(getattr(page, f) for f in HOME_FIELDS))]
            if len(homes) >= 2000:
                break
    finally:
        customers.close()
    handlers, supervisor = DispatchHandlers(db, settings.timezone), Actor(ACTOR, "supervisor")
    made = 0
    for station, names in technicians.items():
        mine = [h for h in homes if h["station_code"] == station][:len(names)]
        for home, name in zip(mine, names):
            order = handlers.create({
                "type": "repair", "source": "fault", "customer_no": home["customer_no"],
                "customer_name": home["customer_name"], "contact_phone": home["primary_phone"],
                "account_no": home["account_no"] or None, "service_no": home["service_no"],
                "premises_id": home["premises_id"] or None, "address": home["address"], "area_code": home["area_code"],
                "station_code": station, "kind": "analog_tv", "description": "电视无信号，雪花点",
                "request_id": f"demo:{home['service_no']}"}, home["station_name"], supervisor)
            with db.transaction() as cur:
                transition(cur, core_store.work_order(cur, order["work_order_no"], lock=True), "assign", supervisor,
                           {"technician": name}, {"technician": name},
                           event=lambda o: events.assigned(o, "dispatcher"))
            made += 1
    return made
