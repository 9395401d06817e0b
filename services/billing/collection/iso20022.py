"""ISO 20022 files for banks that take them: pain.008.001.08 out; pain.002.001.10 and camt.054.001.08
back. Every file is checked against the official XSD (xsd/, see xsd/PROVENANCE.md): what we send before
it is returned, what a bank sends while it is parsed.

The debit's reference travels as the EndToEndId and comes back as OrgnlEndToEndId (pain.002) or
Refs/EndToEndId (camt.054). Files are written and read as streams: transactions are written to a spool
while the totals that precede them are counted, and read with iterparse, each cleared once read.
"""
from __future__ import annotations

import functools
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, Callable, Iterable
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from .accounts import validate_account_number
from .layouts import BankLayout
from .model import (checked_amount, ErrorList, FileRejected, OfferBatch, OfferLineError, ReturnFile, ReturnLine,
                    ReturnLines, DebitLine)
from .offer import check_reference
from .reasons import iso_reason

XSD_DIR = Path(__file__).with_name("xsd")
PAIN008 = "pain.008.001.08"
PAIN002 = "pain.002.001.10"
CAMT054 = "camt.054.001.08"
NAMESPACES = {name: f"urn:iso:std:iso:20022:tech:xsd:{name}" for name in (PAIN008, PAIN002, CAMT054)}

OK_STATUSES = frozenset({"ACSC", "ACCC"})      # settled on the debtor's or the creditor's account
FAILED_STATUSES = frozenset({"RJCT"})
# Files larger than this are not parsed a second time to list every schema error, only the first.
FULL_REPORT_LIMIT = 50 << 20
CHINA = timezone(timedelta(hours=8))
# Characters XML 1.0 cannot carry at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class InvalidGeneratedFile(RuntimeError):
    """A file we generated fails the official XSD: a bug here, never something to send."""

    def __init__(self, name: str, errors: list):
        self.errors = errors
        super().__init__(f"generated {name} fails its XSD: " +
                         "; ".join(f"{e.where}: {e.message}" for e in errors[:5]))


@dataclass(frozen=True, slots=True)
class Creditor:
    name: str
    account_number: str           # our collection account at the bank
    agent_bic: str                # the bank's BIC (a batch goes to one bank, debtors' accounts too)
    scheme_id: str                # our creditor / merchant number at the bank

    @classmethod
    def from_layout(cls, layout: BankLayout, name: str) -> "Creditor":
        return cls(name=name, account_number=layout.creditor_account, agent_bic=layout.bank_id,
                   scheme_id=layout.creditor_id)


@functools.cache
def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"{name}.xsd")))


def _e(tag: str, text: str) -> str:
    return f"<{tag}>{escape(text)}</{tag}>"


def _yuan(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _amt(tag: str, minor: int, currency: str) -> str:
    return f"<{tag} Ccy={quoteattr(currency)}>{_yuan(minor)}</{tag}>"


def _acct(tag: str, number: str) -> str:
    return f"<{tag}><Id><Othr>{_e('Id', number)}</Othr></Id></{tag}>"


def _agent(tag: str, bic: str) -> str:
    return f"<{tag}><FinInstnId>{_e('BICFI', bic)}</FinInstnId></{tag}>"


def _created(batch: OfferBatch) -> str:
    at = batch.created_at or datetime.combine(batch.created_on, time(0), CHINA)
    return at.isoformat(timespec="seconds")


def _text(value: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValueError(f"{what} is empty")
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    if _NOT_XML.search(value):
        raise ValueError(f"{what} has a control character")
    return value


class _Spool:
    """Repeated elements held aside until the totals that precede them are known."""

    def __init__(self) -> None:
        self.file = tempfile.SpooledTemporaryFile(max_size=64 << 20)
        self.buffer: list[str] = []

    def add(self, fragment: str) -> None:
        # One transaction a line, so that an error's line number finds it.
        self.buffer.append(fragment + "\n")
        if len(self.buffer) >= 2048:
            self.file.write("".join(self.buffer).encode("utf-8"))
            self.buffer.clear()

    def document(self, name: str, head: str, tail: str) -> bytes:
        self.file.write("".join(self.buffer).encode("utf-8"))
        out = io.BytesIO()
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NAMESPACES[name]}">'
                  .encode("utf-8"))
        out.write((head + "\n").encode("utf-8"))
        self.file.seek(0)
        shutil.copyfileobj(self.file, out, 1 << 20)
        self.file.close()
        out.write((tail + "</Document>\n").encode("utf-8"))
        data = out.getvalue()
        _validate_generated(name, data)
        return data


