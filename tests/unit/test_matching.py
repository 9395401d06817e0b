from services.customer.domain.matching import (
    AUTO_LINK, REVIEW, Identity, address_similarity, decide, one_edit_apart, score)

ADDR = "西湖区文三路12号3栋2单元1201"
ID_A = "11010519491231002X"
ID_B = "110105194912310011"


def test_one_edit():
    assert one_edit_apart("张三丰", "张山丰")
    assert one_edit_apart("张三", "张三丰")
    assert not one_edit_apart("张三", "张三")
    assert not one_edit_apart("张三丰", "李四丰")


def test_same_id_is_same_person_whatever_else():
    s, reasons = score(Identity("张三", ID_A), Identity("李四", ID_A))
    assert s == 1.0 and reasons == ["same_id_no"]


def test_different_valid_ids_are_never_the_same_person():
    a = Identity("张三", ID_A, frozenset({"13812345678"}), ADDR)
    b = Identity("张三", ID_B, frozenset({"13812345678"}), ADDR)
    s, reasons = score(a, b)
    assert s == 0.0 and decide(s) == "apart" and reasons == ["different_id_no"]


def test_name_typo_and_same_mobile_links():
    s, reasons = score(Identity("张建国", None, frozenset({"13812345678"})),
                       Identity("张建围", ID_A, frozenset({"13812345678", "057188886666"})))
    assert s >= AUTO_LINK and decide(s) == "link"
    assert reasons == ["name_one_edit", "mobile_shared"]


def test_same_name_same_address_different_phone_goes_to_review():
    s, reasons = score(Identity("王芳", None, frozenset({"13812345678"}), ADDR),
                       Identity("王芳", None, frozenset({"13987654321"}), ADDR))
    assert REVIEW <= s < AUTO_LINK and decide(s) == "review"
    assert reasons == ["name_exact", "address_equal"]


def test_shared_landline_weighs_less_than_mobile():
    landline, _ = score(Identity("张建国", phones=frozenset({"057188886666"})),
                        Identity("张建围", phones=frozenset({"057188886666"})))
    assert decide(landline) == "review"


def test_family_members_sharing_phone_and_address_stay_apart():
    s, reasons = score(Identity("张三", None, frozenset({"13812345678"}), ADDR),
                       Identity("李梅", None, frozenset({"13812345678"}), ADDR))
    assert decide(s) == "apart" and "name_different" in reasons


def test_everything_equal_scores_one():
    a = Identity("张三", None, frozenset({"13812345678"}), ADDR)
    assert score(a, a)[0] == 1.0


def test_same_name_alone_is_not_enough():
    assert decide(score(Identity("王伟"), Identity("王伟"))[0]) == "apart"


def test_similar_address():
    assert address_similarity(ADDR, ADDR + "室外") > 0.8
    s, reasons = score(Identity("王芳", address=ADDR), Identity("王芳", address=ADDR[:-1] + "2"))
    assert "address_similar" in reasons and decide(s) == "review"
