"""Typed settings from the environment, with defaults that work on a developer machine.

Production mode refuses the development secrets so a forgotten variable stops start-up instead of
running with a password everyone knows.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit, urlunsplit, quote

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SERVICE_PASSWORD = "bss-dev"
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"
# HS256 keys shorter than the hash output (RFC 7518 3.2) can be guessed offline from any one token.
MIN_JWT_SECRET_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BSS_", extra="ignore")

    mode: Literal["development", "demo", "production"] = "development"
    # An account allowed to create the database, roles and schemas (provisioning and migrations).
    db_url: str = "postgresql://postgres@127.0.0.1:5432/bss"
    # Each service connects as its own role; the password is shared by the service roles here.
    db_service_password: str = DEV_SERVICE_PASSWORD
    db_pool_max: int = 10
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    # The legacy systems live in databases of their own, as a real operator's do on other servers.
    legacy_cms_url: str = "postgresql://postgres@127.0.0.1:5432/legacy_cms"
    legacy_sms_url: str = "postgresql://postgres@127.0.0.1:5432/legacy_sms"
    customer_grpc: str = "127.0.0.1:50051"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    jwt_secret: str = DEV_JWT_SECRET
    jwt_ttl_minutes: int = 480
    demo_households: int = 3000
    legacy_sync_seconds: float = 10.0
    log_level: str = "INFO"
    # The gateway's API docs: None serves them except in production, where BSS_DOCS=on turns them on.
    docs: bool | None = None

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> "Settings":
        if self.mode == "production":
            refuse_weak_jwt_secret(self.jwt_secret)
            if self.db_service_password == DEV_SERVICE_PASSWORD:
                raise ValueError("BSS_DB_SERVICE_PASSWORD must be set in production mode")
        return self

    @property
    def demo(self) -> bool:
        return self.mode in ("development", "demo")

    def service_db_url(self, service: str) -> str:
        """The URL a service connects with: same server and database, the service's own role."""
        parts = urlsplit(self.db_url)
        host = parts.hostname or "127.0.0.1"
        netloc = f"{service_role(service)}:{quote(self.db_service_password)}@{host}"
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    @property
    def database_name(self) -> str:
        return urlsplit(self.db_url).path.lstrip("/") or "bss"


def refuse_weak_jwt_secret(secret: str) -> None:
    """Production's check of the token signing key: not the development one, and long enough."""
    if secret == DEV_JWT_SECRET:
        raise ValueError("BSS_JWT_SECRET must be set in production mode")
    if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        raise ValueError(f"BSS_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes in production mode")


def service_role(service: str) -> str:
    return f"bss_{service}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