def _validate_generated(name: str, data: bytes) -> None:
    try:
        for _ in _iterparse(data, name, None):
            pass
    except etree.XMLSyntaxError as e:
        raise InvalidGeneratedFile(name, _xml_errors(data, name, e)) from None


def write_pain008(batch: OfferBatch, debits: Iterable[DebitLine], creditor: Creditor, *,
                  layout: BankLayout | None = None) -> bytes:
    """The pain.008.001.08 for the debits, validated against the XSD. With the bank's layout, account
    numbers are checked against its rule too. OfferLineError names a debit that cannot be sent."""
    currency = batch.currency
    spool = _Spool()
    count = total = 0
    for d in debits:
        try:
            check_reference(d.reference)
            if type(d.amount_minor) is not int or d.amount_minor <= 0:
                raise ValueError(f"amount_minor must be a positive integer, not {d.amount_minor!r}")
            account = validate_account_number(layout, d.account_number) if layout else \
                _text(d.account_number, "account_number", 34)
            name = _text(d.holder_name, "holder_name", 140)
            mandate = (f"<DrctDbtTx><MndtRltdInf>{_e('MndtId', _text(d.mandate_id, 'mandate_id', 35))}"
                       f"</MndtRltdInf></DrctDbtTx>" if d.mandate_id else "")
            remittance = (f"<RmtInf>{_e('Ustrd', _text(d.user_number, 'user_number', 140))}</RmtInf>"
                          if d.user_number else "")
        except ValueError as e:
            raise OfferLineError(getattr(d, "reference", "?"), str(e)) from None
        count += 1
        total += d.amount_minor
        spool.add(f"<DrctDbtTxInf><PmtId>{_e('EndToEndId', d.reference)}</PmtId>"
                  f"{_amt('InstdAmt', d.amount_minor, currency)}{mandate}"
                  f"{_agent('DbtrAgt', creditor.agent_bic)}<Dbtr>{_e('Nm', name)}</Dbtr>"
                  f"{_acct('DbtrAcct', account)}{remittance}</DrctDbtTxInf>")
    if not count:
        raise ValueError("a pain.008 needs at least one debit")
    totals = f"{_e('NbOfTxs', str(count))}{_e('CtrlSum', _yuan(total))}"
    head = (f"<CstmrDrctDbtInitn><GrpHdr>{_e('MsgId', batch.batch_no)}{_e('CreDtTm', _created(batch))}"
            f"{totals}<InitgPty>{_e('Nm', batch.creditor_name)}</InitgPty></GrpHdr>"
            f"<PmtInf>{_e('PmtInfId', batch.batch_no)}<PmtMtd>DD</PmtMtd>"
            # One booking per debit, so that the bank's camt.054 reports each one.
            f"<BtchBookg>false</BtchBookg>{totals}"
            f"<PmtTpInf><SeqTp>RCUR</SeqTp></PmtTpInf>"
            f"{_e('ReqdColltnDt', batch.collection_date.isoformat())}"
            f"<Cdtr>{_e('Nm', creditor.name)}</Cdtr>{_acct('CdtrAcct', creditor.account_number)}"
            f"{_agent('CdtrAgt', creditor.agent_bic)}"
            f"<CdtrSchmeId><Id><OrgId><Othr>{_e('Id', creditor.scheme_id)}</Othr></OrgId></Id>"
            f"</CdtrSchmeId>")
    return spool.document(PAIN008, head, "</PmtInf></CstmrDrctDbtInitn>")


# --- reading -------------------------------------------------------------------------------------

def _iterparse(data: bytes | BinaryIO, name: str, tags):
    source = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    ns = NAMESPACES[name]
    tag = tuple(f"{{{ns}}}{t}" for t in tags) if tags else None
    # No entities and no network: a bank's file must not make us read anything else.
    return etree.iterparse(source, events=("end",), tag=tag, schema=schema(name), huge_tree=True,
                           resolve_entities=False, no_network=True, load_dtd=False)


