"""One compose project of the suite under a name of its own: start it, wait for health, scale, look
inside, take it down. `make compose-check` drives it (deploy/compose_check.py).

Every compose command goes through deploy/compose, which picks `docker compose` or `docker-compose`
and says plainly when either is missing or no engine answers.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = str(ROOT / "deploy" / "compose")
COMPOSE_FILE = str(ROOT / "docker-compose.yml")
# deploy/compose's exit codes for "no compose installed" and "no engine answers".
UNAVAILABLE = {127, 69}


class ComposeUnavailable(Exception):
    """compose or the Docker engine is missing; the message says which."""


class CheckFailed(Exception):
    """What the check saw go wrong, in words an engineer can act on."""


def scalable_services(config: dict) -> list[str]:
    """The long-running processes built from the suite's image that publish no host port: each can
    run as several replicas (a published port can be bound only once)."""
    return sorted(name for name, svc in config["services"].items()
                  if "build" in svc and not svc.get("ports") and svc.get("restart") != "no")


def container_problem(c: dict) -> str | None:
    """Why a container (as `docker inspect` describes it) is not yet, or never will be, healthy; None
    when it is. A one-shot job is healthy once it has exited 0."""
    state = c["State"]
    one_shot = c["HostConfig"]["RestartPolicy"]["Name"] in ("", "no")
    if one_shot:
        if state["Status"] == "exited":
            return None if state["ExitCode"] == 0 else f"exited {state['ExitCode']}"
        return f"still {state['Status']}"
    if c["RestartCount"]:
        return f"restarted {c['RestartCount']} time(s)"
    if state["Status"] != "running":
        return state["Status"]
    health = state.get("Health", {}).get("Status")
    return None if health in (None, "healthy") else health


def is_fatal(problem: str) -> bool:
    return problem.startswith(("exited", "restarted"))


class ComposeProject:
    def __init__(self, name: str, env: dict[str, str]):
        self.name = name
        self.env = env

    def compose(self, *args: str, stdin: str | None = None, timeout: float = 120, check: bool = True,
                show: bool = False) -> str:
        """Run a compose command on this project; with show, its output goes to the terminal as it comes."""
        out = None if show else subprocess.PIPE
        done = subprocess.run([COMPOSE, "-p", self.name, "-f", COMPOSE_FILE, *args], cwd=ROOT, env=self.env,
                              input=stdin, stdout=out, stderr=out, text=True, timeout=timeout)
        if done.returncode in UNAVAILABLE:
            raise ComposeUnavailable((done.stderr or "").strip() or "compose or the Docker engine is missing")
        if check and done.returncode != 0:
            raise CheckFailed(f"compose {' '.join(args)} exited {done.returncode}: {(done.stderr or '')[-2000:]}")
        return done.stdout or ""

    def config(self) -> dict:
        return yaml.safe_load(self.compose("config"))

    def containers(self) -> list[dict]:
        ids = subprocess.run(["docker", "ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={self.name}"],
                             capture_output=True, text=True, check=True).stdout.split()
        if not ids:
            return []
        return json.loads(subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True,
                                         check=True).stdout)

    def wait_healthy(self, timeout: float) -> list[dict]:
        """Every container of the project healthy (health check passing, or running when it has none;
        one-shot jobs exited 0); fails at once when one has exited or restarted."""
        deadline = time.monotonic() + timeout
        while True:
            containers = self.containers()
            problems = {service_of(c) + " " + c["Name"].lstrip("/"): p
                        for c in containers if (p := container_problem(c)) is not None}
            if containers and not problems:
                return containers
            fatal = {k: p for k, p in problems.items() if is_fatal(p)}
            if fatal or time.monotonic() > deadline:
                shown = fatal or problems or {"(none)": "no containers"}
                raise CheckFailed("not healthy: " + "; ".join(f"{k}: {p}" for k, p in sorted(shown.items())))
            time.sleep(3)

    def published(self, service: str, port: int) -> str:
        """host:port where a service's container port is published."""
        return self.compose("port", service, str(port)).strip()

    def sql(self, database: str, statement: str, **params: str) -> str:
        """Run SQL in the project's PostgreSQL container as the administrator; params are psql
        variables (:'name' in the statement), so values are quoted by psql, never spliced in here."""
        variables = [arg for k, v in params.items() for arg in ("-v", f"{k}={v}")]
        return self.compose("exec", "-T", "postgres", "psql", "-U", "postgres", "-d", database, "-At",
                            "-v", "ON_ERROR_STOP=1", *variables, stdin=statement).strip()

    def logs(self, tail: int = 40) -> str:
        return self.compose("logs", "--no-color", f"--tail={tail}", check=False, timeout=60)

    def down(self) -> None:
        self.compose("down", "-v", "--remove-orphans", check=False, timeout=300, show=True)


def service_of(container: dict) -> str:
    return container["Config"]["Labels"].get("com.docker.compose.service", "?")
