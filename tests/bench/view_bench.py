"""The 360 view through the gateway under load, against the benchmark database (a million customers after
the import benchmark): GET /api/v1/customers/{customerNo} at 1, 4 and 16 concurrent clients.

    .venv/bin/python -m tests.bench.view_bench [--seconds 10] [--rounds 3] [--levels 1,4,16]

The customer and billing gRPC servers and the gateway run as real processes on ports of their own (the
view's billing section is asked of billing, whose schema here holds no bills: the call, not its data); a counter clerk
signs in and the clients ask for customers drawn from a random sample of real customer numbers. The load
comes from `wrk` (Debian package wrk) when it is installed, else from a Python process of threads, which
takes a larger share of the same cores. For each level: requests/s, p50/p95/p99, failed requests, the
CPU per request and cores kept busy by the gateway, the gRPC server, the services' PostgreSQL sessions
and the load generator, and the PostgreSQL sessions opened and transactions per request. Figures only,
never pass/fail: the machine is shared, so every level runs several rounds and reports the range.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from http.client import HTTPConnection
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from services.common.db import connect
from services.common.migrate import migrate_service
from services.common.settings import Settings
from services.customer.service import SPEC
from services.registry import SERVICES
from tests.bench.import_bench import bench_settings
from tests.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
LUA = Path(__file__).with_suffix(".lua")
LEVELS = (1, 4, 16)
SECONDS = 10.0
ROUNDS = 3
SAMPLES = 2000
POOLS = tuple(f"bss-{spec.name}" for spec in SERVICES) + ("bss-gateway",)
CLERK = "counter"  # a demo user of development mode, password "demo"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


# --- the data and the processes --------------------------------------------------------------------

def sample_customers(settings: Settings, n: int = SAMPLES) -> list[str]:
    """Customer numbers drawn from pages all over the table, in random order."""
    conn = connect(settings.db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SET search_path = customer")
            cur.execute("""SELECT customer_no FROM customer TABLESAMPLE SYSTEM (1)
                            WHERE status = 'active' ORDER BY random() LIMIT %s""", (n,))
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def _wait_for(probe: Callable[[], T | None], what: str, procs: list[subprocess.Popen],
              timeout: float = 120.0) -> T:
    """The first answer of `probe` that is not None, while the processes it depends on live."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args} exited with {proc.returncode} while waiting for {what}")
        if (answer := probe()) is not None:
            return answer
        time.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


def _signed_in(base: str) -> str | None:
    body = urllib.parse.urlencode({"username": CLERK, "password": "demo"}).encode()
    try:
        with urllib.request.urlopen(f"{base}/api/v1/auth/token", data=body, timeout=5) as reply:
            return json.load(reply)["access_token"]
    except OSError:
        return None


@contextmanager
def running_suite(settings: Settings, log_dir: Path) -> Iterator[dict]:
    """Every service's gRPC server (the view asks billing and dispatch for their sections) and the gateway
    as processes against `settings`' database; `pids` names them grpc (the customer's), billing, dispatch
    and gateway."""
    ports = {spec.name: free_port() for spec in SERVICES}
    http_port = free_port()
    env = {**os.environ, "BSS_DB_URL": settings.db_url, "BSS_LEGACY_CMS_URL": settings.legacy_cms_url,
           "BSS_LEGACY_SMS_URL": settings.legacy_sms_url, "BSS_GATEWAY_PORT": str(http_port),
           "BSS_MODE": "development", **{f"BSS_{name.upper()}_GRPC": f"127.0.0.1:{port}" for name, port in ports.items()}}
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name, args in ([("grpc" if spec.name == "customer" else spec.name, ["services.common.grpc_main", spec.name])
                            for spec in SERVICES] + [("gateway", ["gateway.app.main"])]):
            with open(log_dir / f"{name}.log", "wb") as log:
                procs[name] = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env,
                                               stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{http_port}"
        token = _wait_for(lambda: _signed_in(base), "the gateway to sign a clerk in", list(procs.values()))
        yield {"base": base, "token": token, "pids": {name: p.pid for name, p in procs.items()}}
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


