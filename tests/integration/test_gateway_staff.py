"""Staff accounts through the gateway and the console, against the real PostgreSQL: an admin opens an
account, the person signs in once with the admin's password and must choose their own, the account is
re-roled and deactivated (its token stops working), and everything wrong is refused clearly, audited."""
from __future__ import annotations

import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from gateway.app import staff
from gateway.app.auth import Role, User
from gateway.app.problems import Problem
from tests.integration.test_gateway import (ROOT, assert_problem, bearer, client_for, free_port, gateway_db,  # noqa: F401
                                            lone, sign_in)

pytestmark = pytest.mark.integration
GOOD = "柜台早班口令-2026-春季"


def name(prefix: str = "clerk") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(client, admin, **body):
    return client.post("/api/v1/staff", headers={**admin, "Idempotency-Key": str(uuid.uuid4())},
                       json={"role": "counter", "password": GOOD, **body})


def choose(client, username: str, password: str, new_password: str):
    return client.post("/api/v1/auth/password",
                       json={"username": username, "password": password, "newPassword": new_password})


def audit_of(gateway_db, username: str) -> list[dict]:  # noqa: F811
    with gateway_db.transaction() as cur:
        cur.execute("SELECT action, changes, actor FROM audit_log WHERE entity = 'staff' AND entity_key = %s "
                    "ORDER BY id", (username,))
        return cur.fetchall()


