"""What every resource schema shares: camelCase on the wire, strict input, pages of (data, count)."""
from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class InputModel(ApiModel):
    # A misspelt field would otherwise be dropped silently and the change the clerk meant never made.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    data: list[T]
    count: int


class Money(ApiModel):
    amount_minor: int
    currency: str


def opt(value: str) -> str | None:
    """proto3 has no null: an empty string means absent."""
    return value or None
