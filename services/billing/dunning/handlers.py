"""Dunning's use cases: run the ladder, ask suspended services back once their arrears are cleared, hold
and release bills, tag accounts, decide write-offs. One transaction each; the servicer and the worker only
translate.

`run_ladder(cur, as_of, actor)` and `request_restorations(cur, account_nos, actor)` work in the caller's
transaction: the payments part calls the latter right after settling a payment.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.common import workcalendar_store
from services.common.audit import audit
from services.common.db import Database
from services.common.errors import IllegalTransition, InvalidArgument
from services.common.inputrules import prose
from services.common.outbox import emit_many
from services.common.paging import page_bounds

from .. import store as ledger
from ..domain.dunning import restoration_due
from ..domain.states import states, transition
from ..service import NAME
from ..settings import BillingSettings, billing_settings
from . import rules, store

SYSTEM = "system:dunning"
REASON_MAX = 500
NOTE_MAX = 500


def today_in(settings: BillingSettings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def run_ladder(cur, as_of: date, actor: str) -> dict:
    """Every overdue service takes the step of its ladder due on `as_of`, at most one, never one it took
    in its current arrears; suspended services whose arrears cleared are asked back first, and
    proposals whose arrears were paid are withdrawn. Returns the counts."""
    store.lock_run(cur)
    store.lock_overdue_accounts(cur, as_of)
    restorations = request_restorations(cur, None, actor, as_of)
    withdrawn = store.withdraw_stale_write_offs(cur, actor)
    calendar = workcalendar_store.load(cur)
    ladders = {r["applies_to"]: rules.ladder_of(r) for r in store.ladders(cur)}
    overdue = store.overdue_services(cur, as_of)
    planned = rules.plan(overdue, ladders, as_of, calendar)

    cases = {p.service["service_no"]: p.service["case_id"] for p in planned if p.service["case_id"]}
    cases.update(store.open_cases(cur, [(p.service["service_no"], p.service["account_no"])
                                        for p in planned if not p.service["case_id"]], as_of))
    planned = [p for p in planned if p.service["service_no"] in cases]
    taken = store.record_steps(cur, [
        (cases[p.service["service_no"]], p.step.step, as_of, p.service["overdue_minor"],
         p.service["oldest_due_on"], p.service["bill_ids"]) for p in planned], actor)
    request_of = {(r["case_id"], r["step"]): r["request_no"] for r in taken}

    events, write_offs = [], []
    counts = dict.fromkeys(("reminder", "notice", "suspend", "write_off"), 0)
    for p in planned:
        s, step = p.service, p.step.step
        request_no = request_of.get((cases[s["service_no"]], step))
        if request_no is None:
            continue
        counts[step] += 1
        if step in ("reminder", "notice"):
            events.append(("account_overdue", {
                "accountNo": s["account_no"], "customerNo": s["customer_no"], "serviceNo": s["service_no"],
                "step": step, "overdueMinor": s["overdue_minor"], "oldestDueOn": s["oldest_due_on"].isoformat(),
                "requestId": request_no}))
        elif step == "suspend":
            events.append(("suspension_requested", {
                "customerNo": s["customer_no"], "serviceNo": s["service_no"], "reason": "arrears",
                "requestId": request_no}))
        else:
            write_offs.append((s["account_no"], s["service_no"], s["overdue_minor"]))
    emit_many(cur, NAME, events)
    store.propose_write_offs(cur, write_offs, as_of)
    return {"asOf": as_of.isoformat(), "overdueServices": len(overdue), **counts, "restorations": restorations,
            "writeOffsWithdrawn": withdrawn}


def request_restorations(cur, account_nos: list[str] | None, actor: str, as_of: date | None = None) -> int:
    """Ask back (restoration_requested, once) each service of these accounts (None: of every account) that
    dunning suspended and whose own arrears are now cleared; close every case whose arrears are cleared.
    Returns how many restorations were asked. Cheap for a few accounts: it reads only their open cases."""
    if account_nos is not None and not account_nos:
        return 0
    today = as_of or today_in(billing_settings())
    cases = store.open_cases_of(cur, account_nos)
    # A case ends on the same condition that asks a suspended service back: nothing of it overdue.
    cleared = [c for c in cases if restoration_due(True, c["oldest_due_on"], today)]
    restore = [c for c in cleared if restoration_due(c["suspended"], c["oldest_due_on"], today)]
    claimed = store.claim_restorations(cur, [c["id"] for c in restore], today)
    store.close_cases(cur, [c["id"] for c in cleared if not c["suspended"]], today)
    customer_of = {c["id"]: c["customer_no"] for c in restore}
    emit_many(cur, NAME, [("restoration_requested", {
        "customerNo": customer_of[r["id"]], "serviceNo": r["service_no"], "reason": "arrears_cleared",
        "requestId": r["restoration_request"]}) for r in claimed])
    return len(claimed)


class DunningHandlers:
    def __init__(self, db: Database, settings: BillingSettings):
        self.db = db
        self.settings = settings

    def today(self) -> date:
        return today_in(self.settings)

    # --- ladders ---------------------------------------------------------------------------------------

    def ladders(self) -> list[dict]:
        with self.db.transaction() as cur:
            return store.ladders(cur)

    def replace_ladders(self, rows: list[dict], actor: str) -> list[dict]:
        checked = rules.checked_ladders(rows)
        with self.db.transaction() as cur:
            before = store.ladders(cur)
            store.replace_ladders(cur, checked, actor)
            audit(cur, "dunning_ladder", "*", "replace", {
                "before": [{k: v for k, v in r.items() if k not in ("updated_by", "updated_at")} for r in before],
                "after": checked}, actor)
            return store.ladders(cur)

    # --- runs and steps --------------------------------------------------------------------------------

    def run(self, as_of: date | None, actor: str) -> dict:
        """The ladder as of today. Another day only outside production (a demo, a rehearsal): in
        production a mistyped date would skip the grace before a cut-off, or restart every ladder."""
        today = self.today()
        if as_of is not None and as_of != today and not self.settings.demo:
            raise InvalidArgument("asOf is today's date in production; leave it out", reason="invalid-date")
        with self.db.transaction() as cur:
            return run_ladder(cur, as_of or today, actor)

    def steps(self, account_no: str, offset: int, limit: int) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        with self.db.transaction() as cur:
            ledger.account(cur, account_no.strip().upper())
            return store.steps(cur, account_no.strip().upper(), offset, limit)

    # --- holds and tags --------------------------------------------------------------------------------

    def hold(self, bill_no: str, reason: str, actor: str) -> dict:
        reason = prose("reason", reason or "", REASON_MAX).strip()
        if not reason:
            raise InvalidArgument(f"a hold needs a reason of 1 to {REASON_MAX} characters", reason="invalid-reason")
        return self._hold_or_release(bill_no, "hold", reason, actor)

    def release(self, bill_no: str, actor: str) -> dict:
        return self._hold_or_release(bill_no, None, None, actor)

    def _hold_or_release(self, bill_no: str, event: str | None, reason: str | None, actor: str) -> dict:
        bill_no = bill_no.strip().upper()
        today = self.today()
        with self.db.transaction() as cur:
            bill = store.bill_for_update(cur, bill_no)
            state = rules.bill_state(bill, today)
            event = event or (rules.release_event(bill, today) if state == "on_hold" else "release")
            transition("bill", state, event)
            store.set_hold(cur, bill["id"], reason)
            # A held bill is paid last: the account's credit moves to or from it.
            ledger.settle(cur, [bill["account_no"]])
            audit(cur, "bill", bill_no, "hold" if reason else "release",
                  {"reason": reason, "before": bill["hold_reason"]}, actor)
            if reason is None:  # released: a service it alone kept suspended may come back
                request_restorations(cur, [bill["account_no"]], actor, today)
            return ledger.bill(cur, bill_no)

    def set_tags(self, account_no: str, tags: list[str], actor: str) -> list[str]:
        tags = rules.checked_tags(tags)
        account_no = account_no.strip().upper()
        with self.db.transaction() as cur:
            before = store.set_tags(cur, account_no, tags)
            audit(cur, "account", account_no, "set_tags", {"tags": tags, "before": before}, actor)
        return tags

    # --- write-offs ------------------------------------------------------------------------------------

    def write_offs(self, state: str, offset: int, limit: int) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        if state and state not in states("write_off"):
            raise InvalidArgument(f"state is one of {', '.join(sorted(states('write_off')))}",
                                  reason="invalid-query")
        with self.db.transaction() as cur:
            return store.write_offs(cur, state, offset, limit)

    def decide_write_off(self, write_off_no: str, event: str, note: str, actor: str) -> dict:
        """approve: the open overdue amount is posted as a write_off ledger entry and the bills settled;
        reject: the arrears stay, the ladder ends where it is."""
        note = prose("note", note or "", NOTE_MAX).strip() or None
        write_off_no = write_off_no.strip().upper()
        today = self.today()
        with self.db.transaction() as cur:
            proposal = store.write_off_for_update(cur, write_off_no)
            state = transition("write_off", proposal["state"], event)
            amount, entry = None, None
            if state == "approved":
                bills = store.overdue_bills(cur, proposal["account_no"], today)
                amount = sum(b["open_minor"] for b in bills)
                if amount <= 0:
                    raise IllegalTransition(f"nothing of {proposal['account_no']} is overdue any more",
                                            reason="nothing-to-write-off")
                entry = ledger.post(cur, proposal["account_no"], "write_off", -amount, actor,
                                    note=f"write-off {write_off_no}", currency=proposal["currency"])
                ledger.settle(cur, [proposal["account_no"]])
                store.mark_written_off(cur, [b["id"] for b in bills])
                store.close_cases_of_services(cur, proposal["service_nos"], today)
            store.decide_write_off(cur, proposal["id"], state, actor, note, amount, entry)
            audit(cur, "write_off", write_off_no, event, {"note": note, "writtenOffMinor": amount}, actor)
            return store.write_off_for_update(cur, write_off_no)
