"""The 360 view's one statement against the real PostgreSQL: every section, its order and its values as
the tables hold them (timestamps as datetimes, as every other query gives them), through a pooled
connection that runs it prepared and a plain one that does not."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import psycopg2.extras
import pytest

from services.common.db import connect
from services.common.errors import NotFound
from services.customer import store
from tests.integration.customer_env import customer_database, unique_mobile

pytestmark = pytest.mark.integration
# Microseconds with trailing zeros: PostgreSQL's JSON writes .12, Python's isoformat .120000.
STARTED = datetime(2024, 3, 1, 8, 30, 5, 120000, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def db(settings):
    with customer_database(settings) as database:
        yield database


def one(cur, sql: str, params=()) -> dict:
    cur.execute(sql, params)
    return cur.fetchone()


@pytest.fixture(scope="module")
def household(db) -> dict:
    """A customer with something in every section, and a second one merged into it."""
    tag = uuid.uuid4().hex[:8]
    with db.transaction() as cur:
        c = one(cur, "INSERT INTO customer (name, name_norm) VALUES ('王小明', %s) RETURNING id, customer_no", (tag,))
        merged = one(cur, """INSERT INTO customer (name, name_norm, status, merged_into) VALUES ('王小明', %s,
                              'merged', %s) RETURNING customer_no""", (tag, c["id"]))
        mobile, landline = unique_mobile(), "0571" + unique_mobile()[-8:]
        cur.execute("""INSERT INTO customer_phone (customer_id, phone, kind, is_primary, source)
                       VALUES (%s, %s, 'landline', false, 'cms'), (%s, %s, 'mobile', true, 'bss')""",
                    (c["id"], landline, c["id"], mobile))
        home = one(cur, """INSERT INTO premises (customer_id, address, address_norm, area_code)
                           VALUES (%s, '文三路100号', %s, '0101') RETURNING id""", (c["id"], f"a{tag}"))["id"]
        away = one(cur, """INSERT INTO premises (customer_id, address, address_norm, area_code)
                           VALUES (%s, '别处1号', %s, '9999') RETURNING id""", (c["id"], f"b{tag}"))["id"]
        account = one(cur, "INSERT INTO account (customer_id, premises_id, name) VALUES (%s, %s, '王小明') "
                           "RETURNING id, account_no", (c["id"], home))
        empty = one(cur, "INSERT INTO account (customer_id, name) VALUES (%s, '空') RETURNING account_no", (c["id"],))
        card = one(cur, """INSERT INTO device (customer_id, premises_id, kind, serial, origin)
                           VALUES (%s, %s, 'smart_card', %s, 'sms') RETURNING id""",
                   (c["id"], home, f"8{uuid.uuid4().int % 10**15:015d}"))["id"]
        services = [one(cur, """INSERT INTO service (customer_id, account_id, premises_id, device_id, kind, origin,
                                                     product_code, product_name, state, started_at, ended_at)
                                VALUES (%s, %s, %s, %s, %s, 'bss', 'P1', '基本包', %s, %s, %s)
                                RETURNING service_no""",
                            (c["id"], account["id"], home, device, kind, state, STARTED,
                             STARTED if state == "disconnected" else None))["service_no"]
                    for kind, state, device in (("digital_tv", "disconnected", card), ("analog_tv", "active", None),
                                                ("digital_tv", "active", card))]
        cur.execute("""INSERT INTO legacy_link (system, legacy_key, customer_id, method, score)
                       VALUES ('sms', %s, %s, 'score', 0.85), ('cms', %s, %s, 'id_no', NULL)""",
                    (f"s{tag}", c["id"], f"c{tag}", c["id"]))
        for n in range(12):
            cur.execute("""INSERT INTO contact (customer_id, channel, kind, summary, actor, at)
                           VALUES (%s, 'counter', 'note', %s, 'clerk', %s)""",
                        (c["id"], f"note {n}", STARTED.replace(minute=n)))
    return {"id": c["id"], "customer_no": c["customer_no"], "merged_no": merged["customer_no"],
            "mobile": mobile, "landline": landline, "home": home, "away": away,
            "account_no": account["account_no"], "empty_account_no": empty["account_no"], "services": services}


def test_every_section_in_order(db, household):
    with db.transaction() as cur:
        view = store.customer_view(cur, household["customer_no"], recent_contacts=10)
    assert view["customer_no"] == household["customer_no"] and view["merged_into_no"] is None
    assert [(p["phone"], p["is_primary"]) for p in view["phones"]] == [(household["mobile"], True),
                                                                       (household["landline"], False)]
    disconnected, analog, digital = household["services"]
    assert view["accounts"] == [
        {"account_no": household["account_no"], "name": "王小明", "status": "active",
         "premises_id": household["home"], "service_nos": sorted(household["services"])},
        {"account_no": household["empty_account_no"], "name": "空", "status": "active", "premises_id": None,
         "service_nos": []}]
    assert [(p["premises_id"], p["station_code"], p["station_name"]) for p in view["premises"]] == [
        (household["home"], "ST01", "城东站"), (household["away"], None, None)]
    # Active first, then by kind and number; the disconnected one last.
    assert [s["service_no"] for s in view["services"]] == [analog, digital, disconnected]
    last = view["services"][-1]
    assert (last["started_at"], last["ended_at"], last["account_no"]) == (STARTED, STARTED, household["account_no"])
    assert last["device_serial"] and view["services"][0]["device_serial"] is None
    assert isinstance(view["services"][0]["updated_at"], datetime)
    assert [d["kind"] for d in view["devices"]] == ["smart_card"]
    assert [(link["system"], link["score"]) for link in view["links"]] == [("cms", None), ("sms", 0.85)]
    assert [x["summary"] for x in view["recent_contacts"]] == [f"note {n}" for n in range(11, 1, -1)]
    assert view["recent_contacts"][-1]["at"] == STARTED.replace(minute=2)


def test_a_merged_customer_names_the_survivor(db, household):
    with db.transaction() as cur:
        view = store.customer_view(cur, household["merged_no"])
    assert (view["status"], view["merged_into_no"], view["phones"], view["services"]) == (
        "merged", household["customer_no"], [], [])


def test_unknown_customer_is_not_found(db):
    with pytest.raises(NotFound), db.transaction() as cur:
        store.customer_view(cur, "C0")


def test_a_plain_connection_gives_the_same_view(settings, db, household):
    with db.transaction() as cur:
        pooled = store.customer_view(cur, household["customer_no"])
    conn = connect(settings.service_db_url("customer"), options="-c search_path=customer,public")
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            assert store.customer_view(cur, household["customer_no"]) == pooled
    finally:
        conn.close()
