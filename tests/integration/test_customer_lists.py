"""Browse filters and the search count against the real PostgreSQL, on a crafted set of customers made
and rolled back inside one transaction: each filter and each combination returns exactly the customers it
should, and the `bss_only` flag that origin=bss reads stays right as links are added, moved and deleted."""
from __future__ import annotations

import itertools
import uuid

import psycopg2.extras
import pytest

from services.customer import store
from services.customer.domain.search import SearchQuery
from tests.integration.customer_env import customer_database

pytestmark = pytest.mark.integration
EVERYONE = 10**6  # limit and count-ahead that page nothing away in the test database


@pytest.fixture(scope="module")
def db(settings):
    with customer_database(settings) as database:
        yield database


@pytest.fixture
def cur(db):
    """A cursor in a transaction that is rolled back: the crafted customers never leave it."""
    with db.connection() as conn:
        try:
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                yield cursor
        finally:
            conn.rollback()


def _station(cur, areas: int) -> tuple[str, list[str]]:
    code = f"T{uuid.uuid4().hex[:8]}"
    cur.execute("INSERT INTO station VALUES (%s, '测试站')", (code,))
    codes = [f"{code}{n}" for n in range(areas)]
    for area in codes:
        cur.execute("INSERT INTO area_station VALUES (%s, %s)", (area, code))
    return code, codes


def _customer(cur, tier: str, areas: list[str]) -> int:
    """A customer made as the counter makes one (in neither legacy system), living in `areas`."""
    tag = uuid.uuid4().hex
    c = store.insert_customer(cur, name="钱七", name_norm=f"钱七{tag}", id_no=None, email=None, tier=tier,
                              actor="test")
    for n, area in enumerate(areas):
        store.add_premises(cur, c["id"], f"文三路{n}号", f"{tag}{n}", area)
    return c["id"]


def _link(cur, system: str, *customer_ids: int) -> None:
    cur.executemany("INSERT INTO legacy_link (system, legacy_key, customer_id, method) VALUES (%s, %s, %s, 'new')",
                    [(system, uuid.uuid4().hex, customer_id) for customer_id in customer_ids])


@pytest.fixture
def crafted(cur):
    """Two stations of their own and customers in every state a filter tells apart; returns the stations
    and, per customer, (id, station codes, status, tier, origins) as the filters should see it."""
    a, (a1, a2) = _station(cur, 2)
    b, (b1,) = _station(cur, 1)
    cms_vip = _customer(cur, "VIP", [a1])
    sms_regular = _customer(cur, "regular", [a2, b1])  # two stations: listed once by each
    both_vip = _customer(cur, "VIP", [a1, a2])
    counter_household = _customer(cur, "household", [a2])
    merged_vip = _customer(cur, "VIP", [b1])
    linked_later = _customer(cur, "regular", [b1])
    unlinked_again = _customer(cur, "household", [b1])
    _link(cur, "cms", cms_vip, both_vip, merged_vip, unlinked_again)
    _link(cur, "sms", sms_regular, both_vip)
    # One statement linking several customers, as the import's does.
    cur.execute("""INSERT INTO legacy_link (system, legacy_key, customer_id, method)
                   SELECT 'sms', gen_random_uuid()::text, id, 'score' FROM customer WHERE id = ANY(%s)""",
                ([linked_later, both_vip],))
    store.merge_customers(cur, survivor=cms_vip, merged=merged_vip, actor="test")  # moves its cms link
    cur.execute("DELETE FROM legacy_link WHERE customer_id = %s", (unlinked_again,))
    customers = {
        cms_vip: ({a, b}, "active", "VIP", {"cms"}),  # b: the merged customer's premises came along
        sms_regular: ({a, b}, "active", "regular", {"sms"}),
        both_vip: ({a}, "active", "VIP", {"cms", "sms"}),
        counter_household: ({a}, "active", "household", {"bss"}),
        merged_vip: (set(), "merged", "VIP", {"bss"}),
        linked_later: ({b}, "active", "regular", {"sms"}),
        unlinked_again: ({b}, "active", "household", {"bss"}),
    }
    return (a, b), customers


