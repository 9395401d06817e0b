"""A world of its own for tests of the legacy import against clerks' commands: fresh legacy systems with
the test's rows, bulk-imported into a fresh customer database, and handlers wired to all three."""
from __future__ import annotations

import contextlib

from services.common.db import Database
from services.common.migrate import migrate_service
from services.customer.handlers import CustomerHandlers
from services.customer.importer.bulk import run_bulk_import
from services.customer.legacy.cms import CmsAdapter
from services.customer.legacy.sms import SmsAdapter
from services.customer.service import SPEC

from tests.databases import execute, throwaway_legacy

# Two people: 王芳 with an analog line (CMS U04), 张伟 with a smart card and the basic package (SMS 1001,
# entitlement 1).
CMS_ROWS = """
    INSERT INTO sflx VALUES ('01', '城镇标准', 2200);
    INSERT INTO yhxx (yhbh, yhxm, lxdh, azdz, qydm, xlzt, khrq, sflxdm) VALUES
      ('U04', '王芳', '13833330003', '城南路7号2栋1单元101', '0301', '1', '20120101', '01');
"""
SMS_ROWS = """
    INSERT INTO product VALUES ('BASIC', '数字基本包', 'BASIC', 2500);
    INSERT INTO subscriber (subscriber_id, cust_name, mobile, addr, region_code) VALUES
      (1001, '张伟', '13811110001', '文三路12号3栋2单元1201', '0101');
    INSERT INTO smartcard (card_no, subscriber_id) VALUES ('C1', 1001);
    INSERT INTO entitlement (entitlement_id, card_no, product_id, start_time, status) VALUES (1, 'C1', 'BASIC', '2020-01-01', 'A');
    SELECT setval('entitlement_entitlement_id_seq', 100);
"""


@contextlib.contextmanager
def imported(settings):
    """Yields (settings pointing at the world, handlers)."""
    with throwaway_legacy(settings) as env:
        migrate_service(env, SPEC)
        execute(env.legacy_cms_url, CMS_ROWS)
        execute(env.legacy_sms_url, SMS_ROWS)
        run_bulk_import(env)
        db = Database(env.service_db_url("customer"), schema="customer", maxconn=4)
        try:
            yield env, CustomerHandlers(db, CmsAdapter(env.legacy_cms_url), SmsAdapter(env.legacy_sms_url))
        finally:
            db.close()
