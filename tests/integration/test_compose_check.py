"""Without a Docker engine, `make up` and `make compose-check` say so plainly and exit non-zero (the
check itself runs only by hand: it needs an engine, and `make test` must pass on a machine without one)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# An engine address where nothing answers: the same as no engine, whether or not docker is installed.
NO_ENGINE = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}


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
