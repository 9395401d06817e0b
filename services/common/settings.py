"""Typed settings from the environment, with defaults that work on a developer machine.

This class holds only what every process shares (the database, the broker, the mode, logs). Each
service adds its own settings in its own class (`services/<name>/settings.py`, the gateway's in
`gateway/app/settings.py`), subclassing this one, so a service reads only the variables it uses.

Production mode refuses the development secrets so a forgotten variable stops start-up instead of
running with a password everyone knows.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit, quote

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SERVICE_PASSWORD = "bss-dev"


class Settings(BaseSettings):
    # Other services' variables in the environment are not read; a keyword this class lacks is an error.
    model_config = SettingsConfigDict(env_prefix="BSS_", extra="forbid")

    mode: Literal["development", "demo", "production"] = "development"
    # An account allowed to create the database, roles and schemas (provisioning and migrations).
    db_url: str = "postgresql://postgres@127.0.0.1:5432/bss"
    # Each service connects as its own role; the password is shared by the service roles here.
    db_service_password: str = DEV_SERVICE_PASSWORD
    db_pool_max: int = 10
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    log_level: str = "INFO"
    # Where the process serves its metrics for Prometheus (services/common/metrics.py); 0: nowhere.
    metrics_port: int = 0

    @model_validator(mode="after")
    def _refuse_dev_service_password_in_production(self) -> "Settings":
        if self.mode == "production" and self.db_service_password == DEV_SERVICE_PASSWORD:
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


def service_role(service: str) -> str:
    return f"bss_{service}"


S = TypeVar("S", bound=Settings)


@lru_cache(maxsize=None)
def get_settings(cls: type[S] = Settings) -> S:
    """The process's settings of one class, read from the environment once."""
    return cls()
