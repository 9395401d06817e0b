import pytest

from services.customer.domain.normalize import (
    Phone, normalize_address, normalize_name, parse_phones, surname)


@pytest.mark.parametrize("raw,expected", [
    ("张三", "张三"),
    (" 张  三 ", "张三"),
    ("張三", "张三"),
    ("李四（已故）", "李四"),
    ("阿卜杜拉•买买提", "阿卜杜拉·买买提"),
    ("John Smith", "johnsmith"),
    ("", None),
    (None, None),
    ("???", None),
    ("123", None),
    ("（空）", None),
])
def test_names(raw, expected):
    assert normalize_name(raw) == expected


def test_surname_knows_compound_surnames():
    assert surname("欧阳修") == "欧阳"
    assert surname("张三") == "张"


@pytest.mark.parametrize("raw,expected", [
    ("13812345678", [Phone("13812345678", "mobile")]),
    ("138-1234-5678", [Phone("13812345678", "mobile")]),
    ("+86 138 1234 5678", [Phone("13812345678", "mobile")]),
    ("008613812345678", [Phone("13812345678", "mobile")]),
    ("１３８１２３４５６７８", [Phone("13812345678", "mobile")]),
    ("0571-88886666", [Phone("057188886666", "landline")]),
    ("(0571)8888666", [Phone("05718888666", "landline")]),
    ("010-62345678", [Phone("01062345678", "landline")]),
    ("0086-571-88886666", [Phone("057188886666", "landline")]),
    ("13812345678 / 0571-88886666",
     [Phone("13812345678", "mobile"), Phone("057188886666", "landline")]),
    ("13812345678，13987654321；13812345678",
     [Phone("13812345678", "mobile"), Phone("13987654321", "mobile")]),
    ("13812345678 0571-88886666",
     [Phone("13812345678", "mobile"), Phone("057188886666", "landline")]),
    ("手机13812345678或家里88886666", [Phone("13812345678", "mobile")]),
    ("12345", []),
    ("13800000000", []),
    ("05718888888", []),
    ("8613812345678", [Phone("13812345678", "mobile")]),
    ("057188886666", [Phone("057188886666", "landline")]),
    ("无", []),
    ("", []),
    (None, []),
    ("23812345678", []),
])
def test_phones(raw, expected):
    assert parse_phones(raw) == expected


@pytest.mark.parametrize("raw", [
    "浙江省杭州市西湖区文三路12号3号楼2单元1201室",
    "杭州市西湖区文三路１２号 3幢2单元1201",
    "西湖区文三路12號三栋二单元1201",
    "  西湖区 文三路12号3栋2单元1201室 ",
    "西湖区文三路12号3-2-1201",
])
def test_address_variants_are_equal(raw):
    assert normalize_address(raw) == "西湖区文三路12号3栋2单元1201"


def test_address_keeps_words_that_only_look_like_prefixes():
    assert normalize_address("市场路5号") == "市场路5号"
    assert normalize_address("北京市海淀区中关村大街1号") == "海淀区中关村大街1号"
    assert normalize_address("新疆维吾尔自治区乌鲁木齐市天山区解放路十一号") == "天山区解放路11号"


def test_empty_address_is_none():
    assert normalize_address("   ") is None
    assert normalize_address(None) is None


def test_legacy_text_is_folded_like_typed_text():
    assert normalize_name("\uf90a\u200b三") == "金三"  # a compatibility ideograph and a zero-width space
    assert normalize_address("文三路１２号３栋") == normalize_address("文三路12号3栋")
    assert parse_phones("\ufeff１３８１２３４５６７８") == [Phone("13812345678", "mobile")]


def test_other_scripts_digits_never_make_a_phone():
    assert parse_phones("13٨١٢٣٤٥٦٧٨") == []  # 13812345678 with Arabic-Indic digits after the 13
    assert parse_phones("13812345678 / ١٣٩١٢٣٤٥٦٧٨") == [Phone("13812345678", "mobile")]
