"""The match review queue's page against the real PostgreSQL: chosen and counted apart from the two
customers it shows, it is still the queue's order, its total, and each side's own customer."""
from __future__ import annotations

import uuid

import psycopg2.extras
import pytest

from services.customer import store
from tests.integration.customer_env import customer_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db(settings):
    with customer_database(settings) as database:
        yield database


def test_a_page_of_the_queue_is_its_order_its_total_and_its_customers(db):
    with db.connection() as conn:  # rolled back at the end: the pairs never reach the shared queue
        try:
            cur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
            names = {}
            for score in (0.9, 0.7, 0.7, 0.5):
                ids = []
                for side in "ab":
                    name = f"{side}{uuid.uuid4().hex[:8]}"
                    cur.execute("INSERT INTO customer (name, name_norm) VALUES (%s, %s) RETURNING id",
                                (name, name))
                    ids.append(cur.fetchone()["id"])
                    names[ids[-1]] = name
                cur.execute("INSERT INTO match_candidate (customer_a, customer_b, score) VALUES (%s, %s, %s)",
                            (*sorted(ids), score))
            cur.execute("""SELECT id, customer_a, customer_b, count(*) OVER () AS total FROM match_candidate
                            WHERE status = 'pending' ORDER BY score DESC, id""")
            queue = cur.fetchall()
            rows, total = store.matches(cur, "pending", 1, 3)
            assert total == queue[0]["total"] >= 4
            assert [r["id"] for r in rows] == [q["id"] for q in queue[1:4]]
            for row, expected in zip(rows, queue[1:4]):
                if expected["customer_a"] in names:
                    assert row["left_side"]["name"] == names[expected["customer_a"]]
                    assert row["right_side"]["name"] == names[expected["customer_b"]]
            assert store.matches(cur, "pending", total, 3) == ([], total)
        finally:
            conn.rollback()
