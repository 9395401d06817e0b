"""The gateway's own settings: where it listens, how it signs tokens, and where its peers are.

A peer's address is the variable its service listens on (`BSS_<SERVICE>_GRPC`), so one value serves
both sides."""
from __future__ import annotations

from pydantic import Field, model_validator

from services.common.settings import Settings, get_settings

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"
# HS256 keys shorter than the hash output (RFC 7518 3.2) can be guessed offline from any one token.
MIN_JWT_SECRET_BYTES = 32
MIN_RETENTION_DAYS = 180


class GatewaySettings(Settings):
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    jwt_secret: str = DEV_JWT_SECRET
    jwt_ttl_minutes: int = 480
    # Peers (gateway/app/grpc_clients.py PEERS).
    customer_grpc: str = "127.0.0.1:50051"
    billing_grpc: str = "127.0.0.1:50052"
    dispatch_grpc: str = "127.0.0.1:50053"
    # The API docs: None serves them except in production, where BSS_DOCS=on turns them on.
    docs: bool | None = None
    # Days the personal data access log and the sign-in trail are kept (retention.py); at least the six
    # months the Cybersecurity Law (art. 21) asks of network logs.
    access_log_retention_days: int = Field(1095, ge=MIN_RETENTION_DAYS)
    auth_event_retention_days: int = Field(365, ge=MIN_RETENTION_DAYS)

    @model_validator(mode="after")
    def _refuse_weak_jwt_secret_in_production(self) -> "GatewaySettings":
        if self.mode == "production":
            refuse_weak_jwt_secret(self.jwt_secret)
        return self


def refuse_weak_jwt_secret(secret: str) -> None:
    """Production's check of the token signing key: not the development one, and long enough."""
    if secret == DEV_JWT_SECRET:
        raise ValueError("BSS_JWT_SECRET must be set in production mode")
    if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        raise ValueError(f"BSS_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes in production mode")


def retention_days(settings: GatewaySettings) -> dict[str, int]:
    return {"pi_access": settings.access_log_retention_days, "auth_event": settings.auth_event_retention_days}


def gateway_settings() -> GatewaySettings:
    return get_settings(GatewaySettings)
