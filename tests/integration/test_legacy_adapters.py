"""The CMS and SMS adapters against real legacy databases: streaming readers and write-back."""
from __future__ import annotations

import io
from datetime import datetime

import pytest

from services.common.errors import InvalidArgument, Unavailable
from services.customer.legacy.cms import USER_COLUMNS, CmsAdapter
from services.customer.legacy.sms import DEVICE_COLUMNS, ENTITLEMENT_COLUMNS, SmsAdapter
from tests.databases import execute, throwaway_legacy

def _fill(scoped) -> None:
    execute(scoped.legacy_cms_url, """
        INSERT INTO sflx VALUES ('01', '城镇标准', 2200);
        INSERT INTO yhxx (yhbh, yhxm, lxdh, azdz, qydm, xlzt, sflxdm, gxsj) VALUES
            ('U1', '张三', '13812345678', '文三路1号', '0101', '1', '01', now()),
            ('U2', '李四', NULL, '文三路2号', '0101', '1', '01', '2020-01-01');""")
    execute(scoped.legacy_sms_url, """
        INSERT INTO product VALUES ('BASIC', '数字基本包', 'BASIC', 2500), ('BB100', '宽带100M', 'BB', 8000);
        INSERT INTO subscriber (subscriber_id, cust_name, mobile, cust_level, update_time) VALUES
            (1, '张三', '13812345678', 'V', '2020-01-01'), (2, '王五', NULL, 'N', '2020-01-01');
        INSERT INTO smartcard (card_no, subscriber_id, update_time) VALUES ('C1', 1, '2020-01-01'),
                                                                           ('C2', 2, '2020-01-01');
        INSERT INTO stb (serial_no, model, card_no, update_time) VALUES ('T1', 'DVB-100', 'C1', '2020-01-01');
        INSERT INTO entitlement (entitlement_id, card_no, product_id, start_time, end_time, status, update_time)
        VALUES (10, 'C1', 'BASIC', '2020-01-01', NULL, 'A', '2020-01-01'),
               (11, 'C1', 'BB100', '2020-01-01', '2021-01-01', 'A', '2020-01-01'),
               (12, 'C2', 'BASIC', '2020-01-01', NULL, 'A', '2020-01-01');
        SELECT setval('entitlement_entitlement_id_seq', 100);""")


# Readers and writers get legacy systems of their own: a write-back stamps the rows it touches as
# changed, which would change what the readers see depending on the order the tests run in.
def _world(settings):
    with throwaway_legacy(settings) as scoped:
        _fill(scoped)
        yield scoped


legacy = pytest.fixture(scope="module", name="legacy")(_world)
network = pytest.fixture(scope="module", name="network")(_world)
own_legacy = pytest.fixture(name="own_legacy")(_world)


def test_cms_users_stream_in_domain_words_and_follow_gxsj(legacy):
    cms = CmsAdapter(legacy.legacy_cms_url)
    rows = {row[0]: dict(zip(USER_COLUMNS, row)) for row in cms.users()}
    assert rows.keys() == {"U1", "U2"}
    assert rows["U1"]["state"] == "active" and rows["U1"]["yzf"] == 2200 and rows["U1"]["sflxmc"] == "城镇标准"
    assert [row[0] for row in cms.users(datetime(2021, 1, 1))] == ["U1"]


def test_cms_users_read_in_parts_from_one_exported_moment(own_legacy):
    cms = CmsAdapter(own_legacy.legacy_cms_url)
    with cms.snapshot() as first:
        bound = first.number_at(0.5)
        moment = first.exported()
        # Committed after the moment: neither part sees it, on either connection.
        execute(own_legacy.legacy_cms_url, "UPDATE yhxx SET yhxm = '张叁' WHERE yhbh = 'U1'")
        with cms.snapshot(moment) as second:
            low = [(row[0], row[1]) for row in second.users(None, (None, bound))]
        high = [(row[0], row[1]) for row in first.users(None, (bound, None))]
    assert bound == "U2" and low == [("U1", "张三")] and high == [("U2", "李四")]
    assert {row[1] for row in cms.users()} == {"张叁", "李四"}  # a new read sees the change


def copied(copy, since) -> list[list[str]]:
    sink = io.BytesIO()
    copy(since, sink)
    return [line.split("\t") for line in sink.getvalue().decode().splitlines()]


def test_sms_readers_translate_codes_and_scope_changes(legacy):
    sms = SmsAdapter(legacy.legacy_sms_url)
    with sms.snapshot() as snap:
        assert {row[0]: row[8] for row in snap.subscribers()} == {1: True, 2: False}
        entitlements = {row[1]: dict(zip(ENTITLEMENT_COLUMNS, row)) for row in copied(snap.copy_entitlements, None)}
        devices = {(row[0], row[1]): dict(zip(DEVICE_COLUMNS, row)) for row in copied(snap.copy_devices, None)}
    assert {k: entitlements["10"][k] for k in ("system", "legacy_key", "kind", "product_code", "product_name",
                                               "monthly_fee_minor", "state")} == {
        "system": "sms", "legacy_key": "1", "kind": "digital_tv", "product_code": "BASIC",
        "product_name": "数字基本包", "monthly_fee_minor": "2500", "state": "active"}
    assert (entitlements["11"]["kind"], entitlements["11"]["state"]) == ("broadband", "disconnected")  # ended
    assert devices[("smart_card", "C1")]["paired_serial"] == "T1"
    stb = devices[("stb", "T1")]
    assert (stb["legacy_key"], stb["paired_serial"], stb["model"]) == ("1", "C1", "DVB-100")
    # Only subscriber 2's entitlement changes: its whole picture is read again, nobody else's.
    execute(legacy.legacy_sms_url, "UPDATE entitlement SET status = 'A' WHERE entitlement_id = 12")
    # Legacy change times are the legacy server's wall clock, so "a moment ago" is asked of that clock,
    # never of this machine's (whose zone may be anything: CI runs in Asia/Shanghai).
    since = execute(legacy.legacy_sms_url, "SELECT localtimestamp - interval '5 minutes'")[0][0]
    with sms.snapshot() as snap:
        assert [row[0] for row in snap.subscribers(since)] == [2]
        assert [row[1] for row in copied(snap.copy_entitlements, since)] == ["12"]
        assert [row[1] for row in copied(snap.copy_devices, since)] == ["C2"]
    assert sms.vip_subscribers([1, 2, 3]) == {1}


