"""What collection decides without I/O: a mandate's fields, what follows a failed debit, which states an
event may leave (for set-based updates), and a batch's success rate against the target."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.common.errors import InvalidArgument
from services.common.inputrules import NAME_MAX, REASON_MAX, prose, wording
from services.common.workcalendar import WorkingCalendar

from ..domain import retry, states
from .accounts import InvalidAccountNumber, validate_account_number
from .layouts import BankLayout, LayoutError, all_layouts, load_layout

SUCCESS_TARGET = 0.95
EXCEPTION_ACTIONS = ("apply-to-account", "refund", "ignore")
FILE_KINDS = ("result", "agency")


def bank(code: str) -> BankLayout:
    """The layout of a shipped bank by its code (any case); InvalidArgument naming the known ones."""
    try:
        return load_layout((code or "").strip().upper())
    except LayoutError:
        raise InvalidArgument(f"unknown bank {code!r}; one of {', '.join(all_layouts())}",
                              reason="unknown-bank") from None


def banks(codes: list[str]) -> list[str]:
    """The banks a run collects for: the ones asked (each known), or every shipped bank."""
    return sorted({bank(c).code for c in codes}) if codes else sorted(all_layouts())


def writable_name(layout: BankLayout, holder: str) -> None:
    """A name the bank's offer file can carry: in its encoding (GBK has no rare ideographs such as 䶮),
    and without its field delimiter. Refused at the counter, not when the batch is written: one line the
    file cannot hold would stop the whole bank's batch."""
    try:
        holder.encode(layout.encoding)
    except UnicodeEncodeError as e:
        raise InvalidArgument(f"holderName: {holder[e.start:e.end]!r} cannot be written in {layout.code}'s files "
                              f"({layout.encoding}); type the name as the bank holds it",
                              reason="invalid-mandate") from None
    if layout.kind == "delimited" and layout.delimiter in holder:
        raise InvalidArgument(f"holderName must not contain {layout.delimiter!r} ({layout.code}'s field separator)",
                              reason="invalid-mandate")


@dataclass(frozen=True)
class MandateFields:
    bank_code: str
    holder_name: str
    bank_account_no: str
    signed_on: date


def mandate_fields(bank_code: str, holder_name: str, bank_account_no: str, signed_on: str, today: date
                   ) -> MandateFields:
    layout = bank(bank_code)
    holder = wording("holderName", holder_name or "", NAME_MAX).strip()
    if not holder:
        raise InvalidArgument("holderName is required: the name on the bank account", reason="invalid-mandate")
    writable_name(layout, holder)
    try:
        number = validate_account_number(layout, bank_account_no)
    except InvalidAccountNumber as e:
        raise InvalidArgument(str(e), reason="invalid-bank-account") from None
    try:
        signed = date.fromisoformat((signed_on or "").strip())
    except ValueError:
        raise InvalidArgument(f"signedOn must be a date YYYY-MM-DD, not {signed_on!r}",
                              reason="invalid-mandate") from None
    if signed > today:
        raise InvalidArgument(f"signedOn {signed} is in the future", reason="invalid-mandate")
    return MandateFields(layout.code, holder, number, signed)


def note(text: str) -> str | None:
    return prose("note", text or "", REASON_MAX).strip() or None


def leaving(machine: str, event: str) -> list[str]:
    """The states `event` may move a `machine` out of: what a set-based UPDATE's WHERE allows."""
    return sorted(s for s, e in states.MACHINES[machine].transitions if e == event)


@dataclass(frozen=True)
class AfterFailure:
    state: str                     # retry_scheduled or failed
    next_attempt_on: date | None
    flag_mandate: bool


def after_failure(reason: str, attempts: int, failed_on: date, calendar: WorkingCalendar,
                  policy: retry.RetryPolicy = retry.RetryPolicy()) -> AfterFailure:
    """What follows a failed debit, by the domain's retry policy."""
    decision = retry.decide(reason, attempts, failed_on, calendar, policy)
    if isinstance(decision, retry.Retry):
        return AfterFailure(states.transition("debit", "failed", "schedule_retry"), decision.on, False)
    return AfterFailure("failed", None, decision.flag_mandate)


def success_rate(succeeded: int, failed: int) -> float | None:
    """Succeeded over debits the bank answered; None before it answered any."""
    decided = succeeded + failed
    return round(succeeded / decided, 4) if decided else None


def exception_action(action: str, account_no: str) -> str:
    if action not in EXCEPTION_ACTIONS:
        raise InvalidArgument(f"action must be one of {', '.join(EXCEPTION_ACTIONS)}", reason="invalid-action")
    if action == "apply-to-account" and not (account_no or "").strip():
        raise InvalidArgument("apply-to-account needs the accountNo to credit", reason="invalid-action")
    return action


def file_kind(kind: str) -> str:
    kind = kind or "result"
    if kind not in FILE_KINDS:
        raise InvalidArgument(f"kind must be one of {', '.join(FILE_KINDS)}", reason="invalid-file-kind")
    return kind
