"""The technicians' pull through the gateway under load: 50 technicians' phones syncing their work orders
(GET /api/v1/technicians/me/workOrders, in full and with ?since= a recent cursor) at once, against the
benchmark database after the campaign bench (600,000 conversion orders in the dispatch schema): every
phone syncing once a second (the latency a technician sees), then closed loops of 10 and 50 clients that
ask again at once (the most the machine serves, and the queueing at that load).

    .venv/bin/python -m tests.bench.technician_bench [--seconds 10] [--rounds 3] [--levels 10,50]

Each of 50 bench technicians (users bench-tech-1..50, each of their station) carries ORDERS_EACH open
orders taken from the campaign's, and a history of completed ones; each request is one technician's
pull, drawn at random, signed as that technician. The gRPC servers and the gateway run as real processes
(view_bench.running_suite); figures as in view_bench: requests/s, p50/p95/p99 (target p99 under 50 ms at
50 technicians), CPU per request per process. Figures only, never pass/fail.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.client import HTTPConnection
from pathlib import Path

from gateway.app.users import DEMO_PASSWORD, hash_password
from services.common.db import connect
from services.common.migrate import migrate_service
from services.customer.service import SPEC as CUSTOMER
from services.registry import SERVICES
from tests.bench import view_bench
from tests.bench.import_bench import bench_settings

TECHNICIANS = 50
ORDERS_EACH = 12          # open orders on a technician's phone: a day and a half of visits
COMPLETED_EACH = 200      # their history: what a pull must not read
LEVELS = (10, 50)
PACE_S = 1.0  # a phone syncing every second: far more often than a technician's day needs


def prepare(settings) -> list[tuple[str, str]]:
    """Bench technicians with their orders; (username, station) of each."""
    conn = connect(settings.db_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            # As the service connects: the work order trigger names its sequence without a schema.
            cur.execute("SET search_path = dispatch")
            cur.execute("SELECT station_code FROM dispatch.station ORDER BY station_code")
            stations = [row[0] for row in cur.fetchall()]
            if not stations:
                raise RuntimeError("no work orders in the bench database: run the campaign bench first")
            technicians = [(f"bench-tech-{n}", stations[n % len(stations)]) for n in range(1, TECHNICIANS + 1)]
            cur.execute("SELECT count(*) FROM dispatch.work_order WHERE technician LIKE 'bench-tech-%'")
            if cur.fetchone()[0] < TECHNICIANS * (ORDERS_EACH + COMPLETED_EACH):
                _give_orders(cur, technicians)
            cur.execute("ANALYZE dispatch.work_order")
    finally:
        conn.close()
    return technicians


def add_users(settings, technicians: list[tuple[str, str]]) -> None:
    """The technicians' sign-ins, once the gateway has migrated its schema."""
    conn = connect(settings.db_url)
    conn.autocommit = True
    try:
        password = hash_password(DEMO_PASSWORD)  # one argon2 hash serves them all
        with conn.cursor() as cur:
            cur.executemany("""INSERT INTO gateway.users (username, role, scope, password_hash, demo)
                               VALUES (%s, 'technician', %s, %s, true)
                               ON CONFLICT (username) DO UPDATE SET scope = EXCLUDED.scope, active = true""",
                            [(name, station, password) for name, station in technicians])
    finally:
        conn.close()


def _give_orders(cur, technicians: list[tuple[str, str]]) -> None:
    """Each technician's open and completed orders, taken from the unassigned orders of their station
    (through the feed trigger, as a dispatcher's assignment would)."""
    for name, station in technicians:
        cur.execute("""UPDATE dispatch.work_order SET technician = %s, state = 'assigned', updated_by = 'bench'
                        WHERE id IN (SELECT id FROM dispatch.work_order
                                      WHERE station_code = %s AND technician IS NULL AND state IN ('open', 'scheduled')
                                      LIMIT %s)""", (name, station, ORDERS_EACH + COMPLETED_EACH))
        cur.execute("""UPDATE dispatch.work_order SET state = 'completed', completed_at = now(), updated_by = 'bench'
                        WHERE id IN (SELECT id FROM dispatch.work_order WHERE technician = %s AND state = 'assigned'
                                      LIMIT %s)""", (name, COMPLETED_EACH))


def sign_in(base: str, username: str) -> str:
    body = urllib.parse.urlencode({"username": username, "password": DEMO_PASSWORD}).encode()
    with urllib.request.urlopen(f"{base}/api/v1/auth/token", data=body, timeout=10) as reply:
        return json.load(reply)["access_token"]


