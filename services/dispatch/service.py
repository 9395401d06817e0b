"""The dispatch service as the platform sees it (registered in services/registry.py)."""
from __future__ import annotations

from pathlib import Path

from services.common.service import ServiceSpec

from .settings import DispatchSettings

NAME = "dispatch"

SPEC = ServiceSpec(
    name=NAME,
    settings=DispatchSettings,
    migrations=Path(__file__).with_name("migrations"),
    grpc="services.dispatch.grpc_server:register",
    workers=("services.dispatch.worker:DispatchWorker",),
    subscriptions="services.dispatch.subscriptions:SUBSCRIPTIONS",
    demo="services.dispatch.demo:demo",
)