def _element_path(tree, path: str | None) -> str:
    """libxml2 names an element by position ("/*/*/*[3]/*[7]"); a bank reads element names."""
    found = tree.xpath(path) if tree is not None and path else []
    if not found or not isinstance(found[0], etree._Element):
        return path or "document"
    names = [etree.QName(e).localname for e in (*reversed(list(found[0].iterancestors())), found[0])]
    return "/" + "/".join(names)


def _message(text: str) -> str:
    return re.sub(r"\{urn:iso:std:iso:20022:tech:xsd:[^}]*\}", "", text)


def _xml_errors(data, name: str, first: etree.XMLSyntaxError) -> list:
    """Every schema error of a file that fails, when it is small enough to read twice; else the first."""
    errors = ErrorList()
    if isinstance(data, (bytes, bytearray)) and len(data) <= FULL_REPORT_LIMIT:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
        try:
            tree = etree.fromstring(bytes(data), parser).getroottree()
        except etree.XMLSyntaxError as e:
            errors.add(f"line {e.lineno}", f"not well-formed XML: {e.msg}")
            return errors.errors
        if not schema(name).validate(tree):
            for e in schema(name).error_log:
                errors.add(f"line {e.line} {_element_path(tree, e.path)}", _message(e.message))
            return errors.errors
    for e in first.error_log:
        errors.add(f"line {e.line or first.lineno} {_element_path(None, e.path)}", _message(e.message))
    if not errors.errors:
        errors.add(f"line {first.lineno}", first.msg)
    return errors.errors


def _minor(text: str | None, where: str, errors: ErrorList) -> int | None:
    try:
        value = Decimal(text or "") * 100
    except InvalidOperation:
        errors.add(where, f"amount {text!r} is not a number")
        return None
    if value != value.to_integral_value():
        errors.add(where, f"amount {text} has fractions of a fen")
        return None
    try:
        return checked_amount(int(value))
    except ValueError as e:
        errors.add(where, str(e))
        return None


def _read(data: bytes | BinaryIO, name: str, tags, handle: Callable[[etree._Element], None],
          errors: ErrorList) -> None:
    # lxml reports a schema error when the parse ends, after the events of the invalid elements:
    # a handler that trips on what the schema refuses stops handling, and the schema error wins.
    tripped = None
    try:
        for _, elem in _iterparse(data, name, tags):
            if tripped is None:
                try:
                    handle(elem)
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    tripped = (f"line {elem.sourceline} {etree.QName(elem).localname}", str(e))
    except etree.XMLSyntaxError as e:
        raise FileRejected(_xml_errors(data, name, e)) from None
    if tripped is not None:
        errors.add(*tripped)


def _release(elem: etree._Element) -> None:
    """Frees a read element and the same-named siblings before it, keeping a million-line file small."""
    elem.clear(keep_tail=True)
    previous = elem.getprevious()
    parent = elem.getparent()
    while previous is not None and previous.tag == elem.tag:
        parent.remove(previous)
        previous = elem.getprevious()


class _Lines:
    """The lines read so far, with the checks every format shares."""

    def __init__(self, errors: ErrorList, currency: str):
        self.errors, self.currency = errors, currency
        self.lines = ReturnLines()
        self.seen: dict[str, int] = {}
        self.amount = self.ok_count = self.ok_amount = 0

    def amount_of(self, elem, where: str) -> int | None:
        if elem is None:
            return None
        if elem.get("Ccy") != self.currency:
            self.errors.add(where, f"currency {elem.get('Ccy')} is not {self.currency}")
            return None
        return _minor(elem.text, where, self.errors)

    def add(self, where: str, line: ReturnLine) -> None:
        if not line.reference:
            self.errors.add(where, "the transaction has no end-to-end reference")
            return
        if line.reference in self.seen:
            self.errors.add(where, f"reference {line.reference} is already on line "
                                   f"{self.seen[line.reference]}")
            return
        self.seen[line.reference] = line.line_no
        self.lines.append(line)
        self.amount += line.amount_minor or 0
        if line.ok:
            self.ok_count += 1
            self.ok_amount += line.amount_minor or 0

    def result(self, name: str, batch_no: str | None) -> ReturnFile:
        return ReturnFile(format=name, lines=self.lines, batch_no=batch_no, total_count=len(self.lines),
                          total_amount_minor=self.amount, ok_count=self.ok_count,
                          ok_amount_minor=self.ok_amount)


