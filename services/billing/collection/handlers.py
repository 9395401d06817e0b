"""Bank collection as use cases: arguments in, one transaction, rows out. The servicer only translates.

A bank code passed as `bank_scope` is the asking bank user's own: its reads see only that bank's batches
and files, and its uploads are read with that bank's layout."""
from __future__ import annotations

import hashlib
import io
import tempfile
from collections import defaultdict
from datetime import date, datetime
from typing import BinaryIO, Iterable, Iterator
from zoneinfo import ZoneInfo

import psycopg2.extras
from lxml import etree

from services.common.audit import audit
from services.common.bulkjob import in_parts
from services.common.db import Database
from services.common.errors import IllegalTransition, InvalidArgument
from services.common.inputrules import REASON_MAX, prose
from services.common.outbox import emit
from services.common.workcalendar_store import load as load_calendar

from .. import store as ledger
from ..domain import retry, states
from services.common.paging import page_bounds

from ..handlers import Actor
from ..service import NAME
from ..settings import BillingSettings
from . import reconcile, rules, store
from .detect import read_result_file
from .iso20022 import Creditor, InvalidGeneratedFile, write_pain008
from .layouts import BankLayout
from .model import FileError, FileRejected, OfferBatch, OfferLineError, ReturnFile
from .offer import write_offer
from .returns import read_return

# The operator as it appears in banks' files (the creditor of every debit).
CREDITOR_NAME = "广电网络有线电视"
# A file larger than this is not a bank's result file for us (a million lines is about 200 MB).
MAX_FILE_BYTES = 1 << 30
CHUNK = 1 << 20
MANDATE_EVENTS = ("activate", "renew", "revoke", "flag_renewal")