def test_an_admin_opens_an_account_and_the_clerk_chooses_their_own_password(settings, lone, gateway_db):  # noqa: F811
    admin = bearer(lone, "admin")
    clerk = name()
    made = create(lone, admin, username=clerk.upper(), displayName="张三", role="counter")
    assert made.status_code == 201, made.text
    account = made.json()
    assert (account["username"], account["role"], account["scope"], account["displayName"]) == (clerk, "counter",
                                                                                                  None, "张三")
    assert account["active"] and account["passwordExpired"] and account["lastSignInAt"] is None
    assert made.headers["Location"] == f"/api/v1/staff/{clerk}"
    assert "password" not in made.text.lower().replace("passwordexpired", "")

    # The admin's password opens nothing but the change of it.
    assert_problem(sign_in(lone, clerk, GOOD), 403, "password-change-required")
    assert_problem(choose(lone, clerk, "not it at all", "另一个很长的密码-42"), 401, "invalid-credentials")
    assert_problem(choose(lone, clerk, GOOD, GOOD), 422, "weak-password")
    assert_problem(choose(lone, clerk, GOOD, "short"), 422, "weak-password")
    chosen = choose(lone, clerk, GOOD, "我自己的密码 with spaces ")
    assert chosen.status_code == 200, chosen.text
    token = {"Authorization": f"Bearer {chosen.json()['access_token']}"}
    assert lone.get("/api/v1/customers", params={"q": "138"}, headers=token).status_code != 401
    assert sign_in(lone, clerk, "我自己的密码 with spaces ").status_code == 200
    # As curl -d sends it: the UTF-8 bytes as they are, not percent-encoded (the spaces as '+').
    raw = lone.post("/api/v1/auth/token", content=f"username={clerk}&password=我自己的密码+with+spaces+".encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert raw.status_code == 200, raw.text
    assert_problem(sign_in(lone, clerk, GOOD), 401, "invalid-credentials")

    seen = lone.get(f"/api/v1/staff/{clerk}", headers=admin).json()
    assert not seen["passwordExpired"] and seen["lastSignInAt"]
    listed = lone.get("/api/v1/staff", params={"role": "counter", "active": "true", "limit": 100}, headers=admin)
    assert listed.status_code == 200 and int(listed.headers["X-Total-Count"]) == listed.json()["count"] >= 1
    assert all(s["role"] == "counter" and s["active"] for s in listed.json()["data"])

    # An admin's reset is again for one sign-in, and forgets the failures that locked the clerk out.
    reset = lone.post(f"/api/v1/staff/{clerk}/password", headers=admin, json={"password": "重置给你的密码-0001"})
    assert reset.status_code == 200 and reset.json()["passwordExpired"]
    assert_problem(sign_in(lone, clerk, "重置给你的密码-0001"), 403, "password-change-required")

    # The reset ended the sessions of the old password: a fresh gateway (no remembered check) refuses its token.
    with client_for(settings, customer_grpc=f"127.0.0.1:{free_port()}") as fresh:
        assert_problem(fresh.get("/api/v1/customers", params={"q": "138"}, headers=token), 401, "token-revoked")

    assert [(a["action"], a["actor"]) for a in audit_of(gateway_db, clerk)] == [
        ("created", "admin"), ("password-chosen", clerk), ("password-set", "admin")]
    assert all("重置" not in str(a["changes"]) and GOOD not in str(a["changes"]) for a in audit_of(gateway_db, clerk))


def test_roles_scopes_and_deactivation(settings, lone, gateway_db):  # noqa: F811
    admin = bearer(lone, "admin")
    teller = name("bank")
    assert_problem(create(lone, admin, username=teller, role="bank"), 422, "invalid-scope")
    assert_problem(create(lone, admin, username=teller, role="counter", scope="ICBC"), 422, "invalid-scope")
    made = create(lone, admin, username=teller, role="bank", scope="ccb")
    assert made.status_code == 201 and made.json()["scope"] == "CCB"
    assert_problem(create(lone, admin, username=teller, role="bank", scope="CCB"), 409, "staff-exists")
    token = {"Authorization": f"Bearer {choose(lone, teller, GOOD, '银行对账专用口令-2077').json()['access_token']}"}

    moved = lone.patch(f"/api/v1/staff/{teller}", headers=admin, json={"role": "dispatcher", "scope": "ST02"})
    assert moved.status_code == 200 and (moved.json()["role"], moved.json()["scope"]) == ("dispatcher", "ST02")
    as_clerk = lone.patch(f"/api/v1/staff/{teller}", headers=admin, json={"role": "counter"})
    assert (as_clerk.json()["role"], as_clerk.json()["scope"]) == ("counter", None), \
        "a role acting for the whole operator drops the station"
    assert_problem(lone.patch(f"/api/v1/staff/{teller}", headers=admin, json={"role": "bank"}), 422, "invalid-scope")
    off = lone.patch(f"/api/v1/staff/{teller}", headers=admin, json={"active": False})
    assert off.status_code == 200 and not off.json()["active"]
    # A fresh gateway asks the database at once (the running one within AccountCheck's seconds).
    with client_for(settings, customer_grpc=f"127.0.0.1:{free_port()}") as fresh:
        assert_problem(fresh.get("/api/v1/debitBatches", headers=token), 401, "token-revoked")
        assert_problem(sign_in(fresh, teller, "银行对账专用口令-2077"), 401, "invalid-credentials")
    assert [a["action"] for a in audit_of(gateway_db, teller)] == ["created", "password-chosen", "changed",
                                                                   "changed", "changed"]
    assert audit_of(gateway_db, teller)[2]["changes"] == {"role": ["bank", "dispatcher"], "scope": ["CCB", "ST02"]}


def test_the_last_admin_stays_and_only_admins_keep_accounts(lone, gateway_db):  # noqa: F811
    admin = bearer(lone, "admin")
    boss = name("admin")
    assert create(lone, admin, username=boss, role="admin").status_code == 201
    with gateway_db.transaction() as cur:
        cur.execute("SELECT username FROM users WHERE role = 'admin' AND active AND username <> %s", (boss,))
        others = [r["username"] for r in cur.fetchall()]
        cur.execute("UPDATE users SET active = false WHERE username = ANY(%s)", (others,))
    try:
        assert_problem(lone.patch(f"/api/v1/staff/{boss}", headers=admin, json={"active": False}), 409, "last-admin")
        assert_problem(lone.patch(f"/api/v1/staff/{boss}", headers=admin, json={"role": "supervisor"}), 409,
                       "last-admin")
    finally:
        with gateway_db.transaction() as cur:
            cur.execute("UPDATE users SET active = true WHERE username = ANY(%s)", (others,))
    assert lone.patch(f"/api/v1/staff/{boss}", headers=admin, json={"active": False}).status_code == 200
    assert_problem(lone.get("/api/v1/staff", headers=bearer(lone, "supervisor")), 403, "forbidden")


@pytest.mark.parametrize("body, status, reason", [
    ({"username": "Zhang San"}, 422, "validation-error"),
    ({"username": "zhang\u0000"}, 422, "validation-error"),
    ({"password": "short"}, 422, "weak-password"),
    ({"password": "Password2026"}, 422, "weak-password"),
    ({"password": "123456789012"}, 422, "weak-password"),
    ({"password": "aaaaaaaaaaaaaaaa"}, 422, "weak-password"),
    ({"password": "x" * 129}, 422, "validation-error"),
    ({"role": "root"}, 422, "validation-error"),
    ({"role": "technician", "scope": "ST 1"}, 422, "invalid-scope"),
    ({"displayName": "\u202e张三"}, 422, "invalid-display-name"),
    ({"isAdmin": True}, 422, "validation-error"),
])
def test_bad_accounts_are_refused_and_nothing_is_made(lone, gateway_db, body, status, reason):  # noqa: F811
    username = body.pop("username", name())
    assert_problem(create(lone, bearer(lone, "admin"), username=username, **body), status, reason)
    with gateway_db.transaction() as cur:  # PostgreSQL cannot even be asked about a name with NUL
        cur.execute("SELECT count(*) AS n FROM users WHERE username = %s", (username.lower().replace("\x00", ""),))
        assert cur.fetchone()["n"] == 0


def test_the_console_makes_the_first_admin_of_a_production_installation(settings, lone):  # noqa: F811
    boss = name("root")
    cli = [sys.executable, "-m", "gateway.app.staff_cli"]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{ROOT / 'build' / 'proto'}",
           "BSS_DB_URL": settings.db_url, "BSS_DB_SERVICE_PASSWORD": settings.db_service_password}
    made = subprocess.run([*cli, "add", boss, "--role", "admin", "--name", "运维"], input="控制台设置的口令-2026\n",
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert made.returncode == 0, made.stderr
    # The operator chose it at the console: it is theirs, not one for one sign-in.
    assert sign_in(lone, boss, "控制台设置的口令-2026").status_code == 200
    again = subprocess.run([*cli, "add", boss, "--role", "admin"], input="控制台设置的口令-2026\n",
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert again.returncode == 2 and "staff-exists" in again.stderr
    weak = subprocess.run([*cli, "add", name("root"), "--role", "admin"], input="admin\n",
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert weak.returncode == 2 and "weak-password" in weak.stderr
    listed = subprocess.run([*cli, "list"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert boss in listed.stdout and "运维" in listed.stdout


def test_two_admins_deactivating_each_other_at_once_leave_one(gateway_db):  # noqa: F811
    with gateway_db.transaction() as cur:
        cur.execute("SELECT username FROM users WHERE role = 'admin' AND active")
        others = [r["username"] for r in cur.fetchall()]
    console = User("console", Role.ADMIN)
    try:
        for _ in range(5):
            pair = [name("admin") for _ in range(2)]
            for admin in pair:
                staff.create_staff(gateway_db, console, admin, Role.ADMIN, None, None, GOOD)
            with gateway_db.transaction() as cur:
                cur.execute("UPDATE users SET active = false WHERE role = 'admin' AND NOT (username = ANY(%s))",
                            (pair,))
            start = Barrier(2)

            def deactivate(target: str) -> str:
                start.wait()
                try:
                    staff.change_staff(gateway_db, console, target, {"active": False})
                    return "done"
                except Problem as problem:
                    return problem.reason

            with ThreadPoolExecutor(2) as pool:
                outcomes = sorted(pool.map(deactivate, pair))
            assert outcomes == ["done", "last-admin"]
    finally:
        with gateway_db.transaction() as cur:
            cur.execute("UPDATE users SET active = true WHERE username = ANY(%s)", (others,))
