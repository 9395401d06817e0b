"""Bills issued before a bill held its lines (migration 0053) keep them, in the order they were written, and
their services' shares read back what was open of each."""
from __future__ import annotations

import pytest

from services.billing.service import SPEC
from services.common.migrate import migrate_service

from tests.databases import execute, migrated_before, throwaway_legacy

pytestmark = pytest.mark.integration


def test_lines_and_shares_written_before_are_kept(settings, tmp_path):
    with throwaway_legacy(settings) as env:
        migrated_before(env, SPEC, "0053", tmp_path)
        # Of 7,200 (a television line 2,200 with a 200 discount, broadband 5,000, a fee of no service 200),
        # 3,000 paid, as settlement covered shares then: in service order, the fee's ('') first.
        execute(env.db_url, """
            INSERT INTO account (account_no, customer_no, name) VALUES ('A1', 'C1', '张三');
            INSERT INTO bill (id, account_no, period_start, period_end, issued_on, due_on, amount_minor, open_minor,
                              state)
            VALUES (1, 'A1', '2026-10-01', '2026-11-01', '2026-11-01', '2026-11-15', 7200, 4200, 'partially_paid');
            INSERT INTO bill_line (bill_id, service_no, product_code, kind, description, days, amount_minor) VALUES
                (1, 'S2', 'BB50', 'charge', '宽带 50M', 31, 5000),
                (1, 'S1', 'ATV-STD', 'charge', '模拟电视 城镇标准', 31, 2200),
                (1, 'S1', 'ATV-STD', 'discount', '家庭优惠', 31, -200),
                (1, NULL, 'INSTALL', 'one_time', '安装费（W1）', 0, 200);
            INSERT INTO bill_share VALUES (1, 'S1', 2000, 0), (1, 'S2', 5000, 4200), (1, '', 200, 0)""",
                schema="billing")
        migrate_service(env, SPEC)
        assert execute(env.db_url, """SELECT l.* FROM bill b, unnest(b.lines) WITH ORDINALITY l
                                      ORDER BY l.ordinality""", schema="billing") == [
            ("S2", "BB50", "charge", "宽带 50M", 31, 5000, 1),
            ("S1", "ATV-STD", "charge", "模拟电视 城镇标准", 31, 2200, 2),
            ("S1", "ATV-STD", "discount", "家庭优惠", 31, -200, 3),
            (None, "INSTALL", "one_time", "安装费（W1）", 0, 200, 4)]
        assert execute(env.db_url, """SELECT s.* FROM bill b, bill_shares(b.lines, b.open_minor) s
                                      ORDER BY s.service_no""", schema="billing") == [
            ("", 200, 0), ("S1", 2000, 0), ("S2", 5000, 4200)]
        assert execute(env.db_url, "SELECT to_regclass('bill_share'), to_regclass('bill_line_row')",
                       schema="billing") == [(None, None)]