def read_pain002(data: bytes | BinaryIO, *, currency: str = "CNY") -> ReturnFile:
    """A pain.002.001.10 status report. ACSC and ACCC are paid, RJCT failed with its reason; any other
    status is not final and its reference is listed in pending_references. The counts per status
    (NbOfTxsPerSts) are checked against the transactions."""
    ns = f"{{{NAMESPACES[PAIN002]}}}"
    errors = ErrorList()
    lines = _Lines(errors, currency)
    pending: list[str] = []
    group: dict = {"batch_no": None, "status": None, "reason": None, "stated": []}
    # Per payment block: its status (the default of its transactions) and counts per status.
    block: dict = {"status": None, "counts": {}}
    counted: dict[str, list[int]] = {}

    def stated(parent, where_tag: str) -> list[tuple[str, int, str | None, int]]:
        return [(n.findtext(f"{ns}DtldSts"), int(n.findtext(f"{ns}DtldNbOfTxs")),
                 n.findtext(f"{ns}DtldCtrlSum"), n.sourceline)
                for n in parent.iterfind(f"{ns}NbOfTxsPerSts")]

    def check(stated_counts, counts: dict[str, list[int]], where_tag: str) -> None:
        for status, number, ctrl_sum, line in stated_counts:
            actual = counts.get(status, [0, 0])
            where = f"line {line} {where_tag}/NbOfTxsPerSts"
            if number != actual[0]:
                errors.add(where, f"{number} transactions {status}, the file lists {actual[0]}")
            elif ctrl_sum is not None:
                amount = _minor(ctrl_sum, where, errors)
                if amount is not None and amount != actual[1]:
                    errors.add(where, f"control sum {ctrl_sum} for {status}, the transactions add up "
                                      f"to {_yuan(actual[1])}")

    def handle(elem) -> None:
        tag = elem.tag[len(ns):]
        if tag == "OrgnlGrpInfAndSts":
            group["batch_no"] = elem.findtext(f"{ns}OrgnlMsgId")
            group["status"] = elem.findtext(f"{ns}GrpSts")
            group["reason"] = elem.findtext(f"{ns}StsRsnInf/{ns}Rsn/{ns}Cd")
            group["stated"] = stated(elem, "OrgnlGrpInfAndSts")
        elif tag == "PmtInfSts":
            block["status"] = elem.text
        elif tag == "TxInfAndSts":
            where = f"line {elem.sourceline} TxInfAndSts"
            status = elem.findtext(f"{ns}TxSts") or block["status"] or group["status"]
            reference = (elem.findtext(f"{ns}OrgnlEndToEndId") or "").strip()
            ref = elem.find(f"{ns}OrgnlTxRef")
            amount = None
            account = name = ""
            if ref is not None:
                amount = lines.amount_of(ref.find(f"{ns}Amt/{ns}InstdAmt"), where)
                account = (ref.findtext(f"{ns}DbtrAcct/{ns}Id/{ns}Othr/{ns}Id")
                           or ref.findtext(f"{ns}DbtrAcct/{ns}Id/{ns}IBAN") or "")
                name = ref.findtext(f"{ns}Dbtr/{ns}Pty/{ns}Nm") or ""
            count = block["counts"].setdefault(status, [0, 0])
            count[0] += 1
            count[1] += amount or 0
            if status in OK_STATUSES or status in FAILED_STATUSES:
                ok = status in OK_STATUSES
                code = elem.findtext(f"{ns}StsRsnInf/{ns}Rsn/{ns}Cd") or \
                    elem.findtext(f"{ns}StsRsnInf/{ns}Rsn/{ns}Prtry") or ""
                message = " ".join(t.text or "" for t in elem.iterfind(f"{ns}StsRsnInf/{ns}AddtlInf"))
                lines.add(where, ReturnLine(
                    line_no=elem.sourceline, reference=reference, account_number=account,
                    amount_minor=amount, ok=ok, bank_code="" if ok else code,
                    reason=None if ok else iso_reason(code), message=message, holder_name=name))
            elif not status:
                errors.add(where, "no TxSts, and no PmtInfSts or GrpSts to take it from")
            elif reference:
                pending.append(reference)
            _release(elem)
        elif tag == "OrgnlPmtInfAndSts":
            check(stated(elem, "OrgnlPmtInfAndSts"), block["counts"],
                  f"OrgnlPmtInfAndSts {elem.findtext(f'{ns}OrgnlPmtInfId')}")
            for status, (n, amount) in block["counts"].items():
                total = counted.setdefault(status, [0, 0])
                total[0] += n
                total[1] += amount
            block["status"], block["counts"] = None, {}
            _release(elem)

    _read(data, PAIN002, ("OrgnlGrpInfAndSts", "PmtInfSts", "TxInfAndSts", "OrgnlPmtInfAndSts"),
          handle, errors)
    if group["stated"]:
        check(group["stated"], counted, "OrgnlGrpInfAndSts")
    errors.raise_if_any()
    result = lines.result(PAIN002, group["batch_no"])
    result.pending_references = pending
    result.group_status = group["status"]
    result.group_reason = iso_reason(group["reason"]) if group["status"] == "RJCT" else None
    return result


