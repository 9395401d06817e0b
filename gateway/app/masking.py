"""Personal data shown masked to the roles that do not need it in full. The whole policy is MASKED_FOR."""
from __future__ import annotations

from typing import Callable


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    """Keep the ends, star the middle; a value too short to keep anything is starred entirely."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]


def mask_id_no(value: str) -> str:
    # The region code (first 6) and the last 4 are what a clerk reads back to confirm a caller.
    return mask_middle(value, 6, 4)


def mask_phone(value: str) -> str:
    return mask_middle(value, 3, 4)


def mask_bank_account(value: str) -> str:
    # The first six digits name the bank and card (its BIN), the last four are what a caller confirms.
    return mask_middle(value, 6, 4)


MASKERS: dict[str, Callable[[str], str]] = {"id_no": mask_id_no, "phone": mask_phone,
                                             "bank_account_no": mask_bank_account}

# field -> the roles that see it masked; every other role sees it in full. Technicians keep the phone
# because they call the customer to arrange a visit.
MASKED_FOR: dict[str, frozenset[str]] = {
    "id_no": frozenset({"agent", "technician", "bank"}),
    "phone": frozenset({"bank"}),
    # A bank account is sensitive personal information (PIPL art. 28): in full for the counter, which takes
    # the signed mandate, and for supervisors and admins who work the banks' exceptions; a call-center
    # agent confirms its last four digits.
    "bank_account_no": frozenset({"agent", "technician", "bank"}),
}


def mask(field: str, value: str, role: str) -> str:
    if value and role in MASKED_FOR[field]:
        return MASKERS[field](value)
    return value
