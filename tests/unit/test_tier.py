from services.customer.domain.tier import tier


def test_vip_flag_wins():
    assert tier(True, []) == "VIP"


def test_high_fees_make_vip():
    assert tier(False, [6000, 4000]) == "VIP"
    assert tier(False, [9999]) == "regular"


def test_two_active_services_make_household():
    assert tier(False, [2500, 3000]) == "household"


def test_single_service_is_regular():
    assert tier(False, [2500]) == "regular"
    assert tier(False, []) == "regular"
