from services.customer.domain.tier import merged_tier, tier


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


def test_a_merge_keeps_the_higher_tier_or_what_the_services_together_earn():
    assert merged_tier("regular", "VIP", [2200]) == "VIP"  # the SMS VIP mark of the merged record
    assert merged_tier("VIP", "regular", []) == "VIP"
    assert merged_tier("regular", "regular", [2200, 2500]) == "household"
    assert merged_tier("household", "regular", [6000, 4000]) == "VIP"
