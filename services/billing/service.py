"""The billing service as the platform sees it (registered in services/registry.py)."""
from __future__ import annotations

from pathlib import Path

from services.common.service import ServiceSpec

from .settings import BillingSettings

NAME = "billing"

SPEC = ServiceSpec(
    name=NAME,
    settings=BillingSettings,
    migrations=Path(__file__).with_name("migrations"),
    grpc="services.billing.grpc_server:register",
    workers=("services.billing.worker:BillingWorker",),
    subscriptions="services.billing.subscriptions:SUBSCRIPTIONS",
    demo="services.billing.demo:demo",
)
