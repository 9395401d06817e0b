"""The database refuses what the API refuses: a row no handler would write is a check violation even when
written by hand, by a bug or by a new writer that forgot a rule."""
from __future__ import annotations

import psycopg2
import psycopg2.errors
import pytest

from tests.integration.customer_env import prepare_databases

pytestmark = pytest.mark.integration
OK_CUSTOMER = "INSERT INTO customer (name, name_norm) VALUES ('王小明', '王小明') RETURNING id"
LONG = "repeat('路', {})"


@pytest.fixture(scope="module")
def conn(settings):
    prepare_databases(settings)
    conn = psycopg2.connect(settings.service_db_url("customer"), options="-c search_path=customer,public")
    yield conn
    conn.close()


@pytest.fixture
def cur(conn):
    """A cursor in a transaction that is rolled back, with a valid customer (%(c)s) to hang rows on."""
    with conn.cursor() as cur:
        cur.execute(OK_CUSTOMER)
        cur.execute("CREATE TEMP TABLE t_ids ON COMMIT DROP AS SELECT %s::bigint AS c", (cur.fetchone()[0],))
        yield cur
    conn.rollback()


BAD_ROWS = {
    "customer_name_length": f"INSERT INTO customer (name, name_norm) VALUES ({LONG.format(61)}, 'x')",
    "customer_name_norm_present": "INSERT INTO customer (name, name_norm) VALUES ('王小明', '')",
    "customer_id_no_format": "INSERT INTO customer (name, name_norm, id_no) VALUES ('a', 'a', '11010119900307123x')",
    "customer_email_format": "UPDATE customer SET email = 'a@b' WHERE id = (SELECT c FROM t_ids)",
    "customer_tier_check": "UPDATE customer SET tier = 'gold' WHERE id = (SELECT c FROM t_ids)",
    "customer_merged_points_elsewhere": "UPDATE customer SET status = 'merged' WHERE id = (SELECT c FROM t_ids)",
    "customer_phone_format": "INSERT INTO customer_phone (customer_id, phone, kind, source) "
                             "SELECT c, '138-1234-5678', 'mobile', 'bss' FROM t_ids",
    "premises_address_length": "INSERT INTO premises (customer_id, address, address_norm) "
                               f"SELECT c, {LONG.format(301)}, 'x' FROM t_ids",
    "account_name_length": "INSERT INTO account (customer_id, name) SELECT c, ' ' FROM t_ids",
    "device_status": "INSERT INTO device (customer_id, kind, serial, status, origin) "
                     "SELECT c, 'stb', 'T-x', 'lost', 'sms' FROM t_ids",
    "service_fee_not_negative": "INSERT INTO service (customer_id, kind, origin, legacy_ref, product_code, "
                                "product_name, monthly_fee_minor, state) "
                                "SELECT c, 'analog_tv', 'cms', 'U-x', '01', 'x', -1, 'active' FROM t_ids",
    "service_currency_code": "INSERT INTO service (customer_id, kind, origin, legacy_ref, product_code, "
                             "product_name, currency, state) "
                             "SELECT c, 'analog_tv', 'cms', 'U-y', '01', 'x', 'cny', 'active' FROM t_ids",
    "match_candidate_score_range": "INSERT INTO match_candidate (customer_a, customer_b, score) "
                                   "SELECT c - 1, c, 1.5 FROM t_ids",
    "write_back_action": "INSERT INTO write_back (system, action, request, outcome, requested_by) "
                         "VALUES ('cms', 'reboot', '{}', 'ok', 'x')",
    "contact_channel": "INSERT INTO contact (customer_id, channel, kind, summary, actor) "
                       "SELECT c, 'fax', 'note', 'hi', 'x' FROM t_ids",
    "contact_summary_length": "INSERT INTO contact (customer_id, channel, kind, summary, actor) "
                              f"SELECT c, 'phone', 'note', {LONG.format(2001)}, 'x' FROM t_ids",
}


@pytest.mark.parametrize("constraint", BAD_ROWS)
def test_a_row_the_api_would_refuse_is_refused(cur, constraint):
    with pytest.raises(psycopg2.errors.CheckViolation) as err:
        cur.execute(BAD_ROWS[constraint])
    assert err.value.diag.constraint_name == constraint


def test_rows_at_the_api_limits_are_stored(cur):
    cur.execute(f"""INSERT INTO customer (name, name_norm, id_no, email)
                    VALUES ({LONG.format(60)}, 'x', '11010119900307123X', 'a@b.cn')""")
    cur.execute(f"""INSERT INTO contact (customer_id, channel, kind, summary, actor)
                    SELECT c, 'system', {LONG.format(50)}, {LONG.format(2000)}, 'x' FROM t_ids""")
    cur.execute(f"""INSERT INTO premises (customer_id, address, address_norm)
                    SELECT c, {LONG.format(300)}, 'x' FROM t_ids""")
