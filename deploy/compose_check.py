"""`make compose-check`: the suite in containers, toured through the gateway, then with every scalable
process doubled, then taken down.

    python -m deploy.compose_check

It runs as a compose project of its own (own name, image tag and volumes; host ports chosen by the
engine), so it meets neither the local PostgreSQL and RabbitMQ nor another checkout's `make up`:

1. builds the image and brings docker-compose.yml up; waits until every container is healthy;
2. the tour, as a counter clerk through the gateway: signs in, searches by a name and then by the phone
   of a customer found, opens the 360 view, suspends an analog (CMS) service and checks the legacy
   write-back (outcome ok, the CMS line status in the CMS database), restores it, checks each event
   reached a queue bound to customer.events exactly once; then, as billing would, publishes a
   `suspension_requested` for that service to billing.events (through the management API: AMQP is not
   published), waits until the 360 view shows it suspended and the CMS line has status 2, and a
   `restoration_requested` brings it back; publishes both again with the same event ids, waits until the
   customer worker logs them as already handled, and checks nothing changed: each request written back
   and audited once (rows in the customer schema) and its service event published once; checks a
   change in the CMS reaches search (the worker's sync); billing and a bank's return file; finally a
   broadband install ordered at the counter, dispatched as one work order, completed by the station's
   technician with a card from their stock, and activated by the customer service;
3. runs every process that publishes no port (scalable_services) as two replicas, waits for health and
   tours again: two relays must not publish an event twice, two workers must carry out each billing
   request once, make one work order of each product order, and still follow changes;
4. always `down -v`, and removes its image tag.

Not part of `make test`: it needs a Docker engine, and exits non-zero saying so when there is none.
BSS_DEMO_HOUSEHOLDS (default 300 here) sizes the demo data.
"""
from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date
from urllib.parse import quote, unquote, urlsplit

import httpx

from deploy.compose_project import CheckFailed, ComposeProject, ComposeUnavailable, scalable_services
from gateway.app.users import demo_users
from services.billing.collection import OfferBatch, ReturnLine, load_layout, read_offer, write_return
from services.billing.runs.handlers import JOB_WORK_MEM
from services.common.outbox import envelope
from services.common.relay import exchange_name
from services.customer.billing_requests import command
from services.customer.subscriptions import BILLING

START_TIMEOUT_S = 1800  # a first build installs every dependency on a busy 2-core machine
HEALTH_TIMEOUT_S = 300
EVENT_TIMEOUT_S = 30
# After the expected events arrived, how long a duplicate (a second relay publishing) gets to show up.
DUPLICATE_WINDOW_S = 5
FOLLOW_TIMEOUT_S = 120
BILLING_TIMEOUT_S = 60
# Common surnames: a clerk's first search when all they know is a name.
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴")
EVENTS = ("service_suspended", "service_restored")
CMS_SUSPENDED, CMS_NORMAL = "2", "1"
SUSPENSION, RESTORATION = "suspension_requested", "restoration_requested"
ACTIONS = {SUSPENSION: "suspend", RESTORATION: "restore"}
# What the customer worker logs for an event its inbox already holds (services/customer/billing_requests.py).
ALREADY_HANDLED = "billing request already handled"
# Reads a process's metrics from inside its container, where BSS_METRICS_PORT serves them.
SCRAPE = ("import os, urllib.request; print(urllib.request.urlopen("
          "f\"http://127.0.0.1:{os.environ['BSS_METRICS_PORT']}/metrics\", timeout=10).read().decode())")
# Two million rows joined by a parallel hash join at the billing run's work_mem, in a transaction rolled back.
PARALLEL_HASH_PROBE = f"""
BEGIN;
SET LOCAL work_mem = '{JOB_WORK_MEM}';
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
CREATE TABLE shm_probe_a AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 2000000) g;
CREATE TABLE shm_probe_b AS SELECT * FROM shm_probe_a;
ANALYZE shm_probe_a;
ANALYZE shm_probe_b;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
    SELECT count(*) FROM shm_probe_a a JOIN shm_probe_b b USING (id) WHERE a.t <> b.t || 'x';
ROLLBACK;
"""
# What an admin tells a new clerk in confidence, for one sign-in.
GIVEN_PASSWORD = "新同事第一次登录用-2026"


