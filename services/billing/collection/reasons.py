"""One vocabulary for why a debit failed, whatever bank or format said it.

Each bank's own return codes map to it in the bank's layout file (banks/<code>.toml); the ISO 20022
external status and return reason codes map to it here. Collection decides from a reason alone
whether to try again in the next window and whether the mandate must be renewed at a counter.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    retryable: bool
    # The mandate cannot work again until a counter renews it (the "stop and flag").
    flags_mandate: bool
    label: str


_ALL = (
    Reason("insufficient_funds", True, False, "余额不足 insufficient funds"),
    # A freeze is often lifted (a court order ends, a lost card is found); the retry count caps it.
    Reason("account_frozen", True, False, "账户冻结 account frozen or blocked"),
    Reason("bank_error", True, False, "银行系统原因 technical failure at the bank"),
    Reason("account_closed", False, True, "账户已销户 account closed"),
    Reason("mandate_invalid", False, True, "代扣协议无效 no valid mandate"),
    Reason("holder_mismatch", False, True, "户名不符 holder name does not match"),
    Reason("invalid_account", False, True, "账号错误 account number does not exist"),
    # Chinese banks cap a single debit per account; the holder must raise the limit first.
    Reason("amount_limit_exceeded", False, True, "超过限额 amount above the account's limit"),
    Reason("debtor_refused", False, True, "客户拒付 refused by the holder"),
    # An unknown code: a person looks before the debit is sent again.
    Reason("other", False, False, "其他 other reason"),
)

REASONS: dict[str, Reason] = {r.code: r for r in _ALL}

# ISO 20022 ExternalStatusReason1Code / ExternalReturnReason1Code (both lists share these codes).
ISO_REASONS: dict[str, str] = {
    "AM04": "insufficient_funds",
    "AM02": "amount_limit_exceeded",
    "AM14": "amount_limit_exceeded",
    "AC04": "account_closed",
    "AC06": "account_frozen",
    "AG01": "mandate_invalid",
    "MD01": "mandate_invalid",
    "MD02": "mandate_invalid",
    "MD07": "account_closed",  # end customer deceased: the account will not be debited again
    "SL01": "mandate_invalid",
    "AC01": "invalid_account",
    "AC03": "invalid_account",
    "AC13": "invalid_account",
    "BE01": "holder_mismatch",
    "BE05": "holder_mismatch",
    "MS02": "debtor_refused",
    "MD06": "debtor_refused",
    "MS03": "bank_error",
    "AM05": "bank_error",
    "TM01": "bank_error",
    "ED05": "bank_error",
    "FF01": "bank_error",
    "NARR": "other",
}


def reason(code: str) -> Reason:
    """The vocabulary entry; KeyError for a word that is not in it."""
    return REASONS[code]


def iso_reason(iso_code: str | None) -> str:
    """Our word for an ISO 20022 reason code; an unknown or missing code is 'other'."""
    return ISO_REASONS.get((iso_code or "").strip().upper(), "other")
