"""Bulk import and incremental sync against real legacy databases with crafted rows.

The people (CMS user numbers / SMS subscriber ids):
- 张伟, ID A: CMS U01 and SMS 1001 (ID match); second CMS line U02 at a shop with the same ID
  (in-system duplicate); SMS has a card, a paired STB, a TV and a broadband entitlement.
- 李建国 without ID: CMS U03; SMS 1002 typed 李建围 with the same mobile (score -> auto link).
- 王芳: CMS U04 and SMS 1003, same name and address, different mobiles (-> review queue).
- 赵敏: CMS U05 with ID B and SMS 1004 with ID C, all else equal (never the same person).
- U06 with no usable name, U07 with nothing to identify anyone (-> quarantine).
- 孙八: CMS U08 with a wrong check character (kept, ID dropped and noted).
"""
from __future__ import annotations

import psycopg2
import pytest

from services.common.bulkjob import Step
from services.common.errors import IllegalTransition
from services.common.migrate import migrate_service
from services.customer.domain.idcard import check_char
from services.customer.importer import bulk as bulk_module
from services.customer.importer.apply import NEW_OWNERS, SYSTEMS
from services.customer.importer.bulk import run_bulk_import
from services.customer.importer.first_load import GOLDEN_TABLES, FirstLoadOverrun
from services.customer.importer.sync import run_sync
from services.customer.service import SPEC

from tests.databases import execute, throwaway_legacy

def _id(first17: str) -> str:
    return first17 + check_char(first17)


ID_A, ID_B, ID_C, ID_D = (_id("33010619800101001"), _id("33010619810202002"), _id("33010619820303003"),
                          _id("33010619830404004"))

CMS_ROWS = f"""
    INSERT INTO sflx VALUES ('01', '城镇标准', 2200), ('05', '商铺', 3000);
    INSERT INTO yhxx (yhbh, yhxm, sfzh, lxdh, azdz, qydm, xlzt, khrq, sflxdm) VALUES
      ('U01', '张伟', '{ID_A.lower()}', '13811110001', '浙江省杭州市西湖区文三路12号3号楼2单元1201室', '0101', '1', '20050301', '01'),
      ('U02', '张 伟', '{ID_A}', '0571-88880002', '杭州市上城区解放路8号', '0102', '3', '19990101', '05'),
      ('U03', '李建国', NULL, '13822220002 / 0571-88886666', '西湖区古墩路5号1幢1单元101', '0201', '1', '20100101', '01'),
      ('U04', '王芳', NULL, '13833330003', '城南路7号2栋1单元101', '0301', '1', '20120101', '01'),
      ('U05', '赵敏', '{ID_B}', '13855550005', '城北路9号', '0401', '1', '20130101', '01'),
      ('U06', '???', NULL, '13866660006', '城北路10号', '0401', '1', '20130101', '01'),
      ('U07', '钱七', NULL, '无', NULL, '0401', '1', 'bad', '01'),
      ('U08', '孙八', '110105194912310021', '13888880008', '城东路1号', '0501', '1', '20150101', '01');
"""
SMS_ROWS = f"""
    INSERT INTO product VALUES ('BASIC', '数字基本包', 'BASIC', 2500), ('HD', '高清包', 'PACK', 3000),
                               ('BB100', '宽带100M', 'BB', 8000);
    INSERT INTO subscriber (subscriber_id, cust_name, cert_type, cert_no, mobile, tel, addr, region_code, cust_level) VALUES
      (1001, '张伟', '01', '{ID_A}', '138 1111 0001', NULL, '西湖区文三路12號3栋2单元1201', '0101', 'N'),
      (1002, '李建围', '01', NULL, '+86 13822220002', NULL, '杭州市西湖区古墩路5号1栋1单元101', '0201', 'N'),
      (1003, '王芳', '01', NULL, '13944440004', NULL, '城南路7号2栋1单元101', '0301', 'N'),
      (1004, '赵敏', '01', '{ID_C}', '13855550005', NULL, '城北路9号', '0401', 'V');
    INSERT INTO smartcard (card_no, subscriber_id) VALUES ('C1', 1001), ('C2', 1002), ('C3', 1003), ('C4', 1004);
    INSERT INTO stb (serial_no, model, card_no, subscriber_id) VALUES ('T1', 'DVB-100', 'C1', 1001);
    INSERT INTO entitlement (entitlement_id, card_no, product_id, start_time, end_time, status) VALUES
      (1, 'C1', 'BASIC', '2020-01-01', NULL, 'A'),
      (2, 'C1', 'BB100', '2020-01-01', NULL, 'A'),
      (3, 'C2', 'BASIC', '2020-01-01', NULL, 'A'),
      (4, 'C3', 'BASIC', '2020-01-01', NULL, 'S'),
      (5, 'C4', 'BASIC', '2020-01-01', '2021-01-01', 'A');
    SELECT setval('entitlement_entitlement_id_seq', 100);
"""


