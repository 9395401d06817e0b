"""Production refuses signing keys that can be guessed: the development one and any short one."""
import pytest
from pydantic import ValidationError

from gateway.app.settings import DEV_JWT_SECRET, MIN_JWT_SECRET_BYTES, GatewaySettings as Settings, refuse_weak_jwt_secret

STRONG = "k" * MIN_JWT_SECRET_BYTES


@pytest.mark.parametrize("secret", [DEV_JWT_SECRET, "short", "k" * (MIN_JWT_SECRET_BYTES - 1), "密" * 10])
def test_production_refuses_weak_jwt_secrets(secret):
    with pytest.raises(ValueError, match="BSS_JWT_SECRET"):
        refuse_weak_jwt_secret(secret)
    with pytest.raises(ValidationError, match="BSS_JWT_SECRET"):
        Settings(mode="production", jwt_secret=secret, db_service_password="set")


def test_production_accepts_a_long_secret_counted_in_bytes():
    assert Settings(mode="production", jwt_secret=STRONG, db_service_password="set").jwt_secret == STRONG
    assert Settings(mode="production", jwt_secret="密" * 11, db_service_password="set")  # 33 bytes


def test_development_keeps_its_short_demo_secrets():
    assert Settings(mode="development", jwt_secret="short").jwt_secret == "short"
