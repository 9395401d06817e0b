"""The legacy simulator's pure parts: ID numbers, variants, malformed values, plans and rows."""
import random
from collections import Counter
from datetime import date

import pytest

from services.legacy_sim import malformed, variants
from services.customer.domain.idcard import parse_id_no
from services.legacy_sim.idcard import weighted_sum
from services.legacy_sim.plan import make_plan
from services.legacy_sim.pools import AREA_CODES, build_pools
from services.legacy_sim.records import RecordMaker


@pytest.fixture(scope="module")
def pools():
    return build_pools(seed=3, size=600)


def test_id_check_sum_can_be_summed_in_parts():
    first17 = "44030119800101123"
    assert weighted_sum(first17[:6]) + weighted_sum(first17[6:14], 6) + weighted_sum(first17[14:], 14) \
        == weighted_sum(first17)


def test_similar_groups_do_not_overlap():
    counts = Counter(ch for group in variants.SIMILAR_GROUPS for ch in group)
    assert [ch for ch, n in counts.items() if n > 1] == []
    assert all(len(group) > 1 for group in variants.SIMILAR_GROUPS)


@pytest.mark.parametrize("name", ["王秀英", "李明", "张伟", "欧阳娜娜", "陈静"])
def test_similar_name_changes_exactly_one_character_to_a_look_alike(name):
    rng = random.Random(1)
    for _ in range(20):
        typo = variants.similar_name(name, rng)
        diff = [(a, b) for a, b in zip(name, typo) if a != b]
        assert len(typo) == len(name) and len(diff) == 1
        a, b = diff[0]
        assert any(a in group and b in group for group in variants.SIMILAR_GROUPS)


def test_similar_name_prefers_the_given_name():
    rng = random.Random(2)
    assert all(variants.similar_name("张伟", rng).startswith("张") for _ in range(20))


def test_similar_name_without_look_alikes_is_none():
    assert variants.similar_name("丁一", random.Random(1)) is None


ADDRESS = "浙江省杭州市西湖区文三路128号金都花园3栋2单元501"


def test_omit_prefix():
    assert variants.omit_prefix(ADDRESS, "浙江省", "杭州市", keep_city=True) == "杭州市西湖区文三路128号金都花园3栋2单元501"
    assert variants.omit_prefix(ADDRESS, "浙江省", "杭州市", keep_city=False) == "西湖区文三路128号金都花园3栋2单元501"
    assert variants.omit_prefix("西湖区文三路1号", "浙江省", "杭州市", keep_city=False) == "西湖区文三路1号"


def test_address_spellings():
    assert variants.fullwidth_digits("文三路128号") == "文三路１２８号"
    assert variants.traditional_hao("文三路128号") == "文三路128號"
    assert variants.zhuang_shi("3栋2单元501") == "3幢2单元501室"
    assert variants.zhuang_shi("王家村12号") == "王家村12号"
    assert variants.dashed_unit("金都花园3栋2单元501") == "金都花园3-2-501"


def test_extra_spaces_only_add_spaces():
    rng = random.Random(5)
    for _ in range(20):
        spaced = variants.extra_spaces(ADDRESS, rng)
        assert spaced != ADDRESS
        assert spaced.replace(" ", "").replace("\u3000", "") == ADDRESS


def test_id_and_phone_spellings():
    assert variants.lowercase_x("11010519491231002X") == "11010519491231002x"
    assert variants.lowercase_x("110105194912310021") == "110105194912310021"
    assert variants.spaced_mobile("13812345678") == "138 1234 5678"


def test_malformed_values_are_really_broken():
    rng = random.Random(9)
    good = "11010519491231002X"
    for _ in range(30):
        bad = malformed.wrong_check(good, rng)
        assert len(bad) == 18 and bad[:17] == good[:17] and parse_id_no(bad)[0] is None
        assert len(malformed.wrong_length(good, rng)) in (17, 19)
        broken = malformed.bad_date("20230705", rng)
        assert len(broken) <= 8 and not _is_date(broken)


def _is_date(ymd: str) -> bool:
    try:
        date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
        return ymd.isdigit()
    except ValueError:
        return False


def test_plan_for_a_million_households():
    plan = make_plan(1_000_000)
    assert plan.cms_rows == 1_000_000 and plan.sms_subscribers == 600_000
    assert plan.both > plan.sms_only > 0 and plan.cms_only > 0
    assert plan.cms_duplicates > 0 and plan.sms_duplicates > 0
    assert 0.95 < plan.households / 1_000_000 < 1.05


def test_plan_with_exact_counts():
    plan = make_plan(10, cms=1234, sms=777)
    assert (plan.cms_rows, plan.sms_subscribers) == (1234, 777)
    assert make_plan(0).households == 0


def _rows(pools, seed):
    maker = RecordMaker(pools, random.Random(seed), date(2024, 6, 1))
    people = [maker.person() for _ in range(300)]
    for who in people:
        maker.cms_row(who)
        maker.sms_subscriber(who)
    return people, maker.take()


def test_rows_are_deterministic_for_a_seed(pools):
    assert _rows(pools, 4)[1] == _rows(pools, 4)[1]
    assert _rows(pools, 4)[1] != _rows(pools, 5)[1]


def test_people_and_rows_look_right(pools):
    people, tables = _rows(pools, 4)
    assert all(parse_id_no(p.id_no)[0] == p.id_no for p in people)
    assert len({p.id_no for p in people}) == len(people)
    assert all(p.area in AREA_CODES and p.address.startswith(pools.province + pools.city) for p in people)
    cms = [line.rstrip("\n").split("\t") for line in tables["yhxx"]]
    assert all(len(row) == 11 for row in cms)
    assert len({row[0] for row in cms}) == len(cms)
    assert all(row[0][:4] in AREA_CODES and 10 <= len(row[0]) <= 12 for row in cms)
    assert {row[6] for row in cms} <= {"1", "2", "3"}
    subs = [line.rstrip("\n").split("\t") for line in tables["subscriber"]]
    assert len(subs) == 300 and all(len(row) == 12 for row in subs)
    cards = [line.split("\t")[0] for line in tables["smartcard"]]
    assert 300 <= len(cards) <= 900 and len(set(cards)) == len(cards)
    assert all(len(c) == 16 and c.startswith("8") for c in cards)
    assert len(tables["stb"]) == len(cards)
    per_card = Counter(line.split("\t")[0] for line in tables["entitlement"])
    assert set(per_card) == set(cards) and set(per_card.values()) <= {1, 2, 3, 4}