def _legacy_world(settings):
    with throwaway_legacy(settings) as scoped:
        migrate_service(scoped, SPEC)
        execute(scoped.legacy_cms_url, CMS_ROWS)
        execute(scoped.legacy_sms_url, SMS_ROWS)
        yield scoped


# The tests of what one bulk import leaves share a world; the tests that change it afterwards (a re-run,
# a sync) each get one of their own, so no test sees another's changes whatever order they run in.
env = pytest.fixture(scope="module", name="env")(_legacy_world)
own_env = pytest.fixture(name="own_env")(_legacy_world)


def q(env, sql: str, params=None) -> list[tuple]:
    return execute(env.db_url, sql, params, schema="customer")


def customer_of(env, system: str, key: str) -> int:
    return q(env, "SELECT customer_id FROM legacy_link WHERE system = %s AND legacy_key = %s", (system, key))[0][0]


@pytest.fixture(scope="module")
def bulk(env):
    with pytest.raises(IllegalTransition):
        run_sync(env)  # nothing to follow before the first bulk import
    return run_bulk_import(env)


def test_bulk_counts(bulk):
    expected = {"cms_rows": 8, "sms_rows": 4, "quarantined": 2, "invalid_ids": 1, "customers_created": 7,
                "linked_by_id": 2, "linked_by_score": 1, "linked_new": 7, "review_pairs": 1, "services": 11,
                "devices": 5, "accounts_created": 8, "services_without_owner": 0}
    assert {k: bulk[k] for k in expected} == expected


def test_same_id_in_both_systems_and_twice_in_cms_is_one_customer(env, bulk):
    zhang = customer_of(env, "sms", "1001")
    assert customer_of(env, "cms", "U01") == customer_of(env, "cms", "U02") == zhang
    assert q(env, "SELECT name, id_no, tier, created_by FROM customer WHERE id = %s", (zhang,)) == [
        ("张伟", ID_A, "VIP", "legacy-import")]  # 2200 + 2500 + 8000 fen active a month
    assert q(env, "SELECT system, legacy_key, method, score FROM legacy_link WHERE customer_id = %s ORDER BY 1, 2",
             (zhang,)) == [("cms", "U01", "id_no", 1.0), ("cms", "U02", "id_no", 1.0), ("sms", "1001", "new", None)]
    assert q(env, "SELECT phone, kind, is_primary FROM customer_phone WHERE customer_id = %s ORDER BY phone", (zhang,)) == [
        ("057188880002", "landline", False), ("13811110001", "mobile", True)]
    premises = q(env, "SELECT p.address_norm, s.station_code FROM premises p "
                      "JOIN area_station s ON s.area_code = p.area_code WHERE customer_id = %s ORDER BY 1", (zhang,))
    assert premises == [("上城区解放路8号", "ST01"), ("西湖区文三路12号3栋2单元1201", "ST01")]
    services = q(env, """SELECT s.kind, s.origin, s.legacy_ref, s.product_code, s.monthly_fee_minor, s.state,
                                p.address_norm, d.serial, a.account_no IS NOT NULL
                           FROM service s JOIN premises p ON p.id = s.premises_id
                           LEFT JOIN device d ON d.id = s.device_id JOIN account a ON a.id = s.account_id
                          WHERE s.customer_id = %s ORDER BY s.origin, s.legacy_ref""", (zhang,))
    home = "西湖区文三路12号3栋2单元1201"
    assert services == [
        ("analog_tv", "cms", "U01", "01", 2200, "active", home, None, True),
        ("analog_tv", "cms", "U02", "05", 3000, "disconnected", "上城区解放路8号", None, True),
        ("digital_tv", "sms", "1", "BASIC", 2500, "active", home, "C1", True),
        ("broadband", "sms", "2", "BB100", 8000, "active", home, "C1", True)]
    # One household account per premises: the home pays for three services, the shop for one.
    assert q(env, "SELECT count(DISTINCT account_id), count(DISTINCT (account_id, premises_id)) FROM service "
                  "WHERE customer_id = %s", (zhang,)) == [(2, 2)]
    assert q(env, "SELECT count(*) FROM service s JOIN account a ON a.id = s.account_id "
                  "WHERE s.customer_id = %s AND a.premises_id IS DISTINCT FROM s.premises_id", (zhang,)) == [(0,)]
    assert q(env, "SELECT kind, serial, paired_serial, model FROM device WHERE customer_id = %s ORDER BY kind", (zhang,)) == [
        ("smart_card", "C1", "T1", None), ("stb", "T1", "C1", "DVB-100")]