def read_camt054(data: bytes | BinaryIO, *, currency: str = "CNY") -> ReturnFile:
    """A camt.054.001.08 notification of the collection account. A credit entry is a paid debit; a
    debit entry with return information (RtrInf) is a failed one with its reason. Every transaction
    must carry its EndToEndId. The entry totals (TxsSummry) are checked against the entries, and each
    entry's amount against its transactions."""
    ns = f"{{{NAMESPACES[CAMT054]}}}"
    errors = ErrorList()
    lines = _Lines(errors, currency)
    notification: dict = {"summary": None, "entries": {"CRDT": [0, 0], "DBIT": [0, 0]}, "errors": 0}
    batch: dict = {"no": None}

    def handle(elem) -> None:
        tag = elem.tag[len(ns):]
        if tag == "TxsSummry":
            notification["summary"] = (elem.sourceline, [
                (key, n.findtext(f"{ns}NbOfNtries"), n.findtext(f"{ns}Sum"), n.sourceline)
                for key in ("TtlNtries", "TtlCdtNtries", "TtlDbtNtries")
                for n in elem.iterfind(f"{ns}{key}")])
        elif tag == "Ntry":
            where = f"line {elem.sourceline} Ntry"
            indicator = elem.findtext(f"{ns}CdtDbtInd")
            amount = lines.amount_of(elem.find(f"{ns}Amt"), where)
            entry = notification["entries"][indicator]
            entry[0] += 1
            entry[1] += amount or 0
            details = list(elem.iterfind(f"{ns}NtryDtls/{ns}TxDtls"))
            if not details:
                errors.add(where, "the entry has no transaction details (TxDtls) to match a debit by")
            details_sum = 0
            for tx in details:
                tx_where = f"line {tx.sourceline} TxDtls"
                tx_amount = lines.amount_of(tx.find(f"{ns}Amt"), tx_where)
                if tx_amount is None and len(details) == 1:
                    tx_amount = amount
                details_sum += tx_amount or 0
                tx_indicator = tx.findtext(f"{ns}CdtDbtInd") or indicator
                code = tx.findtext(f"{ns}RtrInf/{ns}Rsn/{ns}Cd") or \
                    tx.findtext(f"{ns}RtrInf/{ns}Rsn/{ns}Prtry")
                returned = tx.find(f"{ns}RtrInf") is not None
                if tx_indicator == "DBIT" and not returned:
                    errors.add(tx_where, "a debit entry without return information (RtrInf)")
                    continue
                batch["no"] = batch["no"] or tx.findtext(f"{ns}Refs/{ns}PmtInfId") \
                    or tx.findtext(f"{ns}Refs/{ns}MsgId")
                ok = not returned
                lines.add(tx_where, ReturnLine(
                    line_no=tx.sourceline, reference=(tx.findtext(f"{ns}Refs/{ns}EndToEndId") or "").strip(),
                    account_number=tx.findtext(f"{ns}RltdPties/{ns}DbtrAcct/{ns}Id/{ns}Othr/{ns}Id") or "",
                    amount_minor=tx_amount, ok=ok, bank_code="" if ok else (code or ""),
                    reason=None if ok else iso_reason(code),
                    message=" ".join(t.text or "" for t in tx.iterfind(f"{ns}RtrInf/{ns}AddtlInf")),
                    holder_name=tx.findtext(f"{ns}RltdPties/{ns}Dbtr/{ns}Pty/{ns}Nm") or ""))
            if amount is not None and details and details_sum != amount:
                errors.add(where, f"entry amount {_yuan(amount)}, its transactions add up to "
                                  f"{_yuan(details_sum)}")
            _release(elem)
        elif tag == "Ntfctn":
            # An entry already refused (an amount that is no number) would only repeat as a total.
            if len(errors.errors) == notification["errors"]:
                _check_summary(notification, errors)
            notification.update(summary=None, entries={"CRDT": [0, 0], "DBIT": [0, 0]},
                                errors=len(errors.errors))
            _release(elem)

    _read(data, CAMT054, ("TxsSummry", "Ntry", "Ntfctn"), handle, errors)
    if not lines.lines and not errors.errors:
        errors.add("document", "no transactions")
    errors.raise_if_any()
    return lines.result(CAMT054, batch["no"])


