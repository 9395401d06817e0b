"""The working-day calendar through the gateway: every service's own copy, read by staff and changed by
an admin in every service at once (and, when a service misses the change, said so and safe to resend)."""
from __future__ import annotations

import random

import pytest

from services.common.db import Database

from tests.harness import free_port
from tests.integration.billing_env import billing_database
from tests.integration.customer_env import customer_database, customer_server
from tests.integration.test_gateway import (assert_problem, bearer, billing_address, client_for,  # noqa: F401
                                            dispatch_address,
                                            gateway_db)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def databases(settings, dispatch_address):  # noqa: F811 -- dispatch's server migrated its schema
    dispatch = Database(settings.service_db_url("dispatch"), schema="dispatch", maxconn=1)
    with customer_database(settings) as customer, billing_database(settings) as billing:
        yield {"customer": customer, "billing": billing, "dispatch": dispatch}
    dispatch.close()


@pytest.fixture(scope="module")
def gw(settings, gateway_db, databases, billing_address, dispatch_address):  # noqa: F811
    with customer_server(settings) as port, \
            client_for(settings, customer_grpc=f"127.0.0.1:{port}", billing_grpc=billing_address,
                       dispatch_grpc=dispatch_address) as client:
        yield client


def stored(db, day: str) -> tuple | None:
    with db.transaction() as cur:
        cur.execute("SELECT working, name, source FROM work_calendar_day WHERE day = %s", (day,))
        row = cur.fetchone()
        return (row["working"], row["name"], row["source"]) if row else None


def a_free_day() -> str:
    """A day in a far year nobody else's test touches."""
    return f"{random.randrange(2200, 2900)}-{random.randrange(1, 13):02d}-{random.randrange(1, 29):02d}"


def test_staff_read_a_year_with_its_holidays_and_make_up_days(gw):
    year = gw.get("/api/v1/workingCalendar/2026", headers=bearer(gw, "technician"))
    assert year.status_code == 200, year.text
    body = year.json()
    assert body["known"] is True
    days = {d["day"]: d for d in body["days"]}
    assert days["2026-02-17"]["working"] is False  # Spring Festival
    assert any(d["working"] for d in body["days"])  # a make-up working weekend (调休)
    assert gw.get("/api/v1/workingCalendar/2950", headers=bearer(gw, "counter")).json()["known"] is False


def test_an_admin_changes_a_day_in_every_service(gw, databases):
    day = a_free_day()
    changed = gw.put(f"/api/v1/workingCalendar/days/{day}", json={"working": False, "name": "台风停工"},
                     headers=bearer(gw, "admin"))
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"day": day, "working": False, "name": "台风停工", "source": "admin"}
    for db in databases.values():
        assert stored(db, day) == (False, "台风停工", "admin")


def test_only_an_admin_changes_the_calendar_and_bad_input_is_refused(gw):
    day = a_free_day()
    assert_problem(gw.put(f"/api/v1/workingCalendar/days/{day}", json={"working": True},
                          headers=bearer(gw, "supervisor")), 403, "forbidden")
    admin = bearer(gw, "admin")
    assert gw.put("/api/v1/workingCalendar/days/2026-02-30", json={"working": True}, headers=admin).status_code == 422
    assert gw.put(f"/api/v1/workingCalendar/days/{day}", json={"working": "maybe"}, headers=admin).status_code == 422
    assert gw.put(f"/api/v1/workingCalendar/days/{day}", json={"working": True, "typo": 1},
                  headers=admin).status_code == 422
    assert gw.get("/api/v1/workingCalendar/1200", headers=admin).status_code == 422


def test_a_service_that_misses_the_change_is_named_and_a_resend_completes_it(settings, gateway_db, databases,  # noqa: F811
                                                                              billing_address,  # noqa: F811
                                                                              dispatch_address):  # noqa: F811
    day = a_free_day()
    with customer_server(settings) as port:
        with client_for(settings, customer_grpc=f"127.0.0.1:{port}",
                        billing_grpc=f"127.0.0.1:{free_port()}", dispatch_grpc=dispatch_address) as billing_down:
            missed = billing_down.put(f"/api/v1/workingCalendar/days/{day}", json={"working": True, "name": "补班"},
                                      headers=bearer(billing_down, "admin"))
            assert_problem(missed, 503, "calendar-partly-changed")
            assert "billing" in missed.json()["detail"]
            assert stored(databases["customer"], day) == (True, "补班", "admin")
            assert stored(databases["billing"], day) is None
        with client_for(settings, customer_grpc=f"127.0.0.1:{port}", billing_grpc=billing_address,
                        dispatch_grpc=dispatch_address) as both:
            again = both.put(f"/api/v1/workingCalendar/days/{day}", json={"working": True, "name": "补班"},
                             headers=bearer(both, "admin"))
            assert again.status_code == 200
    assert stored(databases["billing"], day) == (True, "补班", "admin")