def test_name_typo_with_same_mobile_links_by_score(env, bulk):
    li = customer_of(env, "sms", "1002")
    assert customer_of(env, "cms", "U03") == li
    (method, score), = q(env, "SELECT method, score FROM legacy_link WHERE system = 'cms' AND legacy_key = 'U03'")
    assert method == "score" and score >= 0.9
    assert q(env, "SELECT tier FROM customer WHERE id = %s", (li,)) == [("household",)]
    assert q(env, "SELECT count(*) FROM customer_phone WHERE customer_id = %s", (li,)) == [(2,)]


def test_uncertain_pair_is_queued_for_review_not_merged(env, bulk):
    a, b = customer_of(env, "cms", "U04"), customer_of(env, "sms", "1003")
    assert a != b
    assert q(env, "SELECT customer_a, customer_b, status, reasons FROM match_candidate") == [
        (min(a, b), max(a, b), "pending", ["name_exact", "address_equal"])]
    assert q(env, "SELECT state FROM service WHERE origin = 'sms' AND legacy_ref = '4'") == [("suspended",)]


def test_different_valid_ids_are_never_merged(env, bulk):
    cms, sms = customer_of(env, "cms", "U05"), customer_of(env, "sms", "1004")
    assert cms != sms
    assert q(env, "SELECT id_no, tier FROM customer WHERE id = %s", (cms,)) == [(ID_B, "regular")]
    assert q(env, "SELECT id_no, tier FROM customer WHERE id = %s", (sms,)) == [(ID_C, "VIP")]  # the SMS marks it VIP
    assert q(env, "SELECT state FROM service WHERE origin = 'sms' AND legacy_ref = '5'") == [("disconnected",)]


def test_malformed_rows_are_quarantined_and_a_bad_id_is_dropped_and_noted(env, bulk):
    rows = q(env, "SELECT legacy_key, reason, raw->>'yhxm' FROM quarantine WHERE run_id = %s ORDER BY 1",
             (bulk["run_id"],))
    assert [(key, name) for key, _, name in rows] == [("U06", "???"), ("U07", "钱七")]
    assert "name" in rows[0][1] and "nothing identifies" in rows[1][1]
    sun = customer_of(env, "cms", "U08")
    assert q(env, "SELECT id_no FROM customer WHERE id = %s", (sun,)) == [(None,)]
    assert q(env, "SELECT a.changes->>'reason', a.actor FROM audit_log a JOIN customer c ON c.customer_no = a.entity_key "
                  "WHERE c.id = %s AND a.action = 'legacy_id_rejected'", (sun,)) == [
        ("check character mismatch", "legacy-import")]


def test_run_is_recorded_with_one_batch_event_and_watermarks(env, bulk):
    assert q(env, "SELECT kind, status, counts->>'customers_created' FROM import_run WHERE id = %s",
             (bulk["run_id"],)) == [("bulk", "completed", "7")]
    events = q(env, "SELECT payload->'data'->>'runId', payload->'data'->'counts'->>'customers_created' FROM outbox "
                    "WHERE event_type = 'legacy_import_completed'")
    assert events == [(str(bulk["run_id"]), "7")]
    assert q(env, "SELECT count(*) FROM outbox WHERE event_type <> 'legacy_import_completed'") == [(0,)]
    assert {s for s, in q(env, "SELECT system FROM sync_watermark")} == {"cms", "sms"}


