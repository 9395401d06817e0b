"""What a staff account may be (gateway/app/staff_rules.py): user names, scopes by role, the password policy."""
from __future__ import annotations

import pytest

from gateway.app.auth import Role
from gateway.app.problems import Problem
from gateway.app.staff_rules import check_password, display_name, scope, username


def refused(call, *args) -> str:
    with pytest.raises(Problem) as caught:
        call(*args)
    assert caught.value.status == 422
    return caught.value.reason


def test_a_user_name_is_one_spelling_in_lower_case():
    assert username(" ZhangSan ") == "zhangsan"
    assert username("ｔｅｃｈ－ｓｔ０１") == "tech-st01"  # typed with a Chinese input method's full-width forms
    assert username("li.si@st02") == "li.si@st02"
    for wrong in ("", "zhang san", "张三", "a" * 51, "zhang\x00", "zhang/../x"):
        assert refused(username, wrong) == "invalid-username"


@pytest.mark.parametrize("role, given, stored", [
    (Role.BANK, "icbc", "ICBC"), (Role.TECHNICIAN, "st01", "ST01"), (Role.DISPATCHER, " ST02 ", "ST02"),
    (Role.COUNTER, None, None), (Role.ADMIN, "", None)])
def test_a_scope_is_what_the_role_acts_for(role, given, stored):
    assert scope(role, given) == stored


@pytest.mark.parametrize("role, given", [(Role.BANK, None), (Role.BANK, "ICBC1"), (Role.TECHNICIAN, ""),
                                         (Role.DISPATCHER, "ST 01"), (Role.COUNTER, "C01"), (Role.SUPERVISOR, "ST01")])
def test_a_scope_that_does_not_fit_the_role_is_refused(role, given):
    assert refused(scope, role, given) == "invalid-scope"


@pytest.mark.parametrize("password", ["柜台早班口令-2026-春季", "correct horse battery staple", " 空格 也是 密码的 一部分 "])
def test_long_passwords_of_any_script_are_good(password):
    check_password(password, "zhangsan")


@pytest.mark.parametrize("password", [
    "short", "x" * 129, "zhangsan-2026-spring", "aaaaaaaaaaaaaaa", "abababababab", "Password2026!", "Qwertyuiop123",
    "123456789012", "098765432109", "abcdefghijklm", "woaini1314520", "has\x00nul-inside-it"])
def test_short_common_or_guessable_passwords_are_refused(password):
    assert refused(check_password, password, "zhangsan") == "weak-password"


def test_a_display_name_is_wording():
    assert display_name(" 张三 ") == "张三" and display_name(None) is None and display_name("  ") is None
    assert refused(display_name, "\u202e张三") == "invalid-display-name"
    assert refused(display_name, "张" * 61) == "invalid-display-name"
