"""The token answer keeps OAuth2's snake_case names (RFC 6749 5.1), which every OAuth2 client expects."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ..auth import Role


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    role: Role
