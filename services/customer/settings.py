"""The customer service's own settings: where the legacy systems are, how often to follow them, where
its gRPC server listens, and how much demo data to generate."""
from __future__ import annotations

from services.common.settings import Settings, get_settings


class CustomerSettings(Settings):
    # The legacy systems live in databases of their own, as a real operator's do on other servers.
    legacy_cms_url: str = "postgresql://postgres@127.0.0.1:5432/legacy_cms"
    legacy_sms_url: str = "postgresql://postgres@127.0.0.1:5432/legacy_sms"
    # Where this service's gRPC server listens; the gateway finds it through the same variable.
    customer_grpc: str = "127.0.0.1:50051"
    demo_households: int = 3000
    legacy_sync_seconds: float = 10.0
    # The SMS package an analog home converted by a campaign gets (a clerk's order names its own).
    conversion_product: str = "BASIC"


def customer_settings() -> CustomerSettings:
    return get_settings(CustomerSettings)