# What the golden tables are besides their rows: a first load replaces them with copies, which must be
# what the migrations made, down to the names, the checks, the triggers and what other tables point at.
CATALOG = {
    "indexes": "SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid"
               " WHERE t.relnamespace = 'customer'::regnamespace AND t.relname = ANY(%(t)s)",
    "constraints": "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.convalidated"
                   " FROM pg_constraint c WHERE c.connamespace = 'customer'::regnamespace AND"
                   " (c.conrelid::regclass::text = ANY(%(t)s) OR c.confrelid::regclass::text = ANY(%(t)s))",
    "triggers": "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
                " AND tgrelid::regclass::text = ANY(%(t)s)",
    "owned sequences": "SELECT d.objid::regclass::text, d.refobjid::regclass::text, d.refobjsubid FROM pg_depend d"
                       " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' WHERE d.deptype = 'a'"
                       " AND d.refobjid::regclass::text = ANY(%(t)s)",
    "columns": "SELECT attrelid::regclass::text, attname, attnum, atttypid, attnotnull, attstattarget,"
               " pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
               " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
               " WHERE a.attnum > 0 AND NOT a.attisdropped AND attrelid::regclass::text = ANY(%(t)s)",
    "copies left": "SELECT tablename FROM pg_tables WHERE schemaname = 'customer_load'",
}


def catalog(env) -> dict:
    return {what: sorted(q(env, query, {"t": list(GOLDEN_TABLES)})) for what, query in CATALOG.items()}


def test_a_first_load_leaves_the_golden_tables_as_the_migrations_made_them(env, bulk):
    assert bulk["phases"].keys() == {"stage", "match", "load"}  # the first load went through the copies
    with throwaway_legacy(env) as fresh:
        migrate_service(fresh, SPEC)
        assert catalog(env) == catalog(fresh)
    assert q(env, "SELECT count(*) FROM pg_stats WHERE schemaname = 'customer' AND tablename = 'service'") != [(0,)]


def test_new_owners_read_the_records_placed_before_once_when_none_were(env, bulk):
    """A first load analyzes imp_owner empty; planned for that, leaving out the records placed before by a
    nested loop rescans imp_owner as the statement fills it, quadratic in a million records."""
    conn = psycopg2.connect(env.db_url, options="-c search_path=customer,public")
    try:
        with conn.cursor() as cur:
            cur.execute("TRUNCATE imp_owner; ANALYZE imp_owner")
            cur.execute("TRUNCATE imp_head; INSERT INTO imp_head SELECT rec_id, -rec_id FROM imp_record")
            cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + NEW_OWNERS, {"systems": list(SYSTEMS)})
            plan = [line for line, in cur.fetchall()]
    finally:
        conn.rollback()
        conn.close()
    scans = [line for line in plan if "Scan on imp_owner" in line]
    assert scans and all("loops=1)" in line for line in scans), "\n".join(plan)


def _failing_first_load(monkeypatch, work) -> None:
    """The first load with one more step, run once the services are loaded."""
    steps = bulk_module.first_load_steps

    def with_step(*args):
        return [*steps(*args), (Step("injected", work, frozenset({"services"})), frozenset())]
    monkeypatch.setattr(bulk_module, "first_load_steps", with_step)


def test_a_first_load_that_fails_leaves_the_golden_tables_empty_and_the_next_run_loads_them(own_env, monkeypatch):
    env = own_env

    def fail(cur):
        raise RuntimeError("the disk is full")
    _failing_first_load(monkeypatch, fail)
    with pytest.raises(RuntimeError, match="disk is full"):
        run_bulk_import(env)
    assert q(env, "SELECT status, error FROM import_run") == [("failed", "RuntimeError: the disk is full")]
    assert [q(env, f"SELECT count(*) FROM {table}") for table in GOLDEN_TABLES] == [[(0,)]] * len(GOLDEN_TABLES)
    assert catalog(env)["copies left"] == []
    monkeypatch.undo()
    assert run_bulk_import(env)["customers_created"] == 7
    assert q(env, "SELECT count(*) FROM service") == [(11,)]


def test_a_golden_table_written_during_a_first_load_fails_it_and_keeps_the_write(own_env, monkeypatch):
    """A clerk's customer added while the copies are filled: the copies cannot replace the table that
    holds it, so the run fails and the next one adds the legacy records beside it."""
    env = own_env

    def clerk_adds_a_customer(cur):
        execute(env.db_url, "INSERT INTO customer.customer (name, name_norm, bss_only, created_by)"
                            " VALUES ('周到', '周到', true, 'clerk')")
    _failing_first_load(monkeypatch, clerk_adds_a_customer)
    with pytest.raises(FirstLoadOverrun):
        run_bulk_import(env)
    assert q(env, "SELECT name, created_by FROM customer") == [("周到", "clerk")]
    assert catalog(env)["copies left"] == []
    monkeypatch.undo()
    again = run_bulk_import(env)
    assert again["customers_created"] == 7 and "load" not in again["phases"]
    assert q(env, "SELECT count(*) FROM customer") == [(8,)]
    assert q(env, "SELECT count(*) FROM service") == [(11,)]