# --- what the machine spent --------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User plus system CPU of a live process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def database_counters(settings: Settings) -> dict:
    """Sessions opened and transactions committed in the bench database so far, and its backends now."""
    conn = connect(settings.db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("""SELECT sessions, xact_commit, xact_rollback FROM pg_stat_database
                            WHERE datname = current_database()""")
            sessions, commits, rollbacks = cur.fetchone()
            # The sessions of the services' pools (named after their schema), not whoever else reads here.
            cur.execute("""SELECT pid FROM pg_stat_activity
                            WHERE datname = current_database() AND application_name IN %s""", (POOLS,))
            backends = [row[0] for row in cur.fetchall()]
        return {"sessions": sessions, "transactions": commits + rollbacks,
                "backend_cpu": {pid: cpu_seconds(pid) for pid in backends}}
    finally:
        conn.close()


@contextmanager
def accounting(settings: Settings, pids: dict[str, int]) -> Iterator[dict]:
    """CPU seconds per process and database work over the block, and its wall time."""
    figures: dict = {}
    # pg_stat_database is refreshed when a session reports; give the figures before the block time to settle.
    time.sleep(0.6)
    before_db = database_counters(settings)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    before_children = children_cpu()
    started = time.perf_counter()
    yield figures
    figures["wall"] = time.perf_counter() - started
    after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    after_children = children_cpu()
    time.sleep(0.6)
    after_db = database_counters(settings)
    # Only the backends still there at the end are counted: a session that closed took its CPU with it.
    postgres = sum(cpu - before_db["backend_cpu"].get(pid, 0.0) for pid, cpu in after_db["backend_cpu"].items())
    figures["cpu"] = {**{name: after[name] - before[name] for name in pids}, "postgres": postgres,
                      "load": after_children - before_children}
    figures["sessions_opened"] = after_db["sessions"] - before_db["sessions"]
    figures["transactions"] = after_db["transactions"] - before_db["transactions"]


# --- the load ----------------------------------------------------------------------------------------

def drive_wrk(base: str, token: str, paths: Path, clients: int, seconds: float, seed: int) -> dict:
    done = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(LUA),
         base, "--", str(paths), str(seed)],
        env={**os.environ, "BENCH_TOKEN": token}, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return json.loads(lines[0].removeprefix("BENCH "))