def say(text: str) -> None:
    print(f"compose-check: {text}", flush=True)


def expect(ok: bool, failure: str) -> None:
    if not ok:
        raise CheckFailed(failure)


def expect_status(r: httpx.Response, status: int, what: str) -> dict:
    expect(r.status_code == status, f"{what}: HTTP {r.status_code}, expected {status}: {r.text[:500]}")
    return r.json()


class Management:
    """RabbitMQ's management HTTP API on the suite's virtual host: the only broker port the compose file
    publishes (AMQP stays inside the project)."""

    def __init__(self, management: str, amqp_uri: str):
        parts = urlsplit(amqp_uri)
        self.vhost = quote(unquote(parts.path[1:]) or "/", safe="")
        self.http = httpx.Client(base_url=f"http://{management}/api", timeout=10,
                                 auth=(unquote(parts.username or "guest"), unquote(parts.password or "guest")))

    def call(self, method: str, path: str, body: dict | None = None) -> httpx.Response:
        r = self.http.request(method, path, json=body)
        expect(r.is_success, f"RabbitMQ management API {method} {path}: HTTP {r.status_code} {r.text[:300]}")
        return r

    def publish(self, exchange: str, event: dict) -> None:
        """Publish an event envelope with the properties the relay gives it (services/common/relay.py)."""
        r = self.call("POST", f"/exchanges/{self.vhost}/{exchange}/publish", {
            "routing_key": event["type"], "payload": json.dumps(event), "payload_encoding": "string",
            "properties": {"content_type": "application/json", "content_encoding": "utf-8",
                           "message_id": event["eventId"], "delivery_mode": 2}})
        expect(r.json().get("routed") is True, f"{event['type']} published to {exchange} reached no queue "
                                               f"(did provisioning declare the consumer's queue?)")


class EventProbe:
    """A queue of the check's own bound to an exchange, read through the management API."""

    def __init__(self, broker: Management, exchange: str, routing_keys: tuple[str, ...]):
        self.broker = broker
        queue = f"compose-check-{uuid.uuid4().hex[:8]}"
        self.queue_path = f"/queues/{broker.vhost}/{queue}"
        # The relay and nameko declare the exchange the same way; whoever comes first creates it.
        broker.call("PUT", f"/exchanges/{broker.vhost}/{exchange}", {"type": "topic", "durable": True})
        broker.call("PUT", self.queue_path, {"durable": False, "auto_delete": False})
        for key in routing_keys:
            broker.call("POST", f"/bindings/{broker.vhost}/e/{exchange}/q/{queue}", {"routing_key": key})

    def take(self) -> list[tuple[str, dict]]:
        r = self.broker.call("POST", f"{self.queue_path}/get",
                             {"count": 100, "ackmode": "ack_requeue_false", "encoding": "auto"})
        return [(m["routing_key"], json.loads(m["payload"])) for m in r.json()]

    def expect_each_once(self, service_no: str, event_types: tuple[str, ...]) -> None:
        """Each event type about the service arrives, and arrives once."""
        seen: Counter[str] = Counter()

        def collect() -> None:
            seen.update(key for key, body in self.take() if body.get("data", {}).get("serviceNo") == service_no)

        deadline = time.monotonic() + EVENT_TIMEOUT_S
        while not all(seen[t] for t in event_types) and time.monotonic() < deadline:
            collect()
            time.sleep(0.5)
        missing = [t for t in event_types if not seen[t]]
        expect(not missing, f"no {', '.join(missing)} event for {service_no} reached customer.events "
                            f"within {EVENT_TIMEOUT_S} s (is the relay running?)")
        time.sleep(DUPLICATE_WINDOW_S)
        collect()
        twice = {t: n for t, n in seen.items() if n > 1}
        expect(not twice, f"events for {service_no} published more than once: {twice}")


