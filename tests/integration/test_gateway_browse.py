"""Browsing customers without a search term, through the gateway to the real customer service: filters,
stable order, paging, the bounded count and who may browse."""
from __future__ import annotations

import random
import uuid

import psycopg2
import pytest

from services.customer.domain.normalize import normalize_name
from services.customer.domain.search import classify
from services.customer.handlers import BROWSE_COUNT_AHEAD
from tests.integration.customer_env import unique_mobile, valid_id_no
from tests.integration.test_gateway import (assert_problem, bearer, client_for, gateway_db, real,  # noqa: F401
                                            stand_in)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def station(settings, real):  # noqa: F811
    """A station of its own with one area, and three customers living there: VIP, regular, VIP."""
    code = f"T{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(settings.service_db_url("customer"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("INSERT INTO customer.station VALUES (%s, '测试站')", (code,))
        cur.execute("INSERT INTO customer.area_station VALUES (%s, %s)", (code, code))
    conn.close()
    clerk = bearer(real, "counter")
    numbers = []
    for tier in ("VIP", "regular", "VIP"):
        body = {"name": "钱七", "idNo": valid_id_no(), "phone": unique_mobile(), "address": "文三路400号",
                "areaCode": code, "tier": tier}
        created = real.post("/api/v1/customers", json=body, headers=clerk)
        assert created.status_code == 201, created.text
        numbers.append(created.json()["customerNo"])
    return code, numbers


def browse(real, **params):  # noqa: F811
    return real.get("/api/v1/customers", params=params, headers=bearer(real, "supervisor"))


def test_a_supervisor_browses_a_station_in_customer_order(real, station):  # noqa: F811
    code, numbers = station
    response = browse(real, station=code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["customerNo"] for c in body["data"]] == numbers
    assert body["count"] == 3 and body["countCapped"] is False and response.headers["X-Total-Count"] == "3"
    assert {c["origins"][0] for c in body["data"]} == {"bss"}


def test_filters_combine_and_pages_follow_each_other(real, station):  # noqa: F811
    code, numbers = station
    vip = browse(real, station=code, tier="VIP", status="active", origin="bss").json()
    assert [c["customerNo"] for c in vip["data"]] == [numbers[0], numbers[2]]
    second = browse(real, station=code, offset=1, limit=1).json()
    assert [c["customerNo"] for c in second["data"]] == [numbers[1]] and second["count"] == 3
    past_the_end = browse(real, station=code, offset=10)
    assert past_the_end.json() == {"data": [], "count": 3, "countCapped": False}
    assert browse(real, station=code, origin="cms").json()["count"] == 0
    assert browse(real, station=code, status="merged").json()["count"] == 0


def test_counting_stops_after_a_bounded_number_of_matches(real, station):  # noqa: F811
    # The station fixture makes three customers, so even a fresh database has a page of two to browse.
    everyone = browse(real, limit=2)
    assert everyone.status_code == 200 and len(everyone.json()["data"]) == 2
    if everyone.json()["countCapped"]:
        assert everyone.json()["count"] == BROWSE_COUNT_AHEAD
    else:
        assert everyone.json()["count"] <= BROWSE_COUNT_AHEAD


@pytest.mark.parametrize("role", ["counter", "agent", "technician", "bank"])
def test_only_supervisors_and_admins_browse(real, role):  # noqa: F811
    assert_problem(real.get("/api/v1/customers", headers=bearer(real, role)), 403, "forbidden")
    assert real.get("/api/v1/customers", headers=bearer(real, "admin")).status_code == 200


@pytest.mark.parametrize("params, reason", [
    ({"tier": "gold"}, "validation-error"), ({"origin": "crm"}, "validation-error"),
    ({"status": "gone"}, "validation-error"), ({"station": "ST 01"}, "validation-error"),
    ({"q": "138", "tier": "VIP"}, "filter-with-search"),
])
def test_bad_filters_are_422(real, params, reason):  # noqa: F811
    assert_problem(browse(real, **params), 422, reason)


def test_the_gateway_sends_the_filters(settings, gateway_db, stand_in):  # noqa: F811
    service, port = stand_in
    with client_for(settings, customer_grpc=f"127.0.0.1:{port}") as api:
        response = api.get("/api/v1/customers", params={"station": "ST01", "tier": "household", "offset": 40,
                                                        "limit": 20}, headers=bearer(api, "admin"))
    assert response.status_code == 200 and response.json()["countCapped"] is True
    assert response.headers["X-Total-Count"] == "240"
    request = next(r for name, r, _ in reversed(service.calls) if name == "BrowseCustomers")
    assert (request.station_code, request.tier, request.status, request.origin) == ("ST01", "household", "", "")
    assert (request.offset, request.limit) == (40, 20)


@pytest.fixture(scope="module")
def namesakes(settings):
    """More customers than a search counts ahead, sharing a name of three random ideographs."""
    rng = random.Random()

    def draw() -> str:
        return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(3))
    name = draw()
    while classify(name).field != "name":  # with 街, 路, 村 and the like the box searches addresses
        name = draw()
    conn = psycopg2.connect(settings.service_db_url("customer"))
    conn.autocommit = True
    with conn.cursor() as cur:
        # Stored as the service stores it: a traditional character among the three (one draw in a hundred and
        # thirty) is searched in its simplified form.
        cur.execute("""INSERT INTO customer.customer (name, name_norm)
                       SELECT %s, %s FROM generate_series(1, %s)""",
                    (name, normalize_name(name), BROWSE_COUNT_AHEAD + 5))
    conn.close()
    return name


def test_a_search_counts_up_to_the_cap_and_says_so(real, namesakes):  # noqa: F811
    clerk = bearer(real, "counter")
    first = real.get("/api/v1/customers", params={"q": namesakes, "limit": 10}, headers=clerk)
    assert first.status_code == 200, first.text
    assert (first.json()["count"], first.json()["countCapped"]) == (BROWSE_COUNT_AHEAD, True)
    assert first.headers["X-Total-Count"] == str(BROWSE_COUNT_AHEAD)
    last = real.get("/api/v1/customers", params={"q": namesakes, "offset": BROWSE_COUNT_AHEAD}, headers=clerk)
    assert len(last.json()["data"]) == 5
    assert (last.json()["count"], last.json()["countCapped"]) == (BROWSE_COUNT_AHEAD + 5, False)
    past_the_end = real.get("/api/v1/customers", params={"q": namesakes, "offset": 1000}, headers=clerk)
    assert past_the_end.json() == {"data": [], "count": BROWSE_COUNT_AHEAD + 5, "countCapped": False}
