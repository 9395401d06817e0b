"""The technicians' pure rules: what a completion report must hold for its order, the change feed's pages
and cursor, and who may move which device."""
from __future__ import annotations

import pytest

from services.common.errors import DomainError, InvalidArgument, PermissionDenied
from services.dispatch.domain import completion, feed, stock
from services.dispatch.domain.access import Actor
from services.dispatch.domain.completion import Device, Report

CARD, BOX = Device("smart_card", "SC0001"), Device("stb", "STB0001")
CODE = "123456"


def reason(call) -> str:
    with pytest.raises(DomainError) as e:
        call()
    return e.value.reason


def test_a_digital_install_puts_in_a_card_and_a_box():
    completion.check(Report("done", (CARD, BOX), confirmation_code=CODE), "install", "digital_tv", CODE)
    completion.check(Report("done", (CARD, BOX), confirmation_code=CODE), "digital_conversion", "digital_tv", CODE)
    for installed in [(CARD,), (BOX,), ()]:
        assert reason(lambda: completion.check(Report("done", installed, confirmation_code=CODE),
                                               "digital_conversion", None, CODE)) == "invalid-device-combination"
    completion.check(Report("done", (CARD,), confirmation_code=CODE), "install", "broadband", CODE)
    assert reason(lambda: completion.check(Report("done", (BOX,), confirmation_code=CODE), "install", "broadband",
                                           CODE)) == "invalid-device-combination"


def test_analog_installs_and_disconnects_install_nothing_and_swaps_replace_like_for_like():
    completion.check(Report("done", confirmation_code=CODE), "install", "analog_tv", CODE)
    assert reason(lambda: completion.check(Report("done", (BOX,), confirmation_code=CODE), "install", "analog_tv",
                                           CODE)) == "invalid-device-combination"
    completion.check(Report("done", removed=(BOX,)), "disconnect", "digital_tv", CODE)
    assert reason(lambda: completion.check(Report("done", (CARD,)), "disconnect", None, CODE)) \
        == "invalid-device-combination"
    old_box = Device("stb", "STB0009", faulty=True)
    completion.check(Report("done", (BOX,), (old_box,), confirmation_code=CODE), "equipment_swap", "digital_tv", CODE)
    for installed, removed in [((BOX,), ()), ((CARD,), (old_box,)), ((), (old_box,))]:
        assert reason(lambda: completion.check(Report("done", installed, removed, confirmation_code=CODE),
                                               "equipment_swap", "digital_tv", CODE)) == "invalid-device-combination"
    completion.check(Report("fixed", (BOX,), (old_box,)), "repair", "digital_tv", CODE)  # whatever was broken


def test_devices_are_one_of_each_kind_each_way_and_never_both_installed_and_removed():
    two_boxes = (BOX, Device("stb", "STB0002"))
    assert reason(lambda: completion.check(Report("done", two_boxes), "repair", None, CODE)) == "invalid-devices"
    assert reason(lambda: completion.check(Report("done", (BOX,), (BOX,)), "repair", None, CODE)) == "invalid-devices"
    assert reason(lambda: completion.check(Report("done", (Device("modem", "M0001"),)), "repair", None, CODE)) \
        == "invalid-devices"
    assert reason(lambda: completion.check(Report("done", (Device("stb", "a b"),)), "repair", None, CODE)) \
        == "invalid-devices"


def test_the_confirmation_code_is_required_where_the_customer_takes_something_on_and_checked_when_given():
    assert reason(lambda: completion.check(Report("done", (CARD, BOX)), "install", "digital_tv", CODE)) \
        == "confirmation-code-required"
    assert reason(lambda: completion.check(Report("done", (CARD, BOX), confirmation_code="654321"), "install",
                                           "digital_tv", CODE)) == "confirmation-code-mismatch"
    completion.check(Report("fixed"), "repair", None, CODE)
    assert reason(lambda: completion.check(Report("fixed", confirmation_code="000000"), "repair", None, CODE)) \
        == "confirmation-code-mismatch"


def test_result_codes_readings_and_notes_are_bounded():
    assert reason(lambda: completion.check(Report(""), "repair", None, CODE)) == "invalid-result-code"
    assert reason(lambda: completion.check(Report("ok", readings={"rx": float("nan")}), "repair", None, CODE)) \
        == "invalid-readings"
    assert reason(lambda: completion.check(Report("ok", readings={"rx": True}), "repair", None, CODE)) \
        == "invalid-readings"
    assert reason(lambda: completion.check(Report("ok", readings={"1x": 1.0}), "repair", None, CODE)) \
        == "invalid-readings"
    assert reason(lambda: completion.check(Report("ok", notes="x" * 2001), "repair", None, CODE)) == "invalid-notes"
    completion.check(Report("ok", readings={"rxLevelDbuv": 62.5, "snr": 30}), "repair", None, CODE)


