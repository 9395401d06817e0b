"""The customer service as the platform sees it: its name and what it brings (registered in
services/registry.py)."""
from __future__ import annotations

from pathlib import Path

from services.common.service import ServiceSpec

from .settings import CustomerSettings

NAME = "customer"
LOAD_SCHEMA = f"{NAME}_load"

SPEC = ServiceSpec(
    name=NAME,
    settings=CustomerSettings,
    migrations=Path(__file__).with_name("migrations"),
    grpc="services.customer.grpc_server:register",
    workers=("services.customer.worker:CustomerWorker",),
    extensions=("pg_trgm",),  # trigram indexes for search by name and address
    schemas=(LOAD_SCHEMA,),  # the first legacy load's copies of the golden tables (importer/first_load.py)
    setup="services.customer.setup:setup",
    subscriptions="services.customer.subscriptions:SUBSCRIPTIONS",
)
