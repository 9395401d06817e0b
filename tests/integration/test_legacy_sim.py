"""The simulator against real PostgreSQL: two throwaway legacy databases, filled and then changed."""
from collections import Counter, defaultdict
from datetime import date

import pytest

from services.legacy_sim.changes import simulate_changes
from services.legacy_sim.generate import DataExists, generate, has_data
from services.customer.domain.idcard import parse_id_no
from services.legacy_sim.variants import SIMILAR_GROUPS
from tests.databases import execute, throwaway_legacy

HOUSEHOLDS = 500


def _generated(settings):
    with throwaway_legacy(settings) as legacy_settings:
        yield legacy_settings, generate(legacy_settings, HOUSEHOLDS, seed=11)


# The tests that read a fresh load and the one that changes it get loads of their own, so what each
# sees does not depend on the order they run in.
legacy = pytest.fixture(scope="module", name="legacy")(_generated)
changing = pytest.fixture(scope="module", name="changing")(_generated)


def test_counts(legacy):
    s, counts = legacy
    assert counts["cms_rows"] == HOUSEHOLDS and counts["sms_subscribers"] == HOUSEHOLDS * 0.6
    assert execute(s.legacy_cms_url, "SELECT count(*) FROM yhxx")[0][0] == HOUSEHOLDS
    assert execute(s.legacy_sms_url, "SELECT count(*) FROM subscriber")[0][0] == HOUSEHOLDS * 0.6
    cards, stbs, ents = execute(s.legacy_sms_url, "SELECT (SELECT count(*) FROM smartcard), "
                                                "(SELECT count(*) FROM stb), (SELECT count(*) FROM entitlement)")[0]
    assert (cards, stbs, ents) == (counts["smartcards"], counts["stbs"], counts["entitlements"])
    assert HOUSEHOLDS * 0.6 <= cards <= HOUSEHOLDS * 1.8 and cards <= ents <= 4 * cards
    assert execute(s.legacy_cms_url, "SELECT count(*) FROM sflx")[0][0] >= 3
    assert execute(s.legacy_sms_url, "SELECT count(*) FROM product WHERE product_type = 'BB'")[0][0] >= 1


def test_the_same_people_are_in_both_systems_written_differently(legacy):
    s, _ = legacy
    cms = defaultdict(list)
    for id_no, name, address in execute(s.legacy_cms_url, "SELECT upper(sfzh), yhxm, azdz FROM yhxx WHERE sfzh <> ''"):
        cms[id_no].append((name, address))
    pairs = [(c, (name, address)) for id_no, name, address in
             execute(s.legacy_sms_url, "SELECT upper(cert_no), cust_name, addr FROM subscriber WHERE cert_no <> ''")
             for c in cms.get(id_no, [])]
    assert len(pairs) > HOUSEHOLDS * 0.3
    assert sum(c[1] != m[1] for c, m in pairs) > len(pairs) * 0.3   # addresses written differently
    typos = [(c[0], m[0]) for c, m in pairs if c[0] and m[0] and c[0] != m[0] and len(c[0]) == len(m[0])]
    assert typos
    for a, b in typos:
        diff = [(x, y) for x, y in zip(a, b) if x != y]
        assert len(diff) == 1 and any(x in g and y in g for g in SIMILAR_GROUPS for x, y in diff)


def test_duplicates_inside_each_system(legacy):
    s, _ = legacy
    assert execute(s.legacy_cms_url, "SELECT count(*) FROM (SELECT upper(sfzh) FROM yhxx WHERE sfzh <> '' "
                                   "GROUP BY 1 HAVING count(*) > 1) d")[0][0] > 0
    assert execute(s.legacy_sms_url, "SELECT count(*) FROM (SELECT upper(cert_no) FROM subscriber WHERE cert_no <> '' "
                                   "GROUP BY 1 HAVING count(*) > 1) d")[0][0] > 0


def _is_date(ymd):
    try:
        return ymd.isdigit() and bool(date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:])))
    except ValueError:
        return False


