"""`make compose-check`: the suite in containers, toured through the gateway, then with every scalable
process doubled, then taken down.

    python -m deploy.compose_check

It runs as a compose project of its own (own name, image tag and volumes; host ports chosen by the
engine), so it meets neither the local PostgreSQL and RabbitMQ nor another checkout's `make up`:

1. builds the image and brings docker-compose.yml up; waits until every container is healthy;
2. the tour, as a counter clerk through the gateway: signs in, searches by a name and then by the phone
   of a customer found, opens the 360 view, suspends an analog (CMS) service and checks the legacy
   write-back (outcome ok, the CMS line status in the CMS database), restores it, checks each event
   reached a queue bound to customer.events exactly once, and checks a change in the CMS reaches search
   (the worker's sync);
3. runs every process that publishes no port (scalable_services) as two replicas, waits for health and
   tours again: two relays must not publish an event twice, two workers must still follow changes;
4. always `down -v`, and removes its image tag.

Not part of `make test`: it needs a Docker engine, and exits non-zero saying so when there is none.
BSS_DEMO_HOUSEHOLDS (default 300 here) sizes the demo data.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from urllib.parse import quote, unquote, urlsplit

import httpx

from deploy.compose_project import CheckFailed, ComposeProject, ComposeUnavailable, scalable_services

START_TIMEOUT_S = 1800  # a first build installs every dependency on a busy 2-core machine
HEALTH_TIMEOUT_S = 300
EVENT_TIMEOUT_S = 30
# After the expected events arrived, how long a duplicate (a second relay publishing) gets to show up.
DUPLICATE_WINDOW_S = 5
FOLLOW_TIMEOUT_S = 120
# Common surnames: a clerk's first search when all they know is a name.
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴")
EVENTS = ("service_suspended", "service_restored")
CMS_SUSPENDED, CMS_NORMAL = "2", "1"


def say(text: str) -> None:
    print(f"compose-check: {text}", flush=True)


def expect(ok: bool, failure: str) -> None:
    if not ok:
        raise CheckFailed(failure)


def expect_status(r: httpx.Response, status: int, what: str) -> dict:
    expect(r.status_code == status, f"{what}: HTTP {r.status_code}, expected {status}: {r.text[:500]}")
    return r.json()


class EventProbe:
    """A queue of the check's own bound to an exchange, read through RabbitMQ's management API (the
    only broker port the compose file publishes)."""

    def __init__(self, management: str, amqp_uri: str, exchange: str, routing_keys: tuple[str, ...]):
        parts = urlsplit(amqp_uri)
        vhost = quote(unquote(parts.path[1:]) or "/", safe="")
        self.http = httpx.Client(base_url=f"http://{management}/api", timeout=10,
                                 auth=(unquote(parts.username or "guest"), unquote(parts.password or "guest")))
        queue = f"compose-check-{uuid.uuid4().hex[:8]}"
        self.queue_path = f"/queues/{vhost}/{queue}"
        # The relay and nameko declare the exchange the same way; whoever comes first creates it.
        self._ok(self.http.put(f"/exchanges/{vhost}/{exchange}", json={"type": "topic", "durable": True}))
        self._ok(self.http.put(self.queue_path, json={"durable": False, "auto_delete": False}))
        for key in routing_keys:
            self._ok(self.http.post(f"/bindings/{vhost}/e/{exchange}/q/{queue}", json={"routing_key": key}))

    @staticmethod
    def _ok(r: httpx.Response) -> None:
        expect(r.is_success, f"RabbitMQ management API {r.request.method} {r.request.url.path}: "
                             f"HTTP {r.status_code} {r.text[:300]}")

    def take(self) -> list[tuple[str, dict]]:
        r = self.http.post(f"{self.queue_path}/get",
                           json={"count": 100, "ackmode": "ack_requeue_false", "encoding": "auto"})
        self._ok(r)
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


def sign_in(gateway: str, user: str) -> httpx.Client:
    r = httpx.post(f"http://{gateway}/api/v1/auth/token", data={"username": user, "password": "demo"}, timeout=15)
    token = expect_status(r, 200, f"sign in as {user}")["access_token"]
    return httpx.Client(base_url=f"http://{gateway}/api/v1", timeout=15,
                        headers={"Authorization": f"Bearer {token}"})


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

    def run(self) -> None:
        gateway = self.project.published("gateway", 8080)
        health = httpx.get(f"http://{gateway}/health", timeout=10)
        expect_status(health, 200, "gateway /health")
        probe = EventProbe(self.project.published("rabbitmq", 15672), self.amqp_uri, "customer.events", EVENTS)
        clerk = sign_in(gateway, "counter")
        customer_no, service = find_analog_customer(clerk)
        service_no, user_no = service["serviceNo"], service["legacyRef"]
        say(f"touring {customer_no}, analog service {service_no} (CMS line {user_no})")
        self.change_state(clerk, customer_no, service_no, "suspend", user_no, CMS_SUSPENDED)
        self.change_state(clerk, customer_no, service_no, "restore", user_no, CMS_NORMAL)
        probe.expect_each_once(service_no, EVENTS)
        say("suspend and restore written back to the CMS; each event published once")
        self.legacy_change_is_followed(clerk, customer_no, user_no)
        say("a change made in the CMS reached search")


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
