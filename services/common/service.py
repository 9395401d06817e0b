"""What a service declares so the platform can provision, migrate and run it (`services/registry.py`
lists every one). The platform does the rest the same way for all of them: its role and schema, the
shared and its own migrations, a gRPC server with health and reflection, a nameko worker, an outbox relay.

A spec is imported by every kind of process (grpcio servers, eventlet workers, the suite), so it names
its code as `module:attribute` paths and never imports it: a worker never loads grpcio, a gRPC server
never loads eventlet.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .settings import Settings


def load(path: str) -> Any:
    """The object a `package.module:attribute` path names."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class ServiceSpec:
    # The one name of the service: its schema, its role (bss_<name>), its outbox source and exchange
    # (<name>.events), its processes (<name>-grpc, ...) and its settings variable BSS_<NAME>_GRPC.
    name: str
    settings: type[Settings]
    migrations: Path
    # `register(server, settings, db) -> [full gRPC service names]`: adds its servicers to the server.
    grpc: str | None = None
    # nameko service classes run together in the service's worker process.
    workers: tuple[str, ...] = ()
    # PostgreSQL extensions its migrations need, created at provisioning (they need the admin account).
    extensions: tuple[str, ...] = ()
    # Schemas its role owns besides its own, for tables a bulk job fills apart from the service's and then
    # swaps in (the customer service's first legacy load): only the administrative account creates schemas.
    schemas: tuple[str, ...] = ()
    # `setup(settings)`: once-per-start work after the migrations (e.g. a first import); the migrate job
    # and `make run` run it, the service's own processes never do.
    setup: str | None = None
    # `demo(settings)`: demo data that needs the running suite (other services asked over gRPC, e.g. a copy
    # built from the customer service's export), run in development and demo mode once every gRPC server
    # answers, by `make run` and compose's `demo` job; it must be idempotent (it runs at every start).
    demo: str | None = None
    # Whether it publishes events (writes its outbox), so it needs a relay.
    publishes: bool = True
    # `module:attribute` of the tuple of Subscriptions it consumes: their queues are declared when it is
    # provisioned, before its worker first runs.
    subscriptions: str | None = None

    def grpc_address(self, settings: Settings) -> str:
        """Where its gRPC server listens, from its settings' `<name>_grpc` field."""
        return getattr(settings, f"{self.name}_grpc")
