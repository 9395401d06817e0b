"""Set up and run the whole suite on one machine: what `make run` does.

    python -m deploy.suite check      are PostgreSQL and RabbitMQ reachable?
    python -m deploy.suite setup      migrations, demo legacy data (first start only), legacy import
    python -m deploy.suite run        setup, then every service process and the gateway in the foreground
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pika
import psycopg2

from services.common.provision import server_url
from services.common.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent

# name -> command; each runs in its own process (grpcio and eventlet never share one).
PROCESSES = {
    "customer-grpc": [sys.executable, "-m", "services.customer.grpc_server"],
    "customer-worker": [sys.executable, "-m", "services.common.worker", "services.customer.worker:CustomerWorker"],
    "customer-relay": [sys.executable, "-m", "services.common.relay", "customer"],
    "gateway": [sys.executable, "-m", "gateway.app.main"],
}


def check(settings: Settings) -> list[str]:
    """What is unreachable, in words an operator can act on."""
    problems = []
    try:
        psycopg2.connect(server_url(settings.db_url), connect_timeout=3).close()
    except psycopg2.Error as exc:
        problems.append(f"PostgreSQL is not reachable at {server_url(settings.db_url)} (BSS_DB_URL): "
                        f"{str(exc).strip().splitlines()[0]}")
    try:
        params = pika.URLParameters(settings.amqp_uri)
        params.connection_attempts, params.socket_timeout = 1, 3
        pika.BlockingConnection(params).close()
    except Exception as exc:  # noqa: BLE001 - pika raises many unrelated types for "not there"
        problems.append(f"RabbitMQ is not reachable at {settings.amqp_uri} (BSS_AMQP_URI): "
                        f"{type(exc).__name__} {exc}".strip())
    return problems


def setup(settings: Settings) -> None:
    from services.common.migrate import migrate
    from services.customer.importer.bulk import bulk_import_done, run_bulk_import
    from services.customer.importer.sync import run_sync
    from services.legacy_sim.generate import generate, has_data
    from services.legacy_sim.schema import create_schemas

    # The gateway migrates its own schema and creates the demo users when it starts.
    migrate(settings, "customer", ROOT / "services/customer/migrations")
    if settings.demo:
        create_schemas(settings)
        if not has_data(settings):
            print(f"suite: filling the simulated legacy systems with {settings.demo_households} households",
                  flush=True)
            print(f"suite: {generate(settings, settings.demo_households)}", flush=True)
    # The first start reads both legacy systems whole; later starts only catch up on their changes.
    if bulk_import_done(settings):
        print(f"suite: legacy changes since the last start {run_sync(settings)}", flush=True)
    else:
        print(f"suite: legacy bulk import {run_bulk_import(settings)}", flush=True)


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the child if the suite itself dies without cleaning up (kill -9)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _pump(name: str, stream) -> None:
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"{name:16} | {line.decode('utf-8', 'replace')}")
        sys.stdout.flush()


def run(settings: Settings) -> int:
    setup(settings)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs: dict[str, subprocess.Popen] = {}
    for name, cmd in PROCESSES.items():
        procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       start_new_session=True, preexec_fn=_die_with_parent)
        threading.Thread(target=_pump, args=(name, procs[name].stdout), daemon=True).start()
    print(f"suite: gateway on http://{settings.gateway_host}:{settings.gateway_port}/ "
          f"(API docs at /docs); Ctrl-C stops everything", flush=True)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    exit_code = 0
    while not stopping.is_set():
        dead = [n for n, p in procs.items() if p.poll() is not None]
        if dead:
            print(f"suite: {', '.join(dead)} stopped unexpectedly; stopping the rest", flush=True)
            exit_code = 1
            break
        stopping.wait(0.5)
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for p in procs.values():
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
    print("suite: stopped", flush=True)
    return exit_code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "run"
    if command not in ("check", "setup", "run"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        settings = get_settings()
    except ValueError as exc:
        print(f"suite: invalid settings: {exc}", file=sys.stderr)
        return 2
    problems = check(settings)
    if problems:
        for p in problems:
            print(f"suite: {p}", file=sys.stderr)
        print("suite: start them (see README, 'Requirements') or point the BSS_* variables at them", file=sys.stderr)
        return 1
    if command == "check":
        print("suite: PostgreSQL and RabbitMQ are reachable")
        return 0
    if command == "setup":
        setup(settings)
        return 0
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
