"""The whole suite as processes (`python -m deploy.suite run`) for the end-to-end tests, and what they
share to drive it as its users would: signing in, finding a demo customer, reading the legacy systems."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg2

from tests.databases import drop_database
from tests.harness import free_port, own_vhost

ROOT = Path(__file__).resolve().parents[2]
DATABASES = {"BSS_DB_URL": "bss", "BSS_LEGACY_CMS_URL": "legacy_cms", "BSS_LEGACY_SMS_URL": "legacy_sms"}


def pg_base() -> str:
    return os.environ["BSS_DB_URL"].rsplit("/", 1)[0]


class Suite:
    """A suite of its own `name` (its databases and log carry it), with `households` of demo data."""

    def __init__(self, name: str = "e2e", households: int = 300):
        self.port = free_port()
        self.env = {**os.environ, "BSS_MODE": "demo", "BSS_DEMO_HOUSEHOLDS": str(households), "BSS_LOG_LEVEL": "INFO",
                    "BSS_GATEWAY_PORT": str(self.port), "BSS_CUSTOMER_GRPC": f"127.0.0.1:{free_port()}",
                    "BSS_BILLING_GRPC": f"127.0.0.1:{free_port()}", "BSS_DISPATCH_GRPC": f"127.0.0.1:{free_port()}",
                    "BSS_LEGACY_SYNC_SECONDS": "1"}
        for var, database in DATABASES.items():
            # The tag keeps checkouts testing at once on one server out of each other's suite databases.
            self.env[var] = f"{pg_base()}/{database}_{name}{os.environ.get('BSS_TEST_DB_TAG', '')}"
        # Each suite's events in a host of its own too, when the session has one (tests/conftest.py).
        self.vhost = (f"bss_test_{name}{os.environ.get('BSS_TEST_DB_TAG', '')}"
                      if os.environ.get("BSS_TEST_BROKER") == "own-host" else None)
        if self.vhost:
            self.env["BSS_AMQP_URI"] = f"{os.environ['BSS_AMQP_URI'].rsplit('/', 1)[0]}/{self.vhost}"
        self.log = open(ROOT / "build" / f"{name}-suite.log", "wb")
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        for var in DATABASES:
            drop_database(self.env[var])
        if self.vhost:
            assert own_vhost(self.vhost), f"rabbitmqctl could not make the virtual host {self.vhost}"
        self.proc = subprocess.Popen([sys.executable, "-m", "deploy.suite", "run"], cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the suite exited early; see {self.log.name}"
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise AssertionError(f"the suite did not become healthy; see {self.log.name}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        finally:
            self.log.close()

    def db(self, var: str):
        conn = psycopg2.connect(self.env[var])
        conn.autocommit = True
        return conn


def login(suite, role: str) -> httpx.Client:
    r = httpx.post(f"{suite.url}/api/v1/auth/token", data={"username": role, "password": "demo"})
    assert r.status_code == 200, r.text
    return httpx.Client(base_url=f"{suite.url}/api/v1", timeout=15,
                        headers={"Authorization": f"Bearer {r.json()['access_token']}"})


def both_systems_customer(suite) -> tuple[str, str, str, str]:
    """A golden customer linked to a CMS line and an SMS subscriber, with an active analog service, found
    as a clerk finds one: by the phone number the customer gives, then the 360 view. The numbers come
    from the legacy SMS (where a caller's number would come from); which one is drawn at random, so the
    tests do not all work on one customer and none depends on what another did to it."""
    with suite.db("BSS_LEGACY_SMS_URL") as conn, conn.cursor() as cur:
        cur.execute("SELECT mobile FROM subscriber WHERE mobile ~ '^1[0-9]{10}$' ORDER BY random() LIMIT 60")
        phones = [row[0] for row in cur.fetchall()]
    clerk = login(suite, "counter")
    for phone in phones:
        found = clerk.get("/customers", params={"q": phone})
        assert found.status_code == 200, found.text
        for hit in found.json()["data"]:
            view = clerk.get(f"/customers/{hit['customerNo']}").json()
            if view["status"] != "active" or {link["system"] for link in view["links"]} != {"cms", "sms"}:
                continue
            analog = [s for s in view["services"] if s["origin"] == "cms" and s["state"] == "active"]
            if analog:
                return view["customerNo"], phone, analog[0]["serviceNo"], analog[0]["legacyRef"]
    raise AssertionError("the demo data should have customers in both legacy systems")


def line_status(suite, user_no: str) -> str:
    with suite.db("BSS_LEGACY_CMS_URL") as conn, conn.cursor() as cur:
        cur.execute("SELECT xlzt FROM yhxx WHERE yhbh = %s", (user_no,))
        return cur.fetchone()[0]
