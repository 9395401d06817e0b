"""The legacy sync against clerks' suspend and restore: a legacy state read before a write-back is older
than what the clerk did and must never roll it back, not even for one sync cycle."""
from __future__ import annotations

import threading
import time

import pytest

from services.customer.handlers import Actor, ChangeServiceState
from services.customer.importer import run as import_run
from services.customer.importer.sync import run_sync

from tests.databases import execute
from tests.integration.legacy_world import imported

pytestmark = pytest.mark.integration
CLERK = Actor("clerk-t", "counter")
LEGACY_STATE = {  # how each legacy system says what the clerk did
    "cms": ("SELECT CASE xlzt WHEN '1' THEN 'active' WHEN '2' THEN 'suspended' END FROM yhxx WHERE yhbh = 'U04'"),
    "sms": ("SELECT CASE status WHEN 'A' THEN 'active' WHEN 'S' THEN 'suspended' END FROM entitlement "
            "WHERE entitlement_id = 1"),
}


@pytest.fixture
def world(settings):
    with imported(settings) as world:
        yield world


def services(env) -> dict[str, tuple[str, str, str]]:
    """origin -> (customer number, service number, state)"""
    rows = execute(env.db_url, "SELECT s.origin, c.customer_no, s.service_no, s.state FROM service s "
                               "JOIN customer c ON c.id = s.customer_id", schema="customer")
    return {origin: (customer_no, service_no, state) for origin, customer_no, service_no, state in rows}


def legacy_state(env, origin: str) -> str:
    url = env.legacy_cms_url if origin == "cms" else env.legacy_sms_url
    return execute(url, LEGACY_STATE[origin])[0][0]


def command(handlers, env, origin: str, action: str) -> str:
    customer_no, service_no, _ = services(env)[origin]
    service, write_back = handlers.change_service_state(ChangeServiceState(
        customer_no=customer_no, service_no=service_no, action=action, actor=CLERK))
    assert write_back["outcome"] == "ok", write_back
    return service["state"]


def test_a_suspend_made_while_the_sync_reads_is_not_rolled_back(world, monkeypatch):
    env, handlers = world
    staged = import_run.stage_both

    def clerk_suspends_after_staging(*args):
        result = staged(*args)  # the sync has read both legacy systems: both services active
        for origin in ("cms", "sms"):
            command(handlers, env, origin, "suspend")
        return result

    monkeypatch.setattr(import_run, "stage_both", clerk_suspends_after_staging)
    run_sync(env)
    monkeypatch.undo()
    assert {origin: s[2] for origin, s in services(env).items()} == {"cms": "suspended", "sms": "suspended"}
    for origin in ("cms", "sms"):
        assert legacy_state(env, origin) == "suspended"
        assert command(handlers, env, origin, "restore") == "active"  # the BSS and the network agree
    run_sync(env)
    assert {origin: s[2] for origin, s in services(env).items()} == {"cms": "active", "sms": "active"}


def test_a_change_made_in_the_legacy_system_after_a_write_back_is_applied(world):
    env, handlers = world
    command(handlers, env, "cms", "suspend")
    execute(env.legacy_cms_url, "UPDATE yhxx SET xlzt = '1' WHERE yhbh = 'U04'")  # restored at the CMS counter
    run_sync(env)
    assert services(env)["cms"][2] == "active"


def test_alternating_commands_while_the_sync_runs_in_a_loop(world):
    env, handlers = world
    quiet = threading.Lock()  # held while a command is under way: between commands the state is settled
    last = {"cms": "active", "sms": "active"}
    done, cycles, failures = threading.Event(), [], []

    def sync_loop():
        while not done.is_set():
            try:
                run_sync(env)
            except Exception as e:  # noqa: BLE001 - reported below, the loop must go on
                failures.append(f"sync: {e!r}")
                continue
            with quiet:
                now = {origin: s[2] for origin, s in services(env).items()}
                legacy = {origin: legacy_state(env, origin) for origin in last}
                cycles.append((dict(last), now, legacy))

    syncing = threading.Thread(target=sync_loop)
    syncing.start()
    try:
        started, action = time.monotonic(), "suspend"
        # Six seconds of commands, longer on a busy machine until the sync has run a few cycles.
        while not failures and time.monotonic() - started < (6 if len(cycles) >= 3 else 60):
            for origin in ("cms", "sms"):
                with quiet:
                    try:
                        last[origin] = command(handlers, env, origin, action)
                    except Exception as e:  # noqa: BLE001
                        failures.append(f"{origin} {action}: {e!r}")
                time.sleep(0.01)  # a lock is not fair: let the sync's check in between commands
            action = "restore" if action == "suspend" else "suspend"
    finally:
        done.set()
        syncing.join()
    assert failures == []
    assert len(cycles) >= 3, cycles
    for expected, bss, legacy in cycles:
        assert bss == expected == legacy