class CollectionHandlers:
    def __init__(self, db: Database, settings: BillingSettings, policy: retry.RetryPolicy = retry.RetryPolicy()):
        self.db = db
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)
        self.currency = settings.currency
        self.policy = policy

    def today(self) -> date:
        return datetime.now(self.zone).date()

    # --- mandates ---------------------------------------------------------------------------------------

    def create_mandate(self, *, account_no: str, bank_code: str, holder_name: str, bank_account_no: str,
                       signed_on: str, state: str, actor: Actor) -> dict:
        state = state or "active"
        if state not in ("pending", "active"):
            raise InvalidArgument("a new mandate is pending or active", reason="invalid-mandate")
        fields = rules.mandate_fields(bank_code, holder_name, bank_account_no, signed_on, self.today())
        account_no = account_no.strip().upper()
        with self.db.transaction() as cur:
            ledger.account(cur, account_no)
            m = store.insert_mandate(cur, account_no, fields, state, actor.username)
            audit(cur, "mandate", m["mandate_no"], "create",
                  {"accountNo": account_no, "bankCode": fields.bank_code, "holderName": fields.holder_name,
                   "bankAccountNo": fields.bank_account_no, "signedOn": fields.signed_on, "state": state},
                  actor.username)
            return m

    def mandate(self, mandate_no: str) -> dict:
        with self.db.transaction() as cur:
            return store.mandate(cur, mandate_no.strip().upper())

    def mandates(self, account_no: str, bank_code: str, state: str, offset: int, limit: int) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        if state and state not in states.states("mandate"):
            raise InvalidArgument(f"state must be one of {', '.join(sorted(states.states('mandate')))}",
                                  reason="invalid-state")
        with self.db.transaction() as cur:
            return store.mandates(cur, account_no=account_no.strip().upper(),
                                  bank_code=rules.bank(bank_code).code if bank_code else "", state=state,
                                  offset=offset, limit=limit)

    def change_mandate(self, *, mandate_no: str, event: str, note: str, bank_code: str, holder_name: str,
                       bank_account_no: str, signed_on: str, actor: Actor) -> dict:
        """A mandate's state change by a person (the renewal at a counter may give the new bank account)."""
        if event not in MANDATE_EVENTS:
            raise InvalidArgument(f"event must be one of {', '.join(MANDATE_EVENTS)}", reason="unknown-event")
        given = [bank_code, holder_name, bank_account_no, signed_on]
        fields = None
        if any(given):
            if event != "renew" or not all(given):
                raise InvalidArgument("a renewal may give a new bankCode, holderName, bankAccountNo and signedOn, "
                                      "all four", reason="invalid-mandate")
            fields = rules.mandate_fields(bank_code, holder_name, bank_account_no, signed_on, self.today())
        note_text = rules.note(note)
        with self.db.transaction() as cur:
            m = store.mandate(cur, mandate_no.strip().upper(), lock=True)
            new_state = states.transition("mandate", m["state"], event)
            store.update_mandate(cur, m["id"], new_state, note_text, actor.username, fields)
            changes = {"state": [m["state"], new_state], "note": note_text}
            if fields:
                changes.update(bankCode=fields.bank_code, holderName=fields.holder_name,
                               bankAccountNo=fields.bank_account_no, signedOn=fields.signed_on)
            audit(cur, "mandate", m["mandate_no"], event, changes, actor.username)
            return store.mandate(cur, m["mandate_no"])

    # --- runs and batches ------------------------------------------------------------------------------

    def run(self, *, collection_date: str, banks: list[str], actor: Actor) -> dict:
        today = self.today()
        try:
            on = date.fromisoformat(collection_date.strip()) if collection_date.strip() else today
        except ValueError:
            raise InvalidArgument(f"collectionDate must be a date YYYY-MM-DD, not {collection_date!r}",
                                  reason="invalid-date") from None
        if on < today:
            raise InvalidArgument(f"collectionDate {on} is in the past", reason="invalid-date")
        codes = rules.banks(banks)
        with self.db.transaction() as cur:
            run = store.create_run(cur, collection_date=on, created_on=today, banks=codes, currency=self.currency,
                                   actor=actor.username)
            audit(cur, "collection_run", run["run_no"], "create",
                  {"collectionDate": on, "banks": codes,
                   "batches": {b["batch_no"]: [b["bank_code"], b["debit_count"], b["amount_minor"]]
                               for b in run["batches"]}}, actor.username)
            return run

    def batches(self, bank_scope: str, offset: int, limit: int) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        with self.db.transaction() as cur:
            return store.batches(cur, bank_code=bank_scope, offset=offset, limit=limit)

    def batch(self, batch_no: str, bank_scope: str) -> dict:
        with self.db.transaction() as cur:
            return store.batch(cur, batch_no.strip().upper(), bank_scope)

    def cancel_batch(self, batch_no: str, note: str, actor: Actor) -> dict:
        """Withdraw a batch the bank never answered: its batch and its unanswered debits are cancelled."""
        note = prose("note", note or "", REASON_MAX).strip()
        if not note:
            raise InvalidArgument("say why the batch is cancelled (note)", reason="invalid-note")
        with self.db.transaction() as cur:
            b = store.batch(cur, batch_no.strip().upper(), lock=True)
            states.transition("debit_batch", b["state"], "cancel")
            cancelled = store.cancel_batch(cur, b["id"], states.transition("debit", "sent", "cancel"))
            audit(cur, "debit_batch", b["batch_no"], "cancel", {"note": note, "debitsCancelled": cancelled},
                  actor.username)
            return store.batch(cur, b["batch_no"])

    def batch_file(self, batch_no: str, fmt: str, bank_scope: str, actor: Actor) -> tuple[str, str, BinaryIO]:
        """(file name, media type, the file to stream) of a batch's offer file in the asked format; for
        pain.008 the file passed its XSD before it is handed out. A download is recorded."""
        fmt = fmt or "bankLayout"
        with self.db.transaction() as cur:
            b = store.batch(cur, batch_no.strip().upper(), bank_scope)
        layout = rules.bank(b["bank_code"])
        if not layout.accepts(fmt):
            raise InvalidArgument(f"{layout.code} takes {', '.join(layout.formats)}, not {fmt!r}",
                                  reason="format-not-offered")
        offer = OfferBatch(batch_no=b["batch_no"], created_on=b["created_on"], collection_date=b["collection_date"],
                           creditor_name=CREDITOR_NAME, created_at=b["created_at"].astimezone(self.zone),
                           currency=b["currency"])
        out = tempfile.SpooledTemporaryFile(max_size=64 << 20)
        name = layout.offer_file_name(b["batch_no"], b["collection_date"])
        try:
            with self.db.connection() as conn:
                try:
                    lines = store.debit_lines(conn, b["id"])
                    if fmt == "pain.008":
                        out.write(write_pain008(offer, lines, Creditor.from_layout(layout, CREDITOR_NAME),
                                                layout=layout))
                        name, media = name.rsplit(".", 1)[0] + ".xml", "application/xml"
                    else:
                        write_offer(layout, offer, lines, out)
                        media = f"text/plain; charset={layout.encoding}"
                finally:
                    conn.rollback()
        except (OfferLineError, InvalidGeneratedFile, ValueError) as e:
            out.close()
            raise IllegalTransition(f"batch {b['batch_no']} cannot be written: {e}", reason="offer-file-invalid") \
                from None
        with self.db.transaction() as cur:
            if bank_scope:  # the bank took it; a supervisor's look at the file is only audited
                store.record_download(cur, b["id"])
            audit(cur, "debit_batch", b["batch_no"], "download", {"format": fmt}, actor.username)
        out.seek(0)
        return name, media, out

    # --- files in ----------------------------------------------------------------------------------------

    def import_file(self, *, bank_code: str, kind: str, file_name: str, chunks: Iterable[bytes],
                    actor: Actor) -> tuple[dict, bool]:
        """A bank's file applied once: (its import report, whether it is a duplicate of an earlier one).
        A malformed file is recorded as rejected with each error, and applies nothing."""
        layout = rules.bank(bank_code)
        kind = rules.file_kind(kind)
        data = _read_all(chunks)
        up = reconcile.Upload(layout.code, kind, (file_name or "").strip()[:200], hashlib.sha256(data).hexdigest(),
                              actor.username)
        fmt = None
        try:
            result = _parse(layout, kind, data)
            fmt = result.format
            file_id_text = _message_id(data) if fmt != "bankLayout" else None
        except FileRejected as e:
            return self._rejected(up, fmt, [{"where": x.where, "message": x.message} for x in e.errors]), False
        if kind == "result" and result.batch_no:
            with self.db.transaction() as cur:
                known = reconcile.known_batch(cur, result.batch_no, layout.code)
            if not known:
                error = {"where": "file", "message": f"batch {result.batch_no} is not a batch of {layout.code}"}
                return self._rejected(up, fmt, [error]), False
        with self.db.connection() as conn:
            cur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
            file_id, ours = reconcile.claim(cur, up, fmt, file_id_text, result.batch_no, len(result.lines))
            if not ours:
                report = reconcile.bank_file_by_id(cur, file_id)
                conn.commit()
                return report, True
            try:
                report = self._apply(conn, cur, file_id, up, result)
                conn.commit()
                return report, False
            finally:
                conn.rollback()
                reconcile.unlock(cur, file_id)
                conn.commit()

    def _apply(self, conn, cur, file_id: int, up: reconcile.Upload, result: ReturnFile) -> dict:
        """The claimed file applied; its report (committed by the caller, with the last part)."""
        if up.kind == "agency":
            reconcile.apply_agency(cur, file_id, up, result)
        else:
            parts = max(1, min(self.settings.bank_file_parts, self.db.maxconn,
                               len(result.lines) // self.settings.bank_file_lines_per_part))
            reconcile.stage_result(cur, file_id, up, result, parts)
            today, calendar = self.today(), load_calendar(cur)

            def part(part_cur, n: int) -> None:
                reconcile.apply_part(part_cur, file_id, n, up, today, calendar, self.policy)
            if parts == 1:
                part(cur, 0)  # in the claim's transaction: the file is applied whole or not at all
            else:
                conn.commit()
                in_parts(self.db, cur, parts, part)
            reconcile.finish_result(cur, file_id, up, result)
        report = reconcile.bank_file_by_id(cur, file_id)
        audit(cur, "bank_file", report["file_no"], "import",
              {"bankCode": up.bank_code, "kind": up.kind, "format": report["format"], "sha256": up.sha256,
               "applied": report["applied"], "duplicates": report["duplicates"],
               "exceptions": report["exceptions"]}, up.actor)
        return report

    def _rejected(self, up: reconcile.Upload, fmt: str | None, errors: list[dict]) -> dict:
        with self.db.transaction() as cur:
            file_id = reconcile.record_rejected(cur, up, fmt, errors)
            report = reconcile.bank_file_by_id(cur, file_id)
            audit(cur, "bank_file", report["file_no"], "reject",
                  {"bankCode": up.bank_code, "kind": up.kind, "sha256": up.sha256, "errors": len(errors)},
                  up.actor)
            return report

    def bank_file(self, file_no: str, bank_scope: str) -> dict:
        with self.db.transaction() as cur:
            return reconcile.bank_file(cur, file_no.strip().upper(), bank_scope)

    # --- exceptions and reports ---------------------------------------------------------------------------

    def exceptions(self, state: str, bank_code: str, offset: int, limit: int) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        if state not in ("", "open", "resolved"):
            raise InvalidArgument("state must be open or resolved", reason="invalid-state")
        with self.db.transaction() as cur:
            return reconcile.exceptions(cur, state=state, bank_code=rules.bank(bank_code).code if bank_code else "",
                                        offset=offset, limit=limit)

    def resolve_exception(self, *, exception_id: int, action: str, account_no: str, note: str,
                          actor: Actor) -> dict:
        action = rules.exception_action(action, account_no)
        note_text = rules.note(note)
        with self.db.transaction() as cur:
            row = reconcile.exception(cur, exception_id, lock=True)
            account = ledger.account(cur, account_no.strip().upper()) if action == "apply-to-account" else None
            event = reconcile.resolve_exception(cur, row, action, account, note_text, actor.username)
            if event:
                emit(cur, NAME, "payment_received", event)
            audit(cur, "collection_exception", str(exception_id), "resolve",
                  {"action": action, "accountNo": account and account["account_no"], "note": note_text},
                  actor.username)
            return reconcile.exception(cur, exception_id)

    def report(self, batch_no: str, bank_code: str) -> dict:
        code = rules.bank(bank_code).code if bank_code else ""
        with self.db.transaction() as cur:
            rows, reasons = store.report(cur, batch_no=batch_no.strip().upper(), bank_code=code)
        by_batch = defaultdict(list)
        for r in reasons:
            by_batch[r["batch_no"]].append(r)
        banks: dict[str, dict] = {}
        for r in rows:
            r["failed_by_reason"] = by_batch[r["batch_no"]]
            total = banks.setdefault(r["bank_code"], {
                "batch_no": "", "bank_code": r["bank_code"], "collection_date": None, "state": "",
                "currency": r["currency"], "debit_count": 0, "amount_minor": 0, "succeeded": 0, "succeeded_minor": 0,
                "failed": 0, "failed_minor": 0, "awaiting": 0, "failed_by_reason": {}})
            for k in ("debit_count", "amount_minor", "succeeded", "succeeded_minor", "failed", "failed_minor",
                      "awaiting"):
                total[k] += r[k]
            for x in r["failed_by_reason"]:
                c = total["failed_by_reason"].setdefault(x["reason"], {"reason": x["reason"], "count": 0,
                                                                       "amount_minor": 0})
                c["count"] += x["count"]
                c["amount_minor"] += x["amount_minor"]
        for t in banks.values():
            t["failed_by_reason"] = sorted(t["failed_by_reason"].values(), key=lambda x: x["reason"])
        for line in [*rows, *banks.values()]:
            line["success_rate"] = rules.success_rate(line["succeeded"], line["failed"])
        return {"target": rules.SUCCESS_TARGET, "batches": rows, "banks": sorted(banks.values(),
                                                                                  key=lambda x: x["bank_code"])}


def _read_all(chunks: Iterable[bytes]) -> bytes:
    buffer = io.BytesIO()
    for chunk in chunks:
        buffer.write(chunk)
        if buffer.tell() > MAX_FILE_BYTES:
            raise InvalidArgument(f"a bank file is at most {MAX_FILE_BYTES >> 20} MB", reason="file-too-large")
    if not buffer.tell():
        raise InvalidArgument("the file is empty", reason="empty-file")
    return buffer.getvalue()


def _parse(layout: BankLayout, kind: str, data: bytes) -> ReturnFile:
    if kind == "result":
        return read_result_file(data, layout)
    # An agency file is the bank's return layout with our account number as the account: each line a
    # payment it took, so every line carries the bank's success code.
    result = read_return(layout, data)
    refused = [x for x in result.lines if not x.ok]
    if refused:
        raise FileRejected([FileError(f"line {x.line_no}", f"result code {x.bank_code} is not a payment taken")
                            for x in refused[:100]])
    return result


def _message_id(data: bytes) -> str | None:
    """The ISO 20022 file's own message id (GrpHdr/MsgId): a bank sending the same message again with
    other bytes (another time stamp) is still the same file."""
    for _, elem in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}MsgId", resolve_entities=False,
                                   no_network=True, load_dtd=False, huge_tree=True):
        return (elem.text or "").strip() or None
    return None


def chunks_of(file: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    try:
        while block := file.read(size):
            yield block
    finally:
        file.close()
