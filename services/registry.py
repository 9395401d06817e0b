"""Every service of the suite. Adding one here is what makes `make run`, the migrate job
(`python -m deploy.suite setup`) and the generic entry points (`python -m services.common.grpc_main
<name>`, `... worker <name>`, `... relay <name>`) know it; see README, "Adding a service"."""
from __future__ import annotations

from services.common.service import ServiceSpec
from services.billing.service import SPEC as BILLING
from services.customer.service import SPEC as CUSTOMER
from services.dispatch.service import SPEC as DISPATCH

SERVICES: tuple[ServiceSpec, ...] = (CUSTOMER, BILLING, DISPATCH)


def service_spec(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"no service named {name!r}; registered: {', '.join(s.name for s in SERVICES)}")