def cursors(settings, technicians: list[tuple[str, str]]) -> dict[str, int]:
    """A recent cursor per technician: a phone that synced a few changes ago."""
    conn = connect(settings.db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("""SELECT technician, (array_agg(change_seq ORDER BY change_seq DESC))[3]
                             FROM dispatch.work_order WHERE technician = ANY(%s) GROUP BY technician""",
                        ([name for name, _ in technicians],))
            return dict(cur.fetchall())
    finally:
        conn.close()


def paced(base: str, requests: list[tuple[str, str]], every_s: float, seconds: float) -> dict:
    """Each technician's phone syncing once every `every_s` seconds (a thread and a keep-alive connection
    each, start times spread over the period): the latency a technician sees at that load, where the
    closed loop of `one_level` measures the most the machine serves (each client asks again at once)."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    latencies: list[float] = []
    failed = [0]
    start = time.perf_counter() + 0.5

    def phone(n: int, token: str, path: str) -> None:
        conn = HTTPConnection(host, int(port), timeout=10)
        tick = start + every_s * n / len(requests)
        while tick < start + seconds:
            time.sleep(max(0.0, tick - time.perf_counter()))
            began = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            reply = conn.getresponse()
            reply.read()
            latencies.append(time.perf_counter() - began)
            failed[0] += reply.status != 200
            tick += every_s
        conn.close()

    threads = [threading.Thread(target=phone, args=(n, token, path)) for n, (token, path) in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ordered = sorted(latencies)
    return {"pulls": len(ordered), "per_s": round(len(ordered) / seconds, 1), "failed": failed[0],
            **{f"p{p}_ms": round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)
               for p in (50, 95, 99)}}


def run(settings, levels=LEVELS, seconds: float = view_bench.SECONDS, rounds: int = view_bench.ROUNDS) -> dict:
    for spec in SERVICES:
        migrate_service(settings if spec is CUSTOMER else spec.settings(db_url=settings.db_url), spec)
    technicians = prepare(settings)
    since = cursors(settings, technicians)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="technician-bench-") as tmp:
        with view_bench.running_suite(settings, Path(tmp)) as suite:
            add_users(settings, technicians)
            tokens = {name: sign_in(suite["base"], name) for name, _ in technicians}
            lines = []
            for name, _ in technicians:
                lines.append(f"{tokens[name]} /api/v1/technicians/me/workOrders")
                lines.append(f"{tokens[name]} /api/v1/technicians/me/workOrders?since={since.get(name, 0)}")
            rng.shuffle(lines)
            paths = Path(tmp) / "pulls.txt"
            paths.write_text("\n".join(lines) + "\n")
            view_bench.one_level(settings, suite, paths, max(levels), min(seconds, 5.0), seed=0)  # warm-up
            results: dict[int, list[dict]] = {clients: [] for clients in levels}
            for n in range(rounds):
                for clients in levels:
                    results[clients].append(view_bench.one_level(settings, suite, paths, clients, seconds, seed=n + 1))
            # Every technician at once, each phone syncing every PACE_S seconds, half of them in full.
            phones = [(tokens[name], "/api/v1/technicians/me/workOrders" + (f"?since={since.get(name, 0)}" if i % 2
                                                                              else ""))
                      for i, (name, _) in enumerate(technicians)]
            synced = paced(suite["base"], phones, PACE_S, seconds * 2)
    return {"paced": {"every_s": PACE_S, **synced}, "technicians": len(technicians), "orders_each": ORDERS_EACH, "completed_each": COMPLETED_EACH,
            "seconds_per_round": seconds, "rounds": rounds,
            "levels": {f"{clients} technicians": view_bench.summarize(r) for clients, r in results.items()}}


def report(result: dict) -> str:
    lines = [f"technicians' pull through the gateway: {result['technicians']} technicians with "
             f"{result['orders_each']} open and {result['completed_each']} completed orders each, "
             f"{result['rounds']} rounds of {result['seconds_per_round']:g} s per level"]
    p = result["paced"]
    lines.append(f"  {result['technicians']} phones each syncing every {p['every_s']:g} s: {p['pulls']} pulls "
                 f"({p['per_s']:g}/s), p50 {p['p50_ms']:g} ms, p95 {p['p95_ms']:g} ms, p99 {p['p99_ms']:g} ms, "
                 f"{p['failed']} failed")
    lines.append("  closed loop (each client asks again at once; the most the machine serves):")
    for level, f in result["levels"].items():
        lines.append(f"  {level:>15}: {f['per_s'][0]:g} [{f['per_s'][1]:g}-{f['per_s'][2]:g}] requests/s, "
                     f"p50 {f['p50_ms'][0]:g} ms, p99 {f['p99_ms'][0]:g} [{f['p99_ms'][1]:g}-{f['p99_ms'][2]:g}] ms, "
                     f"{f['failed']} of {f['requests']} failed; CPU ms per request: "
                     + " ".join(f"{k} {v:g}" for k, v in f["cpu_ms"].items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=view_bench.SECONDS)
    parser.add_argument("--rounds", type=int, default=view_bench.ROUNDS)
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    args = parser.parse_args()
    result = run(bench_settings(), tuple(int(n) for n in args.levels.split(",")), args.seconds, args.rounds)
    print(json.dumps(result))
    print(report(result))


if __name__ == "__main__":
    main()
