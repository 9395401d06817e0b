"""Word pools drawn once from Faker('zh_CN'), so that a million records cost a million cheap
`random` choices instead of a million slow Faker calls."""
from __future__ import annotations

from dataclasses import dataclass

from faker import Faker

AREA_CODES = ("0101", "0102", "0201", "0202", "0301", "0302", "0401", "0402", "0501")
COMPOUND_SUFFIXES = ("花园", "小区", "新村", "家园", "公寓", "苑", "雅苑", "名都", "嘉园", "新城")
VILLAGE_SUFFIXES = "家庄岗湾坪桥"
CITY_SEED = 2008  # one operator, one city: every seed (and every later change) is in the same place


@dataclass(frozen=True)
class Pools:
    province: str
    city: str
    landline_area: str          # the city's telephone area code, e.g. '0571'
    districts: dict[str, str]   # area code -> district written in addresses
    surnames: list[str]         # weighted like the population: many 王, 李, 张
    given_names: list[str]
    id_areas: list[str]         # 6-digit administrative codes that begin an ID number
    mobile_prefixes: list[str]
    streets: list[str]
    compounds: list[str]
    towns: list[str]
    villages: list[str]


def build_pools(seed: int, size: int = 5000) -> Pools:
    place = Faker("zh_CN")
    place.seed_instance(CITY_SEED)
    district_names = list(dict.fromkeys(place.district() for _ in range(200)))[:len(AREA_CODES) - 1]
    districts = {code: name + "区" for code, name in zip(AREA_CODES, district_names)}
    districts[AREA_CODES[-1]] = "经济开发区"
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    surnames = [fake.last_name() for _ in range(size)]
    faker_given = [fake.first_name() for _ in range(size // 2)]
    # Faker knows ~130 given names; pairing their characters gives the variety of a real city.
    chars = sorted({ch for name in faker_given for ch in name})
    composed = [fake.random_element(chars) + fake.random_element(chars) for _ in range(size - len(faker_given))]
    return Pools(
        province=next(name for name in iter(place.province, None) if name.endswith("省")),
        city=place.city_name() + "市",
        landline_area=f"0{place.random_int(310, 999)}",
        districts=districts,
        surnames=surnames,
        given_names=faker_given + composed,
        id_areas=sorted({fake.ssn()[:6] for _ in range(size)}),
        mobile_prefixes=sorted({fake.phone_number()[:3] for _ in range(500)}),
        streets=list(dict.fromkeys(fake.street_name() for _ in range(size // 5))),
        compounds=[fake.city_name() + fake.random_element(COMPOUND_SUFFIXES) for _ in range(size // 5)],
        towns=list(dict.fromkeys(fake.city_name() + "镇" for _ in range(60))),
        villages=[fake.last_name() + fake.random_element(VILLAGE_SUFFIXES) + "村" for _ in range(size // 10)],
    )