def _check_summary(notification: dict, errors: ErrorList) -> None:
    if notification["summary"] is None:
        return
    credit, debit = notification["entries"]["CRDT"], notification["entries"]["DBIT"]
    actual = {"TtlNtries": (credit[0] + debit[0], credit[1] + debit[1]),
              "TtlCdtNtries": tuple(credit), "TtlDbtNtries": tuple(debit)}
    _, stated = notification["summary"]
    for key, number, total, line in stated:
        where = f"line {line} TxsSummry/{key}"
        count, amount = actual[key]
        if number is not None and int(number) != count:
            errors.add(where, f"NbOfNtries is {number}, the notification has {count} entries")
        if total is not None:
            minor = _minor(total, where, errors)
            if minor is not None and minor != amount:
                errors.add(where, f"Sum is {total}, the entries add up to {_yuan(amount)}")


# --- writing results, as a bank would (tests and the demo's bank simulator) -----------------------

def write_pain002(batch: OfferBatch, lines: Iterable[ReturnLine], *, message_id: str | None = None,
                  created_at: datetime | None = None) -> bytes:
    """A bank's pain.002.001.10 for the outcomes: ok lines ACSC, failed lines RJCT with bank_code as
    the ISO reason code."""
    currency = batch.currency
    spool = _Spool()
    counts: dict[str, list[int]] = {}
    count = total = 0
    for r in lines:
        status = "ACSC" if r.ok else "RJCT"
        c = counts.setdefault(status, [0, 0])
        c[0] += 1
        c[1] += r.amount_minor
        count += 1
        total += r.amount_minor
        reason = "" if r.ok else (
            f"<StsRsnInf><Rsn>{_e('Cd', r.bank_code)}</Rsn>"
            f"{_e('AddtlInf', r.message[:105]) if r.message else ''}</StsRsnInf>")
        party = f"<Dbtr><Pty>{_e('Nm', r.holder_name)}</Pty></Dbtr>" if r.holder_name else ""
        spool.add(f"<TxInfAndSts>{_e('OrgnlEndToEndId', r.reference)}{_e('TxSts', status)}{reason}"
                  f"<OrgnlTxRef><Amt>{_amt('InstdAmt', r.amount_minor, currency)}</Amt>"
                  f"{_e('ReqdColltnDt', batch.collection_date.isoformat())}{party}"
                  f"{_acct('DbtrAcct', r.account_number) if r.account_number else ''}"
                  f"</OrgnlTxRef></TxInfAndSts>")
    per_status = "".join(f"<NbOfTxsPerSts>{_e('DtldNbOfTxs', str(n))}{_e('DtldSts', s)}"
                         f"{_e('DtldCtrlSum', _yuan(a))}</NbOfTxsPerSts>"
                         for s, (n, a) in sorted(counts.items()))
    created = (created_at or datetime.now(CHINA)).isoformat(timespec="seconds")
    head = (f"<CstmrPmtStsRpt><GrpHdr>{_e('MsgId', message_id or 'R' + batch.batch_no)}"
            f"{_e('CreDtTm', created)}</GrpHdr>"
            f"<OrgnlGrpInfAndSts>{_e('OrgnlMsgId', batch.batch_no)}{_e('OrgnlMsgNmId', PAIN008)}"
            f"{_e('OrgnlNbOfTxs', str(count))}{_e('OrgnlCtrlSum', _yuan(total))}{per_status}"
            f"</OrgnlGrpInfAndSts><OrgnlPmtInfAndSts>{_e('OrgnlPmtInfId', batch.batch_no)}"
            f"{_e('OrgnlNbOfTxs', str(count))}{_e('OrgnlCtrlSum', _yuan(total))}{per_status}")
    return spool.document(PAIN002, head, "</OrgnlPmtInfAndSts></CstmrPmtStsRpt>")


