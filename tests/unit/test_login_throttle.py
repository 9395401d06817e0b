"""The sign-in throttling policy: which counters judge an attempt and how long a block lasts."""
from datetime import timedelta

from gateway.app.throttle import (ACCOUNT_COUNTERS, BASE_DELAY, MAX_DELAY, THRESHOLDS, Counter, block_after,
                                  counter_keys, judges, name_key)


def test_no_block_below_the_threshold_then_doubling_delays_up_to_the_cap():
    limit = THRESHOLDS[Counter.NAME]
    assert [block_after(Counter.NAME, n) for n in range(1, limit)] == [None] * (limit - 1)
    delays = [block_after(Counter.NAME, n) for n in range(limit, limit + 4)]
    assert delays == [BASE_DELAY, BASE_DELAY * 2, BASE_DELAY * 4, BASE_DELAY * 8]
    assert block_after(Counter.NAME, limit + 1000) == MAX_DELAY


def test_an_address_gets_more_room_than_a_name():
    assert THRESHOLDS[Counter.ADDRESS] > THRESHOLDS[Counter.NAME]
    assert block_after(Counter.ADDRESS, THRESHOLDS[Counter.NAME]) is None


def test_a_known_address_is_judged_by_the_pair_alone():
    assert judges(known_address=True) == (Counter.PAIR,)
    assert set(judges(known_address=False)) == {Counter.NAME, Counter.ADDRESS}
    assert Counter.ADDRESS not in ACCOUNT_COUNTERS  # a success never clears an address's failures


def test_names_are_folded_and_made_storable():
    assert name_key("Admin") == name_key("ADMIN") == "admin"
    assert "\x00" not in name_key("admin\x00") and len(name_key("x" * 10_000)) == 200
    keys = counter_keys("Clerk", "10.0.0.1")
    assert keys == {Counter.NAME: "name:clerk", Counter.ADDRESS: "address:10.0.0.1",
                    Counter.PAIR: "pair:clerk@10.0.0.1"}
    assert block_after(Counter.PAIR, THRESHOLDS[Counter.PAIR]) == timedelta(seconds=5)
