"""The CMS users cut into parts that worker processes read at once: together every user exactly
once, all as of one moment, whatever changes in the CMS while they read."""
from __future__ import annotations

import pytest

from services.customer.legacy.cms import CmsAdapter
from tests.databases import execute, throwaway_legacy

USERS = 3000  # a few dozen blocks of the yhxx table


@pytest.fixture(scope="module")
def cms_url(settings):
    with throwaway_legacy(settings) as scoped:
        execute(scoped.legacy_cms_url, f"""
            INSERT INTO sflx VALUES ('01', '城镇标准', 2200);
            INSERT INTO yhxx (yhbh, yhxm, lxdh, azdz, qydm, xlzt, khrq, sflxdm)
            SELECT 'U' || n, '用户' || n, '138' || lpad(n::text, 8, '0'), '文三路' || n || '号', '0101', '1',
                   '20200101', '01'
              FROM generate_series(1, {USERS}) n;""")
        yield scoped.legacy_cms_url


@pytest.mark.parametrize("n", [1, 2, 3])
def test_parts_together_are_every_user_once(cms_url, n):
    cms = CmsAdapter(cms_url)
    with cms.parts(n) as parts:
        read = [[row[0] for row in cms.users(part=part)] for part in parts]
    assert len(parts) == n
    assert all(read) or n == 1
    every = [key for part in read for key in part]
    assert sorted(every) == sorted(row[0] for row in cms.users())
    assert len(every) == USERS


def test_parts_read_the_moment_they_were_cut(cms_url):
    cms = CmsAdapter(cms_url)
    with cms.parts(2) as parts:
        # An update writes a new row version elsewhere in the table; an insert adds one at the end.
        execute(cms_url, "UPDATE yhxx SET yhxm = '改名' WHERE yhbh = 'U1';"
                         "INSERT INTO yhxx (yhbh, yhxm, qydm, sflxdm) VALUES ('NEW', '新户', '0101', '01')")
        rows = [row for part in parts for row in cms.users(part=part)]
    names = {row[0]: row[1] for row in rows}
    assert len(rows) == USERS and "NEW" not in names and names["U1"] == "用户1"
    execute(cms_url, "DELETE FROM yhxx WHERE yhbh = 'NEW'; UPDATE yhxx SET yhxm = '用户1' WHERE yhbh = 'U1'")