def test_bulk_rerun_adds_only_what_is_not_linked(own_env):
    env = own_env
    run_bulk_import(env)
    execute(env.legacy_cms_url, "INSERT INTO yhxx (yhbh, yhxm, lxdh, azdz, qydm, sflxdm) VALUES "
                                "('U09', '张卫', '13811110001', '西湖区文三路12号3栋2单元1201', '0101', '01')")
    watermarks = q(env, "SELECT system, watermark FROM sync_watermark ORDER BY 1")
    again = run_bulk_import(env)
    assert again["already_linked"] == 10 and again["customers_created"] == 0 and again["linked_by_score"] == 1
    assert customer_of(env, "cms", "U09") == customer_of(env, "sms", "1001")  # matched to the existing customer
    assert q(env, "SELECT count(*) FROM customer") == [(7,)]
    assert q(env, "SELECT system, watermark FROM sync_watermark ORDER BY 1") == watermarks


def test_sync_applies_legacy_changes_with_events_and_audit(own_env):
    env = own_env
    run_bulk_import(env)
    before = q(env, "SELECT max(id) FROM outbox")[0][0]
    execute(env.legacy_cms_url, """
        UPDATE yhxx SET lxdh = '13822220002，13977770007', xlzt = '2' WHERE yhbh = 'U03';
        INSERT INTO yhxx (yhbh, yhxm, sfzh, lxdh, azdz, qydm, sflxdm) VALUES
            ('U10', '周杰', '%s', '13899990010', '城西路3号', '0202', '01');""" % ID_D)
    execute(env.legacy_sms_url, f"""
        UPDATE entitlement SET status = 'A' WHERE entitlement_id = 4;
        INSERT INTO subscriber (subscriber_id, cust_name, cert_no, mobile, addr, region_code)
            VALUES (1005, '张伟', '{ID_A}', '13811110001', '西湖区文三路12号3栋2单元1201', '0101');
        INSERT INTO smartcard (card_no, subscriber_id) VALUES ('C5', 1005);
        INSERT INTO entitlement (card_no, product_id, start_time, status) VALUES ('C5', 'HD', now(), 'A');""")
    counts = run_sync(env)
    assert counts["customers_created"] == 1 and counts["linked_by_id"] == 1

    events = q(env, "SELECT event_type, payload->'data' FROM outbox WHERE id > %s ORDER BY id", (before,))
    kinds = sorted(kind for kind, _ in events)
    assert kinds == ["customer_created", "customer_updated", "service_activated", "service_activated",
                     "service_restored", "service_suspended"]
    li_no = q(env, "SELECT customer_no FROM customer WHERE id = %s", (customer_of(env, "sms", "1002"),))[0][0]
    suspended = next(data for kind, data in events if kind == "service_suspended")
    assert suspended["customerNo"] == li_no and suspended["serviceNo"].startswith("S")
    updated = next(data for kind, data in events if kind == "customer_updated")
    # The suspended line leaves one active service: no longer a household.
    assert updated == {"customerNo": li_no, "changes": [{"field": "tier", "value": "regular"},
                                                        {"field": "phoneAdded", "value": "13977770007"}]}
    assert q(env, "SELECT state FROM service WHERE origin = 'cms' AND legacy_ref = 'U03'") == [("suspended",)]
    assert q(env, "SELECT state FROM service WHERE origin = 'sms' AND legacy_ref = '4'") == [("active",)]
    assert customer_of(env, "sms", "1005") == customer_of(env, "sms", "1001")
    assert q(env, "SELECT count(*) FROM audit_log WHERE actor = 'legacy-sync'") == [(6,)]
    assert q(env, "SELECT kind, status FROM import_run ORDER BY id DESC LIMIT 1") == [("sync", "completed")]

    # Nothing changed since: a second sync (re-reading the overlap window) changes and emits nothing.
    after = q(env, "SELECT max(id) FROM outbox")[0][0]
    quiet = run_sync(env)
    assert quiet["customers_created"] == 0 and quiet["services"] == 0 and quiet["services_updated"] == 0
    assert q(env, "SELECT max(id) FROM outbox")[0][0] == after
