"""Staff accounts as the API shows and takes them. A password is taken, never shown."""
from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from services.common.inputrules import NAME_MAX

from ..auth import Role
from ..keys import Username
from ..staff_rules import PASSWORD_MAX
from .base import ApiModel, InputModel, Page

class StaffPublic(ApiModel):
    username: str
    display_name: str | None
    role: Role
    scope: str | None  # a bank's code (bank), a station's (technician, dispatcher)
    active: bool
    demo: bool
    # Set by an admin for one sign-in: the person must choose their own (POST /auth/password) first.
    password_expired: bool
    last_sign_in_at: datetime | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str

    @classmethod
    def from_row(cls, row: dict) -> "StaffPublic":
        return cls(**row)


class StaffPage(Page[StaffPublic]):
    pass


class WithPassword(ApiModel):
    # As InputModel, but a password is taken as typed: a space at either end is part of it.
    model_config = ConfigDict(extra="forbid")


class StaffCreate(WithPassword):
    username: Username
    role: Role
    scope: str | None = Field(None, max_length=16, description="ICBC for a bank, ST01 for a station's staff")
    display_name: str | None = Field(None, max_length=NAME_MAX)
    # The policy (length, the user name, common passwords) answers 422 weak-password with its reason; the
    # schema only bounds what is read.
    password: str = Field(min_length=1, max_length=PASSWORD_MAX,
                          description="for one sign-in: the person chooses their own before anything else")


class StaffChange(InputModel):
    role: Role | None = None
    scope: str | None = Field(None, max_length=16)
    display_name: str | None = Field(None, max_length=NAME_MAX)
    active: bool | None = None


class PasswordSet(WithPassword):
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class PasswordChoice(WithPassword):
    username: Username
    password: str = Field(min_length=1, max_length=PASSWORD_MAX, description="the current one")
    new_password: str = Field(min_length=1, max_length=PASSWORD_MAX)
