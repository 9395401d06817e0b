"""Billing's demo data, once the suite answers (`python -m deploy.suite demo`): its copy of the demo
customers from the customer service's export; idempotent, so every start runs it."""
from __future__ import annotations

from . import customer_copy
from .settings import BillingSettings


def demo(settings: BillingSettings) -> None:
    print(f"billing: customer copy {customer_copy.run(settings, full=False)}", flush=True)