def test_a_few_percent_of_rows_are_malformed(legacy):
    s, counts = legacy
    rows = execute(s.legacy_cms_url, "SELECT yhxm, sfzh, khrq, qydm, y.sflxdm, f.sflxdm FROM yhxx y "
                                   "LEFT JOIN sflx f USING (sflxdm)")
    bad = [r for r in rows if not (r[0] or "").strip() or not _is_date(r[2]) or r[3] is None or r[5] is None
           or (r[1] and len(r[1]) != 15 and parse_id_no(r[1])[0] is None)]
    assert 0 < len(bad) <= HOUSEHOLDS * 0.05
    subs = execute(s.legacy_sms_url, "SELECT cust_name, cert_type, cert_no, region_code FROM subscriber")
    bad = [r for r in subs if not (r[0] or "").strip() or r[3] is None
           or (r[1] == "01" and r[2] and parse_id_no(r[2])[0] is None)]
    assert 0 < len(bad) <= HOUSEHOLDS * 0.6 * 0.05


def test_realistic_codes_and_states(legacy):
    s, _ = legacy
    assert {r[0] for r in execute(s.legacy_cms_url, "SELECT DISTINCT qydm FROM yhxx WHERE qydm IS NOT NULL")} <= \
        {"0101", "0102", "0201", "0202", "0301", "0302", "0401", "0402", "0501"}
    states = dict(execute(s.legacy_cms_url, "SELECT xlzt, count(*) FROM yhxx GROUP BY 1"))
    assert set(states) == {"1", "2", "3"} and states["1"] > HOUSEHOLDS * 0.6
    ents = Counter(dict(execute(s.legacy_sms_url, "SELECT status, count(*) FROM entitlement GROUP BY 1")))
    assert ents["A"] > ents["C"] > 0 and ents["S"] > 0
    assert execute(s.legacy_sms_url, "SELECT count(*) FROM entitlement WHERE status = 'C' AND end_time >= now()")[0][0] == 0


def test_an_existing_load_is_kept_unless_truncated(legacy):
    s, _ = legacy
    assert has_data(s)
    with pytest.raises(DataExists):
        generate(s, 10)
    assert generate(s, 10, if_empty=True) == {"skipped": True}
    assert execute(s.legacy_cms_url, "SELECT count(*) FROM yhxx")[0][0] == HOUSEHOLDS


def test_changes_move_the_change_stamps(changing):
    s, _ = changing
    cms_mark = execute(s.legacy_cms_url, "SELECT max(gxsj) FROM yhxx")[0][0]
    sub_mark, ent_mark = execute(s.legacy_sms_url, "SELECT (SELECT max(update_time) FROM subscriber), "
                                                 "(SELECT max(update_time) FROM entitlement)")[0]
    done = simulate_changes(s, 60, seed=5)
    assert sum(done.values()) > 40 and done["cms_new"] and done["sms_new"] and done["sms_cancel"]
    assert execute(s.legacy_cms_url, "SELECT count(*) FROM yhxx WHERE gxsj > %s", (cms_mark,))[0][0] > done["cms_new"]
    logged = execute(s.legacy_cms_url, "SELECT count(*), count(*) FILTER (WHERE y.gxsj > %s) FROM czrz JOIN yhxx y "
                                     "USING (yhbh)", (cms_mark,))[0]
    assert logged == (done["cms_suspend"] + done["cms_restore"],) * 2
    assert execute(s.legacy_sms_url, "SELECT count(*) FROM subscriber WHERE update_time > %s", (sub_mark,))[0][0] \
        >= done["sms_new"]
    assert execute(s.legacy_sms_url, "SELECT count(*) FROM entitlement WHERE update_time > %s AND status = 'C'",
                 (ent_mark,))[0][0] == done["sms_cancel"]
    assert execute(s.legacy_cms_url, "SELECT count(*) FROM yhxx")[0][0] == HOUSEHOLDS + done["cms_new"]