# The demo's bank users, one per shipped bank: bank code -> user name.
BANK_USERS = {scope: name for name, role, scope in demo_users() if role == "bank"}


def sign_in(gateway: str, user: str, password: str = "demo") -> httpx.Client:
    r = httpx.post(f"http://{gateway}/api/v1/auth/token", data={"username": user, "password": password}, timeout=15)
    return signed_in(gateway, expect_status(r, 200, f"sign in as {user}")["access_token"])


def signed_in(gateway: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"http://{gateway}/api/v1", timeout=15, headers={"Authorization": f"Bearer {token}"})


def billing_request(event_type: str, customer_no: str, service_no: str) -> dict:
    """An event as billing's relay would publish it (services/customer/billing_requests.py has the
    contract); the request id names it in the audit trail and the write-back."""
    return envelope(BILLING.source, event_type, {"customerNo": customer_no, "serviceNo": service_no,
                                                 "reason": "compose-check", "requestId": f"CC{uuid.uuid4().hex[:12]}"})


def find_analog_customer(clerk: httpx.Client) -> tuple[str, dict]:
    """As a clerk would: search by a name, open a found customer's 360 view, and search again by the
    phone it shows; returns the customer and an active analog (CMS) service."""
    for surname in SURNAMES:
        found = expect_status(clerk.get("/customers", params={"q": surname, "limit": 50}), 200,
                              f"search for {surname}")["data"]
        for summary in found:
            if "cms" not in summary["origins"] or not summary["primaryPhone"]:
                continue
            customer_no = summary["customerNo"]
            view = expect_status(clerk.get(f"/customers/{customer_no}"), 200, f"360 view of {customer_no}")
            service = next((s for s in view["services"] if s["origin"] == "cms" and s["state"] == "active"), None)
            if service is None:
                continue
            by_phone = expect_status(clerk.get("/customers", params={"q": summary["primaryPhone"]}), 200,
                                     f"search for the phone of {customer_no}")["data"]
            expect(customer_no in {c["customerNo"] for c in by_phone},
                   f"searching the phone {summary['primaryPhone']} does not find {customer_no}")
            return customer_no, service
    raise CheckFailed(f"searching {', '.join(SURNAMES)} found no customer with an active analog (CMS) service")


