"""The dispatch service's own settings: where it listens, where the customer service is, and its clocks."""
from __future__ import annotations

from services.common.settings import Settings, get_settings


class DispatchSettings(Settings):
    # Where this service's gRPC server listens; the gateway finds it through the same variable.
    dispatch_grpc: str = "127.0.0.1:50053"
    # The customer service, asked about the customer and service of a fault call.
    customer_grpc: str = "127.0.0.1:50051"
    # The operator's time zone: slots, days and due times are the operator's.
    timezone: str = "Asia/Shanghai"
    # A conversion campaign answers when it is done or after this long, still running (within the
    # gateway's 5 s deadline); GET follows it.
    campaign_wait_seconds: float = 4.0
    # How often the SLA clock looks for orders about to breach or breached, and how long before its due
    # time a waiting order is escalated to the station's supervisor.
    sla_seconds: float = 60.0
    escalate_before_minutes: int = 120


def dispatch_settings() -> DispatchSettings:
    return get_settings(DispatchSettings)
