"""Nameko worker bootstrap: `python -m services.common.worker <service>` runs a registered service's
worker classes (services/registry.py); `python -m services.common.worker package.module:ServiceClass [...]`
runs the classes named.

Eventlet must patch the standard library before anything else is imported, which is why workers
start through this module and never share a process with a grpcio server.
"""
import warnings

warnings.filterwarnings("ignore", message=".*Eventlet is deprecated.*")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from services.registry import service_spec  # noqa: E402

from . import metrics  # noqa: E402
from .logs import setup_logging  # noqa: E402
from .service import load  # noqa: E402
from .settings import get_settings  # noqa: E402

log = logging.getLogger(__name__)


def nameko_config() -> dict:
    return {"AMQP_URI": get_settings().amqp_uri, "max_workers": 4, "serializer": "json"}


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.exit("usage: python -m services.common.worker <service> | module:ServiceClass [...]")
    classes = [load(p) for p in worker_paths(argv)]
    settings = get_settings()
    setup_logging("-".join(c.name for c in classes) + "-worker", settings.log_level)
    metrics.serve(settings.metrics_port)
    runner = ServiceRunner(nameko_config())
    for cls in classes:
        runner.add_service(cls)
    stop = eventlet.event.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.ready() or stop.send(True))
    runner.start()
    log.info("nameko worker started", extra={"services": [c.name for c in classes]})
    stop.wait()
    runner.stop()


def worker_paths(argv: list[str]) -> list[str]:
    """The classes to run: those named, or a registered service's own when given its name."""
    if len(argv) == 1 and ":" not in argv[0]:
        return list(service_spec(argv[0]).workers)
    return argv


if __name__ == "__main__":
    main()