class Tour:
    def __init__(self, project: ComposeProject, config: dict):
        self.project = project
        env = config["services"]["migrate"]["environment"]
        self.cms_database = urlsplit(env["BSS_LEGACY_CMS_URL"]).path.lstrip("/")
        self.database = urlsplit(env["BSS_DB_URL"]).path.lstrip("/")
        self.amqp_uri = env["BSS_AMQP_URI"]

    def cms_line_status(self, user_no: str) -> str:
        return self.project.sql(self.cms_database, "SELECT xlzt FROM yhxx WHERE yhbh = :'user_no'", user_no=user_no)

    def change_state(self, clerk: httpx.Client, customer_no: str, service_no: str, action: str, user_no: str,
                     line_status: str) -> None:
        r = clerk.post(f"/customers/{customer_no}/services/{service_no}/{action}", json={"reason": "compose-check"})
        write_back = (expect_status(r, 200, f"{action} {service_no}").get("writeBack") or {})
        expect(write_back.get("outcome") == "ok", f"{action} {service_no}: the CMS write-back says {write_back}")
        status = self.cms_line_status(user_no)
        expect(status == line_status, f"{action} {service_no}: CMS line {user_no} has status {status!r}, "
                                      f"expected {line_status!r}")

    def service_state(self, clerk: httpx.Client, customer_no: str, service_no: str) -> str:
        view = expect_status(clerk.get(f"/customers/{customer_no}"), 200, f"360 view of {customer_no}")
        return next(s["state"] for s in view["services"] if s["serviceNo"] == service_no)

    def wait_for_state(self, clerk: httpx.Client, customer_no: str, service_no: str, user_no: str, state: str,
                       line_status: str, event_type: str) -> None:
        """The 360 view shows the service in `state` and the CMS line has `line_status`."""
        deadline = time.monotonic() + BILLING_TIMEOUT_S
        while time.monotonic() < deadline:
            if (self.service_state(clerk, customer_no, service_no) == state
                    and self.cms_line_status(user_no) == line_status):
                return
            time.sleep(1)
        raise CheckFailed(f"after billing's {event_type}, {service_no} was not {state} with CMS line {user_no} "
                          f"status {line_status!r} within {BILLING_TIMEOUT_S} s (is customer-worker consuming "
                          f"{BILLING.queue_name}?)")

    def handled_again(self, event_ids: set[str]) -> Counter[str]:
        """How often the customer workers (every replica) logged each event as already handled."""
        seen: Counter[str] = Counter()
        logs = self.project.compose("logs", "--no-color", "--no-log-prefix", "customer-worker", timeout=60)
        for line in logs.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("msg") == ALREADY_HANDLED and entry.get("eventId") in event_ids:
                seen[entry["eventId"]] += 1
        return seen

    def carried_out(self, service_no: str) -> Counter[tuple[str, str]]:
        """(table, reason): billing's write-backs and audited state changes of the service, in the
        customer schema."""
        rows = self.project.sql(self.database, """
            SELECT 'write_back', w.request->>'reason' FROM customer.write_back w
              JOIN customer.service s ON s.id = w.service_id
             WHERE s.service_no = :'service_no' AND w.requested_by = 'billing'
            UNION ALL
            SELECT 'audit_log', changes->>'reason' FROM customer.audit_log
             WHERE entity = 'service' AND entity_key = :'service_no' AND actor = 'billing'""", service_no=service_no)
        return Counter(tuple(row.split("|", 1)) for row in rows.splitlines())

    def billing_requests_are_consumed(self, clerk: httpx.Client, broker: Management, customer_no: str,
                                      service_no: str, user_no: str) -> None:
        exchange = exchange_name(BILLING.source)
        suspension = billing_request(SUSPENSION, customer_no, service_no)
        restoration = billing_request(RESTORATION, customer_no, service_no)
        broker.publish(exchange, suspension)
        self.wait_for_state(clerk, customer_no, service_no, user_no, "suspended", CMS_SUSPENDED, SUSPENSION)
        broker.publish(exchange, restoration)
        self.wait_for_state(clerk, customer_no, service_no, user_no, "active", CMS_NORMAL, RESTORATION)
        # Both again with the same ids, as a relay republishes after a lost confirm: the inbox makes each
        # a no-op (a second suspension would show at once, the service being active again).
        for event in (suspension, restoration):
            broker.publish(exchange, event)
        event_ids = {suspension["eventId"], restoration["eventId"]}
        deadline = time.monotonic() + BILLING_TIMEOUT_S
        while True:
            state, status = self.service_state(clerk, customer_no, service_no), self.cms_line_status(user_no)
            expect((state, status) == ("active", CMS_NORMAL),
                   f"republished billing requests changed {service_no}: {state}, CMS line status {status!r}")
            handled = set(self.handled_again(event_ids))
            if handled == event_ids or time.monotonic() > deadline:
                break
            time.sleep(1)
        done = self.carried_out(service_no)
        for event in (suspension, restoration):
            # The reason the customer service records names billing's request id.
            reason = command(event, ACTIONS[event["type"]]).reason
            counts = {table: done[(table, reason)] for table in ("write_back", "audit_log")}
            expect(counts == {"write_back": 1, "audit_log": 1},
                   f"billing's {event['type']} {event['eventId']} for {service_no} carried out other than once: "
                   f"{counts}")
        expect(handled == event_ids, f"customer-worker did not log billing's republished requests as already "
                                     f"handled within {BILLING_TIMEOUT_S} s (is its inbox recording events?)")

    def legacy_change_is_followed(self, clerk: httpx.Client, customer_no: str, user_no: str) -> None:
        phone = f"137{random.randrange(10**8):08d}"
        self.project.sql(self.cms_database, "UPDATE yhxx SET lxdh = :'phone' WHERE yhbh = :'user_no'",
                         phone=phone, user_no=user_no)
        deadline = time.monotonic() + FOLLOW_TIMEOUT_S
        while time.monotonic() < deadline:
            r = clerk.get("/customers", params={"q": phone})
            if r.status_code == 200 and customer_no in {c["customerNo"] for c in r.json()["data"]}:
                return
            time.sleep(2)
        raise CheckFailed(f"a new phone on CMS line {user_no} did not reach {customer_no} within "
                          f"{FOLLOW_TIMEOUT_S} s (is the worker following legacy changes?)")

    def billing_is_served(self, clerk: httpx.Client, customer_no: str, service_no: str) -> None:
        """The demo job billed last month: the 360 view shows the bill, it prints, and a counter payment
        sent twice with one Idempotency-Key posts once and shows in the ledger."""
        view = expect_status(clerk.get(f"/customers/{customer_no}"), 200, f"360 view of {customer_no}")
        account_no = next(s["accountNo"] for s in view["services"] if s["serviceNo"] == service_no)
        billing = next((a for a in (view.get("billing") or {}).get("accounts", []) if a["accountNo"] == account_no),
                       None)
        expect(billing is not None and billing["lastBills"],
               f"the 360 view of {customer_no} shows no bill of {account_no} (unavailable: {view.get('unavailable')})")
        bill_no = billing["lastBills"][0]["id"]
        pdf = clerk.get(f"/customerBills/{bill_no}.pdf")
        expect(pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), f"bill {bill_no} does not print")
        key, body = str(uuid.uuid4()), {"accountNo": account_no, "amount": {"amountMinor": 100, "currency": "CNY"},
                                        "method": "cash", "counter": "CC01"}
        first = expect_status(clerk.post("/payments", json=body, headers={"Idempotency-Key": key}), 201, "a payment")
        again = expect_status(clerk.post("/payments", json=body, headers={"Idempotency-Key": key}), 201,
                              "the same payment again")
        expect(again["id"] == first["id"], f"one Idempotency-Key made payments {first['id']} and {again['id']}")
        ledger = expect_status(clerk.get(f"/accounts/{account_no}/ledger", params={"limit": 100}), 200, "the ledger")
        posted = [e for e in ledger["data"] if e["paymentNo"] == first["id"] and e["kind"] == "payment"]
        expect(len(posted) == 1, f"payment {first['id']} is in the ledger {len(posted)} times")

    def field_work_is_dispatched(self, gateway: str, clerk: httpx.Client, customer_no: str) -> str:
        """A broadband install ordered at the counter becomes one work order (dispatch's worker, however
        many replicas); the station's dispatcher assigns it to its generalist, who completes it with a
        smart card from their demo stock; the customer service then activates the ordered service."""
        ordered = expect_status(clerk.post("/productOrders", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
            "customerNo": customer_no, "orderType": "install", "kind": "broadband", "productCode": "BB50"}),
            201, "a product order")
        station = ordered["premises"]["station"]["code"]
        deadline, work_order_no = time.monotonic() + FOLLOW_TIMEOUT_S, None
        while work_order_no is None and time.monotonic() < deadline:
            work_order_no = clerk.get(f"/productOrders/{ordered['id']}").json()["workOrderNo"] or time.sleep(1)
        expect(work_order_no is not None, f"product order {ordered['id']} got no work order (dispatch's worker?)")
        made = clerk.get("/workOrders", params={"customerNo": customer_no, "open": "true", "limit": 100}).json()
        expect([w["productOrderNo"] for w in made["data"]].count(ordered["id"]) == 1,
               f"product order {ordered['id']} made other than one work order")
        dispatcher = sign_in(gateway, "dispatcher" if station == "ST01" else f"dispatcher-{station.lower()}")
        technician_name = f"tech-{station.lower()}-1"
        expect_status(dispatcher.post(f"/workOrders/{work_order_no}/assign", json={"technician": technician_name}),
                      200, f"assigning {work_order_no}")
        technician = sign_in(gateway, technician_name)
        carried = expect_status(technician.get("/technicians/me/stock", params={"limit": 100}), 200, "their stock")
        card = next(d["serial"] for d in carried["data"] if d["kind"] == "smart_card" and d["state"] == "issued")
        expect(work_order_no in {w["id"] for w in technician.get("/technicians/me/workOrders").json()["data"]},
               f"{technician_name}'s phone does not get {work_order_no}")
        for step in ("accept", "arrive"):
            expect_status(technician.post(f"/workOrders/{work_order_no}/{step}"), 200, f"{step} {work_order_no}")
        code = clerk.get(f"/workOrders/{work_order_no}/confirmationCode").json()["confirmationCode"]
        expect_status(technician.post(f"/workOrders/{work_order_no}/complete", json={
            "resultCode": "installed", "devicesInstalled": [{"kind": "smart_card", "serial": card}],
            "confirmationCode": code}), 200, f"completing {work_order_no}")
        deadline, state = time.monotonic() + FOLLOW_TIMEOUT_S, None
        while state != "completed" and time.monotonic() < deadline:
            state = clerk.get(f"/productOrders/{ordered['id']}").json()["state"]
            time.sleep(1)
        expect(state == "completed", f"product order {ordered['id']} is {state} after its work order completed")
        view = clerk.get(f"/customers/{customer_no}").json()
        expect(any(s["serviceNo"] == ordered["serviceNo"] and s["state"] == "active" for s in view["services"]),
               f"the ordered service {ordered['serviceNo']} is not active in the 360 view")
        return f"product order {ordered['id']} installed by {technician_name} through work order {work_order_no}"

    def a_bank_answers_its_batch(self, gateway: str) -> str | None:
        """A bank, as its own user, downloads a batch of the demo's collection run that no file answered
        yet, reads it as the bank does, and uploads its return file (every debit paid): the import report
        counts each line once. Another bank does not see that batch. None when every batch is answered."""
        for code, user in BANK_USERS.items():
            bank = sign_in(gateway, user)
            batches = expect_status(bank.get("/debitBatches", params={"limit": 100}), 200, f"{user}'s batches")
            waiting = [b for b in batches["data"] if b["state"] in ("offered", "downloaded")]
            expect(all(b["bankCode"] == code for b in batches["data"]), f"{user} sees another bank's batches")
            if not waiting:
                continue
            batch = waiting[0]
            other = sign_in(gateway, next(u for c, u in BANK_USERS.items() if c != code))
            expect(other.get(f"/debitBatches/{batch['id']}").status_code == 404,
                   f"another bank sees {code}'s batch {batch['id']}")
            offered = bank.get(f"/debitBatches/{batch['id']}/file", params={"format": "bankLayout"})
            expect(offered.status_code == 200, f"{user} cannot download {batch['id']}: {offered.status_code}")
            layout = load_layout(code)
            debits = read_offer(layout, offered.content)
            expect(len(debits) == batch["debitCount"], f"{batch['id']} has {len(debits)} lines, "
                                                        f"not {batch['debitCount']}")
            paid = [ReturnLine(0, d.reference, d.account_number, d.amount_minor, True, min(layout.ok_codes), None,
                               "", d.holder_name, d.user_number) for d in debits]
            answer = io.BytesIO()
            write_return(layout, OfferBatch(batch["id"], date.fromisoformat(batch["createdOn"]),
                                            date.fromisoformat(batch["collectionDate"]), "compose-check"),
                         paid, answer)
            report = expect_status(bank.post("/bankFiles", params={"kind": "result"}, content=answer.getvalue(),
                                             headers={"Content-Type": "application/octet-stream"}),
                                   201, f"{user}'s return file for {batch['id']}")
            expect((report["succeeded"], report["failed"]) == (len(paid), 0), f"import report {report}")
            return f"{code} answered batch {batch['id']} ({len(paid)} debits paid)"
        return None

    def staff_accounts_are_kept(self, gateway: str) -> str:
        """The way into a production installation: the console makes an admin (in the gateway's container), who
        opens a clerk's account; the clerk chooses their own password and searches."""
        admin_name, clerk_name = f"ops-{uuid.uuid4().hex[:6]}", f"clerk-{uuid.uuid4().hex[:6]}"
        admin_password, clerk_password = f"运维控制台口令-{uuid.uuid4().hex[:8]}", f"柜台自己的口令-{uuid.uuid4().hex[:8]}"
        self.project.compose("run", "--rm", "--no-deps", "-T", "gateway", "python", "-m", "gateway.app.staff_cli",
                             "add", admin_name, "--role", "admin", stdin=admin_password + "\n")
        admin = sign_in(gateway, admin_name, admin_password)
        expect_status(admin.post("/staff", json={"username": clerk_name, "role": "counter", "password": GIVEN_PASSWORD},
                                 headers={"Idempotency-Key": str(uuid.uuid4())}), 201, "an admin opens a clerk's account")
        refused = httpx.post(f"http://{gateway}/api/v1/auth/token", timeout=15,
                             data={"username": clerk_name, "password": GIVEN_PASSWORD})
        expect_status(refused, 403, "signing in with the admin's password")
        chosen = httpx.post(f"http://{gateway}/api/v1/auth/password", timeout=15, json={
            "username": clerk_name, "password": GIVEN_PASSWORD, "newPassword": clerk_password})
        clerk = signed_in(gateway, expect_status(chosen, 200, "the clerk chooses a password")["access_token"])
        expect_status(clerk.get("/customers", params={"q": SURNAMES[0], "limit": 1}), 200, "the new clerk searches")
        return f"the console made admin {admin_name}, who opened {clerk_name}'s account; the clerk chose a password"

    def database_fits_bulk_jobs(self) -> str:
        """The database server runs a parallel hash join as big as the bulk jobs' (work_mem 512MB, the billing
        run's): its shared hash table lives in /dev/shm, which a container gets only 64 MB of by default. And it
        runs with the settings docker-compose.yml gives it, not the image's laptop-sized defaults."""
        plan = self.project.sql(self.database, PARALLEL_HASH_PROBE)
        expect("Parallel Hash Join" in plan, f"the probe's join ran without parallel workers:\n{plan}")
        sized = self.project.sql(self.database, "SELECT setting FROM pg_settings WHERE name = 'max_wal_size'")
        expect(int(sized) > 1024, f"the database runs with max_wal_size {sized} MB, the image's default")
        return (f"a parallel hash join of the bulk jobs' size ran in the database container (its /dev/shm is big "
                f"enough); max_wal_size is {int(sized) // 1024} GB")

    def metrics_are_served(self) -> str:
        """What Prometheus would scrape, read from inside the containers (the port is not published)."""
        # The health checks alone give the gateway and every gRPC replica answered calls to count; a relay's
        # or a worker's replica may not have had an event yet, so theirs are looked for by definition.
        wanted = {"gateway": "bss_http_requests_total{", "customer-grpc": "bss_grpc_server_handled_total{",
                  "customer-relay": "# TYPE bss_outbox_backlog_events gauge",
                  "customer-worker": "# TYPE bss_events_handled_total counter"}
        for service, metric in wanted.items():
            scraped = self.project.compose("exec", "-T", service, "python", "-c", SCRAPE)
            expect(metric in scraped, f"{service} serves no {metric} on its metrics port")
        return f"metrics served by {', '.join(wanted)}"

    def run(self) -> None:
        gateway = self.project.published("gateway", 8080)
        health = httpx.get(f"http://{gateway}/health", timeout=10)
        expect_status(health, 200, "gateway /health")
        broker = Management(self.project.published("rabbitmq", 15672), self.amqp_uri)
        probe = EventProbe(broker, "customer.events", EVENTS)
        clerk = sign_in(gateway, "counter")
        customer_no, service = find_analog_customer(clerk)
        service_no, user_no = service["serviceNo"], service["legacyRef"]
        say(f"touring {customer_no}, analog service {service_no} (CMS line {user_no})")
        self.change_state(clerk, customer_no, service_no, "suspend", user_no, CMS_SUSPENDED)
        self.change_state(clerk, customer_no, service_no, "restore", user_no, CMS_NORMAL)
        probe.expect_each_once(service_no, EVENTS)
        say("suspend and restore written back to the CMS; each event published once")
        self.billing_requests_are_consumed(clerk, broker, customer_no, service_no, user_no)
        probe.expect_each_once(service_no, EVENTS)
        say(f"billing's {SUSPENSION} and {RESTORATION} each carried out once by the customer worker "
            f"(360 view, CMS line, write-back, audit, events); published again, they changed nothing")
        self.legacy_change_is_followed(clerk, customer_no, user_no)
        say("a change made in the CMS reached search")
        self.billing_is_served(clerk, customer_no, service_no)
        say("last month's bill in the 360 view and in print; a counter payment sent twice posted once")
        answered = self.a_bank_answers_its_batch(gateway)
        expect(answered is not None, "the demo's collection run left no debit batch for any bank")
        say(answered)
        say(self.field_work_is_dispatched(gateway, clerk, customer_no))
        say(self.staff_accounts_are_kept(gateway))
        say(self.database_fits_bulk_jobs())
        say(self.metrics_are_served())


