"""The SMS VIP flag becomes the customer's tier, however the subscriber reaches the customer: imported,
followed by the sync, or merged into an older customer from the review queue."""
from __future__ import annotations

import pytest

from services.customer.handlers import Actor
from services.customer.importer.sync import run_sync

from tests.databases import execute
from tests.integration.legacy_world import imported

pytestmark = pytest.mark.integration
# The same name and address with another mobile: a pair for the review queue, not an automatic link.
VIP_SUBSCRIBER = """
    INSERT INTO subscriber (subscriber_id, cust_name, mobile, addr, region_code, cust_level) VALUES
      (1003, '王芳', '13944440004', '城南路7号2栋1单元101', '0301', 'V');
    INSERT INTO smartcard (card_no, subscriber_id) VALUES ('C3', 1003);
    INSERT INTO entitlement (card_no, product_id, start_time, status) VALUES ('C3', 'BASIC', now(), 'A');
"""


@pytest.fixture
def world(settings):
    with imported(settings) as world:
        yield world


def tier_of(env, system: str, key: str) -> str:
    return execute(env.db_url, "SELECT c.tier FROM legacy_link l JOIN customer c ON c.id = l.customer_id "
                               "WHERE l.system = %s AND l.legacy_key = %s", (system, key), schema="customer")[0][0]


def test_a_vip_subscriber_merged_into_an_older_customer_makes_it_vip(world):
    env, handlers = world
    execute(env.legacy_sms_url, VIP_SUBSCRIBER)
    run_sync(env)
    assert (tier_of(env, "cms", "U04"), tier_of(env, "sms", "1003")) == ("regular", "VIP")
    (match_id,), = execute(env.db_url, "SELECT id FROM match_candidate WHERE status = 'pending'", schema="customer")
    view = handlers.accept_match(match_id, Actor("clerk-t", "counter"))
    assert view["left_side"]["origins"] == ["cms", "sms"]  # the older, CMS customer survives
    assert tier_of(env, "cms", "U04") == tier_of(env, "sms", "1003") == "VIP"


def test_the_vip_flag_set_later_in_the_sms_reaches_the_tier(world):
    env, _ = world
    execute(env.legacy_sms_url, VIP_SUBSCRIBER.replace("'V'", "'N'"))
    run_sync(env)
    assert tier_of(env, "sms", "1003") == "regular"
    execute(env.legacy_sms_url, "UPDATE subscriber SET cust_level = 'V' WHERE subscriber_id = 1003")
    run_sync(env)
    assert tier_of(env, "sms", "1003") == "VIP"
    execute(env.legacy_sms_url, "UPDATE subscriber SET cust_level = 'N' WHERE subscriber_id = 1003")
    run_sync(env)
    assert tier_of(env, "sms", "1003") == "regular"