def _browse(cur, **filters) -> list[int]:
    cur.execute("SAVEPOINT browse")  # its SET LOCAL timeout stays with it
    rows, _, _ = store.browse(cur, filters, 0, EVERYONE, EVERYONE, 3000)
    cur.execute("RELEASE SAVEPOINT browse")
    cur.execute("SELECT id FROM customer WHERE customer_no = ANY(%s) ORDER BY id", ([r["customer_no"] for r in rows],))
    return [r["id"] for r in cur.fetchall()]


def test_every_filter_and_combination_lists_exactly_its_customers(cur, crafted):
    stations, customers = crafted
    for station, status, tier, origin in itertools.product((None, *stations), (None, "active", "merged"),
                                                           (None, "VIP", "regular", "household"),
                                                           (None, "cms", "sms", "bss")):
        filters = {name: value for name, value in (("station_code", station), ("status", status), ("tier", tier),
                                                   ("origin", origin)) if value}
        expected = [c for c, (at, st, ti, orig) in sorted(customers.items())
                    if (station is None or station in at) and status in (None, st) and tier in (None, ti)
                    and (origin is None or origin in orig)]
        listed = _browse(cur, **filters)
        if station is None:  # the rest of the test database matches too: only ours are known
            listed = [c for c in listed if c in customers]
        assert listed == expected, filters


def test_a_station_without_premises_lists_nobody(cur):
    code, _ = _station(cur, 1)
    assert store.browse(cur, {"station_code": code}, 0, 20, 200, 3000) == ([], 0, False)
    assert store.browse(cur, {"station_code": "NOSUCH"}, 0, 20, 200, 3000) == ([], 0, False)


def test_the_flag_follows_links_added_moved_and_deleted(cur):
    def bss_only(*ids: int) -> list[bool]:
        cur.execute("SELECT bss_only FROM customer WHERE id = ANY(%s) ORDER BY id", (list(ids),))
        return [r["bss_only"] for r in cur.fetchall()]
    first, second = _customer(cur, "regular", []), _customer(cur, "regular", [])
    assert bss_only(first, second) == [True, True]
    _link(cur, "cms", first)
    assert bss_only(first, second) == [False, True]
    cur.execute("UPDATE legacy_link SET customer_id = %s WHERE customer_id = %s", (second, first))
    assert bss_only(first, second) == [True, False]
    _link(cur, "sms", second)
    cur.execute("DELETE FROM legacy_link WHERE customer_id = %s AND system = 'cms'", (second,))
    assert bss_only(first, second) == [True, False]  # its sms link remains
    cur.execute("DELETE FROM legacy_link WHERE customer_id = %s", (second,))
    assert bss_only(first, second) == [True, True]


def test_search_counts_up_to_the_cap_past_the_offset(cur):
    tag = uuid.uuid4().hex

    def made(sql: str, params: tuple) -> list[int]:
        cur.execute(sql, params)
        return [r["id"] for r in cur.fetchall()]
    first = made("INSERT INTO customer (name, name_norm) VALUES ('钱七', %s) RETURNING id", (tag,))
    merged = made("""INSERT INTO customer (name, name_norm, status, merged_into)
                     SELECT '钱七', %s || n, 'merged', %s FROM generate_series(1, 2) n RETURNING id""", (tag, first[0]))
    active = first + made("""INSERT INTO customer (name, name_norm) SELECT '钱七', %s || n
                               FROM generate_series(3, 24) n RETURNING id""", (tag,))
    ids = active + merged  # the merged ones come last, though made before most
    query = SearchQuery("name", tag)

    def search(offset: int, limit: int = 5) -> tuple[list[int], int, bool]:
        rows, total, capped = store.search(cur, query, offset, limit, 10)
        cur.execute("SELECT customer_no, id FROM customer WHERE id = ANY(%s)", (ids,))
        by_no = {r["customer_no"]: r["id"] for r in cur.fetchall()}
        return [by_no[r["customer_no"]] for r in rows], total, capped

    assert search(0) == (ids[:5], 10, True)
    assert search(12) == (ids[12:17], 22, True)
    assert search(20) == (ids[20:25], 25, False)
    assert search(30) == ([], 25, False)  # past the end: how many there are
    assert search(25) == ([], 25, False)