def write_camt054(batch: OfferBatch, lines: Iterable[ReturnLine], creditor_account: str, *,
                  message_id: str | None = None, created_at: datetime | None = None) -> bytes:
    """A bank's camt.054.001.08 for the outcomes: one entry per debit, a credit when paid, a debit
    with RtrInf (bank_code as the ISO return reason) when it came back unpaid."""
    currency = batch.currency
    spool = _Spool()
    sums = {"CRDT": [0, 0], "DBIT": [0, 0]}
    booked = batch.collection_date.isoformat()
    for n, r in enumerate(lines, 1):
        indicator = "CRDT" if r.ok else "DBIT"
        sums[indicator][0] += 1
        sums[indicator][1] += r.amount_minor
        family = "PMDD" if r.ok else "UPDD"
        returned = "" if r.ok else (
            f"<RtrInf><Rsn>{_e('Cd', r.bank_code)}</Rsn>"
            f"{_e('AddtlInf', r.message[:105]) if r.message else ''}</RtrInf>")
        party = f"<Dbtr><Pty>{_e('Nm', r.holder_name)}</Pty></Dbtr>" if r.holder_name else ""
        account = _acct("DbtrAcct", r.account_number) if r.account_number else ""
        spool.add(f"<Ntry>{_e('NtryRef', str(n))}{_amt('Amt', r.amount_minor, currency)}"
                  f"{_e('CdtDbtInd', indicator)}{'' if r.ok else '<RvslInd>true</RvslInd>'}"
                  f"<Sts><Cd>BOOK</Cd></Sts><BookgDt>{_e('Dt', booked)}</BookgDt>"
                  f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd>{_e('SubFmlyCd', family)}</Fmly>"
                  f"</Domn></BkTxCd><NtryDtls><TxDtls><Refs>{_e('PmtInfId', batch.batch_no)}"
                  f"{_e('EndToEndId', r.reference)}</Refs>{_amt('Amt', r.amount_minor, currency)}"
                  f"{_e('CdtDbtInd', indicator)}<RltdPties>{party}{account}</RltdPties>{returned}"
                  f"</TxDtls></NtryDtls></Ntry>")
    credit, debit = sums["CRDT"], sums["DBIT"]

    def summary(tag: str, n: int, amount: int) -> str:
        return f"<{tag}>{_e('NbOfNtries', str(n))}{_e('Sum', _yuan(amount))}</{tag}>"

    created = (created_at or datetime.now(CHINA)).isoformat(timespec="seconds")
    message = message_id or "N" + batch.batch_no
    head = (f"<BkToCstmrDbtCdtNtfctn><GrpHdr>{_e('MsgId', message)}{_e('CreDtTm', created)}</GrpHdr>"
            f"<Ntfctn>{_e('Id', message)}{_e('CreDtTm', created)}"
            f"<Acct><Id><Othr>{_e('Id', creditor_account)}</Othr></Id>{_e('Ccy', currency)}</Acct>"
            f"<TxsSummry>{summary('TtlNtries', credit[0] + debit[0], credit[1] + debit[1])}"
            f"{summary('TtlCdtNtries', *credit)}{summary('TtlDbtNtries', *debit)}</TxsSummry>")
    return spool.document(CAMT054, head, "</Ntfctn></BkToCstmrDbtCdtNtfctn>")
