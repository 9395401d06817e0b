"""The demo's field staff, one list for the gateway (their sign-ins) and dispatch (its technician roster):
each of the customer service's demo stations (its migration 0001) has a dispatcher and three technicians,
each logging in as themselves (tech-st01-1, ...), and the first also the `technician` user. Development and
demo mode only."""
from __future__ import annotations

DEMO_STATIONS = ("ST01", "ST02", "ST03", "ST04", "ST05")
# An area each of them covers (the customer service's area_station): where the demo finds homes to visit.
DEMO_AREAS = ("0101", "0201", "0301", "0401", "0501")
TECHNICIANS_PER_STATION = 3


def demo_technicians() -> list[tuple[str, str]]:
    """(username, station code) of every demo technician: the plain `technician` user works the first
    station beside its three, so whoever signs in as it finds a visit on the phone and devices in hand."""
    return [("technician", DEMO_STATIONS[0])] + [(f"tech-{station.lower()}-{n}", station) for station in DEMO_STATIONS
                                                  for n in range(1, TECHNICIANS_PER_STATION + 1)]


def demo_dispatchers() -> list[tuple[str, str]]:
    """(username, station code): the `dispatcher` user works the first station, dispatcher-st02... the others."""
    return [("dispatcher" if i == 0 else f"dispatcher-{station.lower()}", station)
            for i, station in enumerate(DEMO_STATIONS)]
