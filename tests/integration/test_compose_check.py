"""`make up` runs compose whichever way the machine has it; without a Docker engine, `make up` and
`make compose-check` say so plainly and exit non-zero (the check itself runs only by hand: it needs an
engine, and `make test` must pass on a machine without one)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# An engine address where nothing answers: the same as no engine, whether or not docker is installed.
NO_ENGINE = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def fake(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize("plugin, expected", [(True, "docker compose up --build"), (False, "docker-compose up --build")])
def test_compose_wrapper_prefers_the_plugin_and_falls_back_to_docker_compose(tmp_path, plugin, expected):
    # Stand-ins that answer `docker info` and record how compose was called.
    compose_answer = 'echo "docker $*"' if plugin else "exit 1"
    fake(tmp_path, "docker", f'case "$1" in info) exit 0;; compose) {compose_answer};; esac\n')
    fake(tmp_path, "docker-compose", 'echo "docker-compose $*"\n')
    done = subprocess.run([str(ROOT / "deploy" / "compose"), "up", "--build"], capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{tmp_path}:/usr/bin:/bin"}, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == expected


def test_compose_wrapper_names_what_is_missing():
    done = subprocess.run([str(ROOT / "deploy" / "compose"), "ps"], env=NO_ENGINE, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode in (69, 127)
    assert "no Docker engine answers" in done.stderr or "is installed" in done.stderr


def test_compose_check_says_nothing_was_checked_without_an_engine():
    done = subprocess.run([sys.executable, "-m", "deploy.compose_check"], cwd=ROOT, env=NO_ENGINE,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "nothing was checked: it needs compose and a running Docker engine" in done.stdout
