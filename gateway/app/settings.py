"""The gateway's own settings: where it listens, how it signs tokens, and where its peers are.

A peer's address is the variable its service listens on (`BSS_<SERVICE>_GRPC`), so one value serves
both sides."""
from __future__ import annotations

from pydantic import model_validator

from services.common.settings import Settings, get_settings

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"


class GatewaySettings(Settings):
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    jwt_secret: str = DEV_JWT_SECRET
    jwt_ttl_minutes: int = 480
    # Peers (gateway/app/grpc_clients.py PEERS).
    customer_grpc: str = "127.0.0.1:50051"

    @model_validator(mode="after")
    def _refuse_dev_jwt_secret_in_production(self) -> "GatewaySettings":
        if self.mode == "production" and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("BSS_JWT_SECRET must be set in production mode")
        return self


def gateway_settings() -> GatewaySettings:
    return get_settings(GatewaySettings)
