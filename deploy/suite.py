"""Set up and run the whole suite on one machine: what `make run` does.

    python -m deploy.suite check      are PostgreSQL and RabbitMQ reachable?
    python -m deploy.suite setup      migrations, demo legacy data (first start only), legacy import
    python -m deploy.suite demo       once every gRPC server answers: the services' demo data (demo mode)
    python -m deploy.suite run        setup, then every service process and the gateway in the foreground,
                                      and the demo data once they answer
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

import psycopg2

from gateway.app.settings import GatewaySettings, gateway_settings
from deploy.grpc_health_probe import probe
from services.common.broker import broker_problem
from services.common.migrate import migrate_service
from services.common.provision import server_url
from services.common.service import ServiceSpec, load
from services.common.settings import Settings, get_settings
from services.registry import SERVICES

ROOT = Path(__file__).resolve().parent.parent


def processes(specs: tuple[ServiceSpec, ...]) -> dict[str, list[str]]:
    """name -> command of every process the services need, and the gateway; each runs in its own
    process (grpcio and eventlet never share one)."""
    procs: dict[str, list[str]] = {}
    for spec in specs:
        if spec.grpc:
            procs[f"{spec.name}-grpc"] = [sys.executable, "-m", "services.common.grpc_main", spec.name]
        if spec.workers:
            procs[f"{spec.name}-worker"] = [sys.executable, "-m", "services.common.worker", spec.name]
        if spec.publishes:
            procs[f"{spec.name}-relay"] = [sys.executable, "-m", "services.common.relay", spec.name]
    procs["gateway"] = [sys.executable, "-m", "gateway.app.main"]
    return procs


PROCESSES = processes(SERVICES)


def check(settings: Settings) -> list[str]:
    """What is unreachable, in words an operator can act on."""
    problems = []
    try:
        psycopg2.connect(server_url(settings.db_url), connect_timeout=3).close()
    except psycopg2.Error as exc:
        problems.append(f"PostgreSQL is not reachable at {server_url(settings.db_url)} (BSS_DB_URL): "
                        f"{str(exc).strip().splitlines()[0]}")
    problem = broker_problem(settings.amqp_uri)
    if problem:
        problems.append(f"RabbitMQ is not reachable at {settings.amqp_uri} (BSS_AMQP_URI): {problem}")
    return problems


def read_settings() -> GatewaySettings:
    """Every service's settings, read now so a bad value stops the suite before anything starts; the
    gateway's are returned for what the suite itself needs (the shared ones and where the gateway is)."""
    for spec in SERVICES:
        get_settings(spec.settings)
    return gateway_settings()


def setup() -> None:
    """Each service's provisioning and migrations, then its own start-up work, in registry order.
    The gateway migrates its own schema and creates the demo users when it starts."""
    for spec in SERVICES:
        settings = get_settings(spec.settings)
        migrate_service(settings, spec)
        if spec.setup:
            load(spec.setup)(settings)


DEMO = [sys.executable, "-m", "deploy.suite", "demo"]
SERVERS_TIMEOUT_S = 300


def demo() -> int:
    """Each service's demo data that needs the running suite, in registry order, once every gRPC server
    answers; nothing outside development and demo mode."""
    if not get_settings(Settings).demo:
        return 0
    deadline = time.monotonic() + SERVERS_TIMEOUT_S
    for spec in SERVICES:
        if spec.grpc:
            address = spec.grpc_address(get_settings(spec.settings)).replace("0.0.0.0", "127.0.0.1")
            while not probe(address):
                if time.monotonic() > deadline:
                    print(f"suite: {spec.name} did not answer at {address}; no demo data", flush=True)
                    return 1
                time.sleep(1)
    for spec in SERVICES:
        if spec.demo:
            load(spec.demo)(get_settings(spec.settings))
    return 0


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the child if the suite itself dies without cleaning up (kill -9)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _pump(name: str, stream) -> None:
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"{name:16} | {line.decode('utf-8', 'replace')}")
        sys.stdout.flush()


def run(settings: GatewaySettings) -> int:
    setup()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs: dict[str, subprocess.Popen] = {}
    for name, cmd in PROCESSES.items():
        procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       start_new_session=True, preexec_fn=_die_with_parent)
        threading.Thread(target=_pump, args=(name, procs[name].stdout), daemon=True).start()
    # One-shot: its end is no reason to stop the rest (and a failure is only reported).
    demo_data = subprocess.Popen(DEMO, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 start_new_session=True, preexec_fn=_die_with_parent)
    threading.Thread(target=_pump, args=("demo", demo_data.stdout), daemon=True).start()
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
    for p in (*procs.values(), demo_data):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for p in (*procs.values(), demo_data):
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
    print("suite: stopped", flush=True)
    return exit_code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "run"
    if command not in ("check", "setup", "demo", "run"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        settings = read_settings()
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
        setup()
        return 0
    if command == "demo":
        return demo()
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
