"""in_steps: a job's steps on several connections at once, each when what it needs is done."""
import threading
import time

import pytest

from services.common.bulkjob import Step, in_steps


class Connection:
    def __init__(self):
        self.commits = self.rollbacks = 0

    def commit(self):
        self.commits += 1

    def rollback(self):
        self.rollbacks += 1


class Cursor:
    def __init__(self):
        self.connection = Connection()


def recorder(log: list, seconds: float = 0.0):
    lock = threading.Lock()

    def step(name: str, needs: tuple = (), holds: tuple = (), shares: tuple = ()) -> Step:
        def work(cur):
            with lock:
                log.append(("start", name, cur))
            time.sleep(seconds)
            with lock:
                log.append(("end", name, cur))
        return Step(name, work, frozenset(needs), frozenset(holds), frozenset(shares))
    return step


def test_each_step_starts_after_what_it_needs_and_is_committed_on_its_own():
    log: list = []
    step = recorder(log, 0.01)
    cursors = [Cursor(), Cursor()]
    in_steps(cursors, [step("a"), step("b", ("a",)), step("c", ("a",)), step("d", ("b", "c"))])
    position = {(what, name): n for n, (what, name, _) in enumerate(log)}
    assert position["start", "b"] > position["end", "a"] < position["start", "c"]
    assert position["start", "d"] > max(position["end", "b"], position["end", "c"])
    # b and c were ready together, and ran side by side on the two connections.
    assert {cur for what, name, cur in log if name in "bc"} == set(cursors)
    assert sum(cur.connection.commits for cur in cursors) == 4


def test_the_list_order_is_the_priority_among_ready_steps():
    log: list = []
    step = recorder(log)
    in_steps([Cursor()], [step("late", ("first",)), step("first"), step("second")])
    assert [name for what, name, _ in log if what == "start"] == ["first", "late", "second"]


def test_after_a_failure_no_step_starts_and_the_failure_is_raised():
    log: list = []
    step = recorder(log)

    def fail(cur):
        raise RuntimeError("disk full")
    cur = Cursor()
    with pytest.raises(RuntimeError, match="disk full"):
        in_steps([cur], [step("a"), Step("boom", fail, frozenset({"a"})), step("after", ("a",))])
    assert [name for what, name, _ in log if what == "start"] == ["a"]
    assert cur.connection.rollbacks == 1


def test_steps_that_need_one_another_or_nothing_that_exists_are_refused():
    step = recorder([])
    with pytest.raises(ValueError, match="need one another"):
        in_steps([Cursor(), Cursor()], [step("a", ("b",)), step("b", ("a",))])
    with pytest.raises(ValueError, match="do not exist"):
        in_steps([Cursor()], [step("a", ("ghost",))])


def overlapped(log: list, one: str, other: str) -> bool:
    position = {(what, name): n for n, (what, name, _) in enumerate(log)}
    return position["start", one] < position["end", other] and position["start", other] < position["end", one]


def test_a_step_waits_while_another_holds_what_it_locks_and_a_free_step_runs_meanwhile():
    log: list = []
    step = recorder(log)
    freed = threading.Event()

    def check_a(cur):
        log.append(("start", "check a", cur))
        # Holding t until the free step has run: the other connection must skip what waits for t.
        assert freed.wait(10), "the free step did not run while check a held t"
        log.append(("end", "check a", cur))
    in_steps([Cursor(), Cursor()], [Step("check a", check_a, holds=frozenset({"t"}), shares=frozenset({"u"})),
                                    step("check b", holds=("t",), shares=("v",)), step("reads t", shares=("t",)),
                                    Step("free", lambda cur: freed.set())])
    assert not overlapped(log, "check a", "check b")
    assert not overlapped(log, "check a", "reads t") and not overlapped(log, "check b", "reads t")


def test_steps_sharing_a_table_run_side_by_side():
    both = threading.Barrier(2, timeout=10)  # broken, and the run failed, unless both steps run at once

    def meet(cur):
        both.wait()
    in_steps([Cursor(), Cursor()], [Step("one", meet, holds=frozenset({"a"}), shares=frozenset({"t"})),
                                    Step("two", meet, holds=frozenset({"b"}), shares=frozenset({"t"}))])
