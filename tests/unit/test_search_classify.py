import pytest

from services.customer.domain.search import classify


@pytest.mark.parametrize("q,field,value", [
    ("C10000042", "customer_no", "C10000042"),
    ("c10000042", "customer_no", "C10000042"),
    ("138 1234 5678", "phone", "13812345678"),
    ("+86 13812345678", "phone", "13812345678"),
    ("0571-88886666", "phone", "057188886666"),
    ("8888 6666", "local_phone", "88886666"),
    ("5123456", "local_phone", "5123456"),
    ("11010519491231002x", "id_no", "11010519491231002X"),
    ("8000123456789012", "smart_card", "8000123456789012"),
    ("张伟", "name", "张伟"),
    ("欧阳 娜娜", "name", "欧阳娜娜"),
    ("解放路12号3栋", "address", "解放路12号3栋"),
    ("杭州市西湖区文三路", "address", "杭州市西湖区文三路"),
])
def test_classify(q, field, value):
    got = classify(q)
    assert (got.field, got.value) == (field, value)


def test_empty_query_is_rejected():
    with pytest.raises(ValueError):
        classify("   ")
