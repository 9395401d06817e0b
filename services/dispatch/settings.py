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


def dispatch_settings() -> DispatchSettings:
    return get_settings(DispatchSettings)
