"""The SMS VIP flag becomes the customer's tier, however the subscriber reaches the customer: imported,
followed by the sync, or merged into an older customer from the review queue."""
from __future__ import annotations

import pytest

from services.common.db import Database
from services.common.migrate import migrate
from services.customer.handlers import Actor, CustomerHandlers
from services.customer.importer.bulk import run_bulk_import
from services.customer.importer.sync import run_sync
from services.customer.legacy.cms import CmsAdapter
from services.customer.legacy.sms import SmsAdapter

from tests.databases import execute, throwaway_legacy
from tests.integration.test_import import MIGRATIONS

pytestmark = pytest.mark.integration
CMS_ROWS = """
    INSERT INTO sflx VALUES ('01', '城镇标准', 2200);
    INSERT INTO yhxx (yhbh, yhxm, lxdh, azdz, qydm, xlzt, khrq, sflxdm) VALUES
      ('U04', '王芳', '13833330003', '城南路7号2栋1单元101', '0301', '1', '20120101', '01');
"""
SMS_ROWS = """
    INSERT INTO product VALUES ('BASIC', '数字基本包', 'BASIC', 2500);
    INSERT INTO subscriber (subscriber_id, cust_name, mobile, addr, region_code) VALUES
      (1001, '张伟', '13811110001', '文三路12号3栋2单元1201', '0101');
"""
# The same name and address with another mobile: a pair for the review queue, not an automatic link.
VIP_SUBSCRIBER = """
    INSERT INTO subscriber (subscriber_id, cust_name, mobile, addr, region_code, cust_level) VALUES
      (1003, '王芳', '13944440004', '城南路7号2栋1单元101', '0301', 'V');
    INSERT INTO smartcard (card_no, subscriber_id) VALUES ('C3', 1003);
    INSERT INTO entitlement (card_no, product_id, start_time, status) VALUES ('C3', 'BASIC', now(), 'A');
"""


@pytest.fixture
def env(settings):
    with throwaway_legacy(settings) as scoped:
        migrate(scoped, "customer", MIGRATIONS)
        execute(scoped.legacy_cms_url, CMS_ROWS)
        execute(scoped.legacy_sms_url, SMS_ROWS)
        run_bulk_import(scoped)
        yield scoped


def tier_of(env, system: str, key: str) -> str:
    return execute(env.db_url, "SELECT c.tier FROM legacy_link l JOIN customer c ON c.id = l.customer_id "
                               "WHERE l.system = %s AND l.legacy_key = %s", (system, key), schema="customer")[0][0]


def test_a_vip_subscriber_merged_into_an_older_customer_makes_it_vip(env):
    execute(env.legacy_sms_url, VIP_SUBSCRIBER)
    run_sync(env)
    assert (tier_of(env, "cms", "U04"), tier_of(env, "sms", "1003")) == ("regular", "VIP")
    (match_id,), = execute(env.db_url, "SELECT id FROM match_candidate WHERE status = 'pending'", schema="customer")
    db = Database(env.service_db_url("customer"), schema="customer", maxconn=1)
    try:
        handlers = CustomerHandlers(db, CmsAdapter(env.legacy_cms_url), SmsAdapter(env.legacy_sms_url))
        view = handlers.accept_match(match_id, Actor("clerk-t", "counter"))
    finally:
        db.close()
    assert view["left_side"]["origins"] == ["cms", "sms"]  # the older, CMS customer survives
    assert tier_of(env, "cms", "U04") == tier_of(env, "sms", "1003") == "VIP"


def test_the_vip_flag_set_later_in_the_sms_reaches_the_tier(env):
    execute(env.legacy_sms_url, VIP_SUBSCRIBER.replace("'V'", "'N'"))
    run_sync(env)
    assert tier_of(env, "sms", "1003") == "regular"
    execute(env.legacy_sms_url, "UPDATE subscriber SET cust_level = 'V' WHERE subscriber_id = 1003")
    run_sync(env)
    assert tier_of(env, "sms", "1003") == "VIP"
    execute(env.legacy_sms_url, "UPDATE subscriber SET cust_level = 'N' WHERE subscriber_id = 1003")
    run_sync(env)
    assert tier_of(env, "sms", "1003") == "regular"
