"""The whole suite as processes (`python -m deploy.suite run`), driven through the gateway the way a
counter clerk, a technician and a supervisor would use it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pika
import psycopg2
import pytest

from tests.databases import drop_database
from tests.harness import free_port
from tests.integration.customer_env import valid_id_no

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
DATABASES = {"BSS_DB_URL": "bss_e2e", "BSS_LEGACY_CMS_URL": "legacy_cms_e2e", "BSS_LEGACY_SMS_URL": "legacy_sms_e2e"}


def pg_base() -> str:
    return os.environ["BSS_DB_URL"].rsplit("/", 1)[0]


class Suite:
    def __init__(self):
        self.port = free_port()
        self.env = {**os.environ, "BSS_MODE": "demo", "BSS_DEMO_HOUSEHOLDS": "300", "BSS_LOG_LEVEL": "INFO",
                    "BSS_GATEWAY_PORT": str(self.port), "BSS_CUSTOMER_GRPC": f"127.0.0.1:{free_port()}",
                    "BSS_BILLING_GRPC": f"127.0.0.1:{free_port()}",
                    "BSS_LEGACY_SYNC_SECONDS": "1"}
        for var, name in DATABASES.items():
            # The tag keeps checkouts testing at once on one server out of each other's suite databases.
            self.env[var] = f"{pg_base()}/{name}{os.environ.get('BSS_TEST_DB_TAG', '')}"
        self.log = open(ROOT / "build" / "e2e-suite.log", "wb")
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        for var in DATABASES:
            drop_database(self.env[var])
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


@pytest.fixture(scope="module")
def suite():
    (ROOT / "build").mkdir(exist_ok=True)
    s = Suite()
    s.start()
    yield s
    # Checked after every test of the module, whatever order they ran in: Ctrl-C stops it all cleanly.
    assert s.stop() == 0, f"the suite did not stop cleanly on Ctrl-C; see {s.log.name}"


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


def test_health_reports_every_dependency(suite):
    body = httpx.get(f"{suite.url}/health").json()
    text = json.dumps(body)
    assert body["status"] == "ok"
    for part in ("customer", "database", "broker"):
        assert part in text


def test_counter_clerk_finds_customer_by_phone_and_sees_both_systems(suite):
    customer_no, phone, _, _ = both_systems_customer(suite)
    clerk = login(suite, "counter")
    r = clerk.get("/customers", params={"q": phone})
    assert r.status_code == 200, r.text
    assert int(r.headers["X-Total-Count"]) >= 1
    assert customer_no in r.text
    view = clerk.get(f"/customers/{customer_no}").json()
    origins = {s["origin"] for s in view["services"]}
    assert {"cms", "sms"} <= origins
    assert any(d["kind"] == "smart_card" for d in view["devices"])
    assert view["premises"] and view["premises"][0]["station"]
    assert {link["system"] for link in view["links"]} == {"cms", "sms"}


def test_suspend_and_restore_are_written_back_and_published(suite):
    customer_no, _, service_no, user_no = both_systems_customer(suite)
    clerk = login(suite, "counter")
    mq = pika.BlockingConnection(pika.URLParameters(suite.env.get("BSS_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")))
    channel = mq.channel()
    channel.exchange_declare("customer.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "customer.events", routing_key="service_suspended")

    r = clerk.post(f"/customers/{customer_no}/services/{service_no}/suspend", json={"reason": "customer away"})
    assert r.status_code == 200, r.text
    assert r.json()["writeBack"]["outcome"] == "ok"
    assert line_status(suite, user_no) == "2"

    deadline, event = time.monotonic() + 30, None
    while event is None and time.monotonic() < deadline:
        _, _, body = channel.basic_get(queue, auto_ack=True)
        event = json.loads(body) if body else time.sleep(0.3)
    mq.close()
    assert event and event["data"]["serviceNo"] == service_no

    again = clerk.post(f"/customers/{customer_no}/services/{service_no}/suspend")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    r = clerk.post(f"/customers/{customer_no}/services/{service_no}/restore")
    assert r.status_code == 200, r.text
    assert line_status(suite, user_no) == "1"


def test_new_customer_and_bad_inputs(suite):
    clerk = login(suite, "counter")
    id_no = valid_id_no()
    body = {"name": "测试客户", "idNo": id_no, "phone": "13900001234", "address": "文三路100号1幢2单元301室",
            "areaCode": "0101"}
    r = clerk.post("/customers", json=body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"].endswith(r.json()["customerNo"])
    dup = clerk.post("/customers", json=body)
    assert dup.status_code == 409 and dup.headers["content-type"].startswith("application/problem+json")
    bad_id = clerk.post("/customers", json={**body, "idNo": id_no[:-1] + ("0" if id_no[-1] != "0" else "1")})
    assert bad_id.status_code == 422
    assert clerk.post("/customers", json={**body, "idNo": None, "phone": "12345"}).status_code == 422
    assert clerk.get("/customers/C99999999999").status_code == 404
    assert clerk.get("/customers", params={"q": "138", "limit": -1}).status_code == 422
    assert clerk.post("/customers", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422


def test_technician_sees_masked_id_numbers(suite):
    customer_no, _, _, _ = both_systems_customer(suite)
    full = login(suite, "counter").get(f"/customers/{customer_no}").json()
    masked = login(suite, "technician").get(f"/customers/{customer_no}").json()
    if full.get("idNo"):
        assert masked["idNo"] != full["idNo"] and "*" in masked["idNo"]
    assert login(suite, "technician").post(f"/customers/{customer_no}/contacts",
                                           json={"channel": "field", "kind": "note", "summary": "x"}).status_code == 403


def test_supervisor_reviews_a_match(suite):
    supervisor = login(suite, "supervisor")
    r = supervisor.get("/customerMatches", params={"status": "pending"})
    assert r.status_code == 200, r.text
    pending = r.json()["data"]
    assert pending, "the demo data should leave uncertain pairs for review"
    match = pending[0]
    accepted = supervisor.post(f"/customerMatches/{match['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert supervisor.post(f"/customerMatches/{match['id']}/accept").status_code == 409
    merged_no = match["right"]["customerNo"]
    assert supervisor.get(f"/customers/{merged_no}").json()["status"] == "merged"


def test_legacy_change_is_followed(suite):
    _, _, _, user_no = both_systems_customer(suite)
    new_phone = f"137{uuid.uuid4().int % 10**8:08d}"
    with suite.db("BSS_LEGACY_CMS_URL") as conn, conn.cursor() as cur:
        cur.execute("UPDATE yhxx SET lxdh = %s WHERE yhbh = %s", (new_phone, user_no))
    clerk = login(suite, "counter")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = clerk.get("/customers", params={"q": new_phone})
        if r.status_code == 200 and int(r.headers["X-Total-Count"]) >= 1:
            return
        time.sleep(1)
    raise AssertionError("the CMS phone change did not reach the customer record")
