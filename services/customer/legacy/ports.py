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
    legacy_ref: str = ""  # for an entitlement: the new entitlement id; for a new analog line: its user number
    legacy_key: str = ""  # for a legacy customer record created on the way: its key (an SMS subscriber id)
    # The changed row's own change time on the legacy system's clock (its version): the sync applies
    # only legacy states at least this new.
    legacy_changed_at: datetime | None = None


@dataclass(frozen=True)
class Person:
    """Who a new legacy record is for, as the legacy systems keep people."""
    name: str
    id_no: str | None
    phone: str | None
    address: str
    area_code: str


@dataclass(frozen=True)
class Equipment:
    """A set-top box and smart card a technician installed, and those removed (a swap)."""
    card: str | None
    stb: str | None
    stb_model: str | None = None
    removed_card: str | None = None
    removed_stb: str | None = None


class CmsNetwork(Protocol):
    def set_line_status(self, user_no: str, action: str, operator: str) -> WriteBackResult:
        """action: suspend | restore | disconnect an analog line."""

    def product(self, fee_type: str) -> dict | None:
        """A fee type as a product {"name", "kind": "analog_tv", "price_minor"}, or None if unknown."""

    def open_line(self, order_no: str, person: Person, fee_type: str, operator: str) -> WriteBackResult:
        """Open a new analog line; legacy_ref of the result is its user number. Opening it again for the
        same order answers the line it opened."""

    def move_line(self, user_no: str, address: str, area_code: str, operator: str) -> WriteBackResult:
        """The line's installation address and area after a relocation."""


class SmsNetwork(Protocol):
    def set_entitlement_status(self, entitlement_id: str, action: str, operator: str) -> WriteBackResult:
        """action: suspend | restore | disconnect (de-entitle) a product on a smart card."""

    def product(self, product_code: str) -> dict | None:
        """The SMS catalogue entry {"name", "kind" (the service kind it gives), "price_minor"} of a
        product, or None if unknown."""

    def entitle(self, card_no: str, product_code: str, operator: str) -> WriteBackResult:
        """Add a product to a smart card; legacy_ref of the result is the new entitlement id."""

    def install(self, subscriber_id: str | None, person: Person, equipment: Equipment, product_code: str,
                operator: str) -> WriteBackResult:
        """Register the card (and its paired box) to the subscriber, created from `person` when None, and
        entitle the card; legacy_ref is the entitlement id, legacy_key the subscriber id. Installing the
        same card again answers what the first time made."""

    def swap_equipment(self, entitlement_id: str, equipment: Equipment, operator: str) -> WriteBackResult:
        """Pair the new card and/or box in place of the removed ones; the card's entitlements move to the
        new card."""

    def move_subscriber(self, entitlement_id: str, address: str, area_code: str, operator: str) -> WriteBackResult:
        """The address and region of the subscriber holding this entitlement, after a relocation."""