def _python_load(base: str, token: str, paths: list[str], clients: int, seconds: float, seed: int,
                 results) -> None:
    """The fallback load generator, in a process of its own: one keep-alive connection per client."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    # A line is a path (asked with `token`) or "token path" (asked as that token's user), as in the Lua script.
    asks = [(line.split(" ")[-1], {"Authorization": f"Bearer {line.split(' ')[0] if ' ' in line else token}"})
            for line in paths]
    latencies: list[float] = []
    failed = [0]
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        conn = HTTPConnection(host, int(port), timeout=10)
        i = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            path, headers = asks[i % len(asks)]
            conn.request("GET", path, headers=headers)
            reply = conn.getresponse()
            reply.read()
            latencies.append(time.perf_counter() - started)
            failed[0] += reply.status != 200
            i += clients
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(seed + n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)

    results.put({"requests": len(ordered), "seconds": round(elapsed, 3), "failed": failed[0],
                 "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_ms": pct(100)})


def drive_python(base: str, token: str, paths: Path, clients: int, seconds: float, seed: int) -> dict:
    ctx = get_context("spawn")
    results = ctx.Queue()
    proc = ctx.Process(target=_python_load, args=(base, token, paths.read_text().splitlines(), clients, seconds,
                                                  seed, results))
    proc.start()
    figures = results.get(timeout=seconds + 60)
    proc.join()
    return figures


# --- the bench ---------------------------------------------------------------------------------------

def one_level(settings: Settings, suite: dict, paths: Path, clients: int, seconds: float, seed: int) -> dict:
    drive = drive_wrk if shutil.which("wrk") else drive_python
    with accounting(settings, suite["pids"]) as spent:
        figures = drive(suite["base"], suite["token"], paths, clients, seconds, seed)
    requests = max(figures["requests"], 1)
    return {**figures, "per_s": round(figures["requests"] / figures["seconds"], 1),
            # Cores busy, and CPU per request: the second is what a change to the code moves, however
            # busy the shared machine is.
            "cores": {name: round(cpu / spent["wall"], 2) for name, cpu in spent["cpu"].items()},
            "cpu_ms": {name: round(cpu * 1000 / requests, 2) for name, cpu in spent["cpu"].items()},
            "sessions_per_request": round(spent["sessions_opened"] / requests, 3),
            "transactions_per_request": round(spent["transactions"] / requests, 2)}


def summarize(rounds: list[dict]) -> dict:
    """[median, min, max] over the rounds of one level for the figures of the load; medians for the rest."""
    def spread(key: str) -> list[float]:
        values = [r[key] for r in rounds]
        return [round(statistics.median(values), 2), min(values), max(values)]

    def medians(key: str) -> dict[str, float]:
        return {name: round(statistics.median(r[key][name] for r in rounds), 2) for name in rounds[0][key]}

    return {"per_s": spread("per_s"), "p50_ms": spread("p50_ms"), "p95_ms": spread("p95_ms"),
            "p99_ms": spread("p99_ms"), "failed": sum(r["failed"] for r in rounds),
            "requests": sum(r["requests"] for r in rounds), "cores": medians("cores"), "cpu_ms": medians("cpu_ms"),
            "sessions_per_request": max(r["sessions_per_request"] for r in rounds),
            "transactions_per_request": round(statistics.median(r["transactions_per_request"] for r in rounds), 2)}


def report(result: dict) -> str:
    """One line per level: the load's figures as median [min-max] over the rounds, then where the CPU went."""
    def spread(values: list[float]) -> str:
        return f"{values[0]:g} [{values[1]:g}-{values[2]:g}]"

    def by_process(figures: dict[str, float]) -> str:
        return " ".join(f"{name} {value:g}" for name, value in figures.items())

    lines = [f"360 view through the gateway: {result['customers_sampled']} customers sampled, "
             f"{result['rounds']} rounds of {result['seconds_per_round']:g} s per level, load from "
             f"{result['load_generator']}"]
    for level, f in result["levels"].items():
        lines.append(
            f"  {level:>10}: {spread(f['per_s'])} requests/s, p50 {spread(f['p50_ms'])} ms, "
            f"p95 {spread(f['p95_ms'])} ms, p99 {spread(f['p99_ms'])} ms, {f['failed']} of {f['requests']} failed\n"
            f"{'':14}CPU ms per request: {by_process(f['cpu_ms'])}; cores busy: {by_process(f['cores'])}; "
            f"PostgreSQL sessions opened per request {f['sessions_per_request']:g}, "
            f"transactions per request {f['transactions_per_request']:g}")
    return "\n".join(lines)


def run(settings: Settings, levels=LEVELS, seconds: float = SECONDS, rounds: int = ROUNDS) -> dict:
    # The indexes and other migrations of this checkout, on a database an older import left behind.
    for spec in SERVICES:
        migrate_service(settings if spec is SPEC else spec.settings(db_url=settings.db_url), spec)
    customers = sample_customers(settings)
    if not customers:
        raise RuntimeError(f"no customers in {settings.database_name}: run the import benchmark first")
    generator = "wrk" if shutil.which("wrk") else "python threads (wrk is not installed: apt-get install wrk)"
    if not shutil.which("wrk"):
        print(f"view bench: {generator}; the load generator takes a large share of the CPU", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="view-bench-") as tmp:
        paths = Path(tmp) / "paths.txt"
        paths.write_text("".join(f"/api/v1/customers/{no}\n" for no in customers))
        with running_suite(settings, Path(tmp)) as suite:
            # Warm the pools, the plan caches and the sample's pages before anything is measured.
            one_level(settings, suite, paths, max(levels), min(seconds, 5.0), seed=0)
            results: dict[int, list[dict]] = {clients: [] for clients in levels}
            for n in range(rounds):
                for clients in levels:
                    results[clients].append(one_level(settings, suite, paths, clients, seconds, seed=n + 1))
    return {"customers_sampled": len(customers), "load_generator": generator, "seconds_per_round": seconds,
            "rounds": rounds, "levels": {f"{clients} clients": summarize(r) for clients, r in results.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    args = parser.parse_args()
    levels = tuple(int(n) for n in args.levels.split(","))
    result = run(bench_settings(), levels, args.seconds, args.rounds)
    print(json.dumps(result))
    print(report(result))


if __name__ == "__main__":
    main()