def test_cms_line_write_back_and_refusals(network):
    cms = CmsAdapter(network.legacy_cms_url)
    result = cms.set_line_status("U1", "suspend", "clerk01")
    assert result.ok and "TJ accepted" in result.detail
    assert execute(network.legacy_cms_url, "SELECT xlzt FROM yhxx WHERE yhbh = 'U1'") == [("2",)]
    refused = cms.set_line_status("U1", "suspend", "clerk01")
    assert not refused.ok and "suspended" in refused.detail
    assert cms.set_line_status("U1", "restore", "clerk01").ok
    assert cms.set_line_status("U1", "disconnect", "clerk01").ok
    assert not cms.set_line_status("U1", "restore", "clerk01").ok
    assert execute(network.legacy_cms_url, "SELECT czlx, czy, jg FROM czrz WHERE yhbh = 'U1' ORDER BY czxh") == [
        ("TJ", "clerk01", "1"), ("TJ", "clerk01", "0"), ("FT", "clerk01", "1"), ("CJ", "clerk01", "1"),
        ("FT", "clerk01", "0")]
    missing = cms.set_line_status("NOPE", "suspend", "clerk01")
    assert not missing.ok and "does not exist" in missing.detail
    assert execute(network.legacy_cms_url, "SELECT count(*) FROM czrz WHERE yhbh = 'NOPE'") == [(0,)]
    with pytest.raises(InvalidArgument):
        cms.set_line_status("U2", "explode", "clerk01")


def test_sms_entitlement_write_back_and_refusals(network):
    sms = SmsAdapter(network.legacy_sms_url)
    assert sms.set_entitlement_status("10", "suspend", "clerk01").ok
    assert sms.set_entitlement_status("10", "restore", "clerk01").ok
    assert not sms.set_entitlement_status("10", "restore", "clerk01").ok
    done = sms.set_entitlement_status("10", "disconnect", "clerk01")
    assert done.ok and "DEENTITLE OK" in done.detail
    status, ended = execute(network.legacy_sms_url, "SELECT status, end_time FROM entitlement WHERE entitlement_id = 10")[0]
    assert status == "C" and ended is not None
    assert not sms.set_entitlement_status("10", "suspend", "clerk01").ok
    assert execute(network.legacy_sms_url, "SELECT command, result FROM ca_command WHERE card_no = 'C1' ORDER BY command_id") == [
        ("SUSPEND", "OK"), ("RESUME", "OK"), ("RESUME", "REJECTED"), ("DEENTITLE", "OK"), ("SUSPEND", "REJECTED")]
    for missing in ("999", "abc"):
        result = sms.set_entitlement_status(missing, "suspend", "clerk01")
        assert not result.ok and "does not exist" in result.detail


def test_sms_entitle(network):
    sms = SmsAdapter(network.legacy_sms_url)
    result = sms.entitle("C2", "BB100", "clerk01")
    assert result.ok and result.legacy_ref.isdigit()
    assert execute(network.legacy_sms_url, "SELECT card_no, product_id, status FROM entitlement WHERE entitlement_id = %s",
                   (int(result.legacy_ref),)) == [("C2", "BB100", "A")]
    again = sms.entitle("C2", "BB100", "clerk01")
    assert not again.ok and "already entitled" in again.detail and again.legacy_ref == ""
    assert "does not exist" in sms.entitle("NOCARD", "BB100", "clerk01").detail
    assert "does not exist" in sms.entitle("C2", "NOPROD", "clerk01").detail
    assert execute(network.legacy_sms_url, "SELECT command, result FROM ca_command WHERE card_no = 'C2' ORDER BY command_id") == [
        ("ENTITLE", "OK"), ("ENTITLE", "REJECTED")]


def test_sms_product_gives_the_service_kind_its_entitlements_stream_with(legacy):
    sms = SmsAdapter(legacy.legacy_sms_url)
    assert sms.product("BB100") == {"name": "宽带100M", "kind": "broadband", "price_minor": 8000}
    assert sms.product("BASIC")["kind"] == "digital_tv"
    assert sms.product("NOPROD") is None


def test_unreachable_legacy_system_is_unavailable():
    dead = "postgresql://postgres@127.0.0.1:1/legacy_cms"
    with pytest.raises(Unavailable):
        CmsAdapter(dead).set_line_status("U1", "suspend", "clerk01")
    with pytest.raises(Unavailable):
        list(CmsAdapter(dead).users())
    with pytest.raises(Unavailable):
        SmsAdapter(dead).entitle("C1", "BASIC", "clerk01")
