"""A batch job run from a nameko worker's timer as a child process (a legacy sync, a copy over gRPC):
it has processes and threads of its own, never meets eventlet's patched standard library, and a crash in
it cannot take the worker down. The job prints its counts as JSON on its last line."""
from __future__ import annotations

import json
import logging

from eventlet.green import subprocess

log = logging.getLogger(__name__)


def run_child(command: list[str], timeout_s: float, what: str) -> dict | None:
    """The job's counts, or None when it failed (logged with the end of its stderr)."""
    done = subprocess.run(command, capture_output=True, timeout=timeout_s)
    if done.returncode != 0:
        log.error(f"{what} failed", extra={"exitCode": done.returncode,
                                           "stderr": done.stderr.decode("utf-8", "replace")[-2000:]})
        return None
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    return json.loads(lines[-1]) if lines else {}