def test_the_result_is_what_the_completed_event_and_the_order_read():
    report = Report("done", (CARD, BOX), (Device("stb", "OLD0001", faulty=True),), {"snr": 31.5}, "ok", CODE)
    installed = [{"kind": "smart_card", "serial": "SC0001", "model": "C1"}, {"kind": "stb", "serial": "STB0001",
                                                                              "model": "B2"}]
    assert completion.result(report, installed) == {
        "resultCode": "done", "devicesInstalled": installed,
        "devicesRemoved": [{"kind": "stb", "serial": "OLD0001", "faulty": True}], "signalReadings": {"snr": 31.5},
        "notes": "ok", "confirmationCode": CODE}


def changes(*items: tuple[int, str, bool]) -> list[feed.Change]:
    return [feed.Change(*i) for i in items]


def test_a_page_cut_at_limit_ends_at_its_last_change_and_says_more():
    read = changes((5, "W1", False), (7, "W2", True), (9, "W3", False))  # limit + 1 read
    shown, dropped, cursor, more = feed.page(read, 2, 4, horizon=50)
    assert (shown, dropped, cursor, more) == (["W1"], ["W2"], 7, True)


def test_a_last_page_ends_at_the_horizon_so_old_history_is_not_read_again():
    assert feed.page(changes((5, "W1", False)), 2, 4, horizon=50) == (["W1"], [], 50, False)
    assert feed.page([], 2, None, horizon=0) == ([], [], 0, False)
    assert feed.page([], 2, 60, horizon=50)[2] == 60, "a cursor never goes back"


def test_an_order_that_left_and_came_back_within_a_page_is_shown_not_dropped():
    read = changes((5, "W1", True), (6, "W2", True), (8, "W1", False))
    assert feed.page(read, 10, 1, horizon=8)[:2] == (["W1"], ["W2"])


def test_feed_bounds():
    assert feed.bounds(None, 0) == (None, feed.DEFAULT_LIMIT)
    assert feed.bounds(3, 10_000) == (3, feed.MAX_LIMIT)
    with pytest.raises(InvalidArgument):
        feed.bounds(-1, 10)


def test_serials_in_one_request_are_well_formed_and_unique_and_named_when_not():
    assert stock.serials(["STB0001", "STB0002"]) == ["STB0001", "STB0002"]
    with pytest.raises(InvalidArgument, match="STB0001") as e:
        stock.serials(["STB0001", "STB0002", "STB0001"])
    assert e.value.reason == "duplicate-serials"
    with pytest.raises(InvalidArgument) as e:
        stock.serials([])
    assert e.value.reason == "invalid-serials"
    assert stock.named([f"S{i}" for i in range(25)]).endswith("S19 and 5 more")


def test_a_station_s_staff_move_and_count_their_own_station_s_stock_only():
    dispatcher, tech = Actor("d", "dispatcher", "ST01"), Actor("t", "technician", "ST01")
    boss = Actor("s", "supervisor")
    assert stock.station_of(dispatcher, "ST01") == "ST01" and stock.station_of(boss, "ST02") == "ST02"
    with pytest.raises(PermissionDenied):
        stock.station_of(dispatcher, "ST02")
    shelf = {"station_code": "ST01", "technician": None}
    assert stock.may_move(dispatcher, shelf) and not stock.may_move(Actor("d2", "dispatcher", "ST02"), shelf)
    assert stock.may_move(tech, {**shelf, "technician": "t"}) and not stock.may_move(tech, shelf)
    with pytest.raises(PermissionDenied):
        stock.carried_by(tech, "someone-else")


def test_too_many_wrong_codes_lock_only_completions_that_need_or_give_a_code():
    locked = completion.MAX_WRONG_CODES
    completion.check_codes_left(Report("done", confirmation_code=CODE), "install", locked - 1)
    assert reason(lambda: completion.check_codes_left(Report("done", confirmation_code=CODE), "install", locked)) \
        == "confirmation-code-locked"
    assert reason(lambda: completion.check_codes_left(Report("done"), "digital_conversion", locked)) \
        == "confirmation-code-locked"
    assert reason(lambda: completion.check_codes_left(Report("fixed", confirmation_code=CODE), "repair", locked)) \
        == "confirmation-code-locked"
    completion.check_codes_left(Report("fixed"), "repair", locked)  # a repair needs no code: nothing to guess
    assert "1 more try before" in completion.wrong_code(locked - 1).message
    assert "the last try" in completion.wrong_code(locked).message