def project_env(name: str) -> dict[str, str]:
    return {**os.environ,
            "BSS_IMAGE": f"bss-suite:{name}",
            # 0: the engine picks a free host port; `compose port` tells which.
            "BSS_COMPOSE_GATEWAY_PORT": "0",
            "BSS_COMPOSE_RABBITMQ_UI_PORT": "0",
            "BSS_DEMO_HOUSEHOLDS": os.environ.get("BSS_DEMO_HOUSEHOLDS", "300"),
            "BSS_LEGACY_SYNC_SECONDS": "2"}


def check(project: ComposeProject, config: dict) -> None:
    say(f"building and starting the suite as compose project {project.name}")
    project.compose("up", "-d", "--build", timeout=START_TIMEOUT_S, show=True)
    containers = project.wait_healthy(HEALTH_TIMEOUT_S)
    say(f"{len(containers)} containers healthy")
    tour = Tour(project, config)
    tour.run()

    scaled = scalable_services(config)
    say(f"two replicas each of {', '.join(scaled)}")
    project.compose("up", "-d", "--no-deps", "--no-build", *(f"--scale={s}=2" for s in scaled), *scaled,
                    timeout=HEALTH_TIMEOUT_S, show=True)
    containers = project.wait_healthy(HEALTH_TIMEOUT_S)
    replicas = Counter(c["Config"]["Labels"]["com.docker.compose.service"] for c in containers)
    expect(all(replicas[s] == 2 for s in scaled), f"replicas running: {dict(replicas)}")
    tour.run()


def main() -> int:
    name = f"bss-check-{uuid.uuid4().hex[:8]}"
    project = ComposeProject(name, project_env(name))
    try:
        config = project.config()
    except ComposeUnavailable as exc:
        say(f"{exc}\ncompose-check: nothing was checked: it needs compose and a running Docker engine")
        return 2
    # `down -v` must run on Ctrl-C and on a plain kill too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check(project, config)
        say("passed")
        return 0
    except (CheckFailed, httpx.HTTPError, subprocess.SubprocessError) as exc:
        say(f"FAILED: {exc}")
        print(project.logs(), flush=True)
        return 1
    finally:
        say(f"taking {name} down")
        project.down()
        subprocess.run(["docker", "image", "rm", "--no-prune", project.env["BSS_IMAGE"]], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
