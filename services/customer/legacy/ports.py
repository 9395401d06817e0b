"""What the customer service needs from the legacy systems that control the network.

The adapters in this package implement these against the real legacy databases; the handlers only
see this interface.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class WriteBackResult:
    ok: bool
    detail: str          # what the legacy system answered, e.g. "czrz 1234: TJ accepted"
    legacy_ref: str = ""  # for an entitlement: the new entitlement id
    # The changed row's own change time on the legacy system's clock (its version): the sync applies
    # only legacy states at least this new.
    legacy_changed_at: datetime | None = None


class CmsNetwork(Protocol):
    def set_line_status(self, user_no: str, action: str, operator: str) -> WriteBackResult:
        """action: suspend | restore | disconnect an analog line."""


class SmsNetwork(Protocol):
    def set_entitlement_status(self, entitlement_id: str, action: str, operator: str) -> WriteBackResult:
        """action: suspend | restore | disconnect (de-entitle) a product on a smart card."""

    def product(self, product_code: str) -> dict | None:
        """The SMS catalogue entry {"name", "kind" (the service kind it gives), "price_minor"} of a
        product, or None if unknown."""

    def entitle(self, card_no: str, product_code: str, operator: str) -> WriteBackResult:
        """Add a product to a smart card; legacy_ref of the result is the new entitlement id."""
