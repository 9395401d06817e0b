"""Stream legacy rows into the staging tables.

People (CMS users, SMS subscribers) are normalized and validated in Python on the way and sent on
with COPY; what cannot be imported goes to quarantine with the reason. Entitlements and devices need
no Python: they are piped from the SMS's COPY TO STDOUT into staging. On a full read both CPU cores
work: a worker process stages most of the CMS's users while this one stages the SMS's subscribers (its
entitlements and devices piped meanwhile on a second connection) and then the rest of the CMS, each system
read at one moment by every connection reading it (exported snapshots).
"""
from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from datetime import date, datetime
from functools import lru_cache
from typing import Iterable

from services.common.bulkjob import Step, in_steps, job_connection
from services.common.copy import CopyWriter, pipe_copy
from services.customer.domain.idcard import parse_id_no
from services.customer.domain.normalize import normalize_address, normalize_name, parse_phones, surname
from services.customer.legacy.cms import USER_COLUMNS, CmsAdapter
from services.customer.legacy.sms import DEVICE_COLUMNS, ENTITLEMENT_COLUMNS, SUBSCRIBER_COLUMNS, SmsAdapter

RECORD_COLUMNS = ("rec_id", "system", "legacy_key", "name", "name_norm", "surname", "id_no", "id_rejected",
                  "address", "address_norm", "area_code", "vip")
SERVICE_COLUMNS = ("system", "legacy_ref", "legacy_key", "kind", "product_code", "product_name",
                   "monthly_fee_minor", "state", "started_at", "ended_at", "card_no", "changed_at")
RESIDENT_ID_CERT_TYPES = ("01", "", None)
ANALOG_PRODUCT = ("ANALOG", "模拟电视")
# Record numbers of the two systems never meet; the lower SMS numbers make an SMS record the anchor
# (the name and number on the customer) when nothing else decides. The CMS's users after the worker's
# share are numbered from the second start, after the worker's whatever their count.
CMS_FIRST_REC_ID = 10 ** 10
CMS_SECOND_REC_ID = 2 * 10 ** 10
# Of a full read, the worker process stages this share of the CMS's users; this one stages the SMS, whose
# entitlements and devices are mostly the server's work, and then the rest. At three quarters this one
# waited 2-3 s for the worker over the bench's 1.6 million records; at 0.7, under a second.
CMS_WORKER_SHARE = 0.7


class Stager:
    def __init__(self, cur, first_rec_id: int):
        self.cur = cur
        self.next_rec_id = first_rec_id
        self.counts: dict[str, int] = {"quarantined": 0, "invalid_ids": 0}
        self.watermark: datetime | None = None
        self.today = date.today()  # one day for the whole run, and a clock read less a person
        self.records = CopyWriter(cur, "imp_record", RECORD_COLUMNS)
        self.phones = CopyWriter(cur, "imp_phone", ("rec_id", "phone", "kind", "position"))
        self.services = CopyWriter(cur, "imp_service", SERVICE_COLUMNS)
        self.quarantine = CopyWriter(cur, "imp_quarantine", ("system", "legacy_key", "reason", "raw"))

    def flush(self) -> None:
        for writer in (self.records, self.phones, self.services, self.quarantine):
            writer.flush()

    def seen(self, changed_at: datetime | None) -> None:
        if changed_at and (self.watermark is None or changed_at > self.watermark):
            self.watermark = changed_at

    def person(self, system: str, key: str, name: str | None, id_raw: str | None, phones_raw: tuple,
               address: str | None, area_code: str | None, vip: bool, raw: tuple, columns: tuple) -> bool:
        """Stage one person record; False when it went to quarantine instead."""
        name_norm = normalize_name(name)
        id_no, id_rejected = parse_id_no(id_raw, self.today)
        phones = []
        for text in phones_raw:
            for phone in parse_phones(text):
                if phone not in phones:
                    phones.append(phone)
        address_norm = normalize_address(address)
        reason = ("no usable name" if name_norm is None
                  else "nothing identifies the person: no valid ID number, phone or address"
                  if not (id_no or phones or address_norm) else None)
        if reason:
            self.counts["quarantined"] += 1
            self.quarantine.add((system, key, reason, json.dumps(dict(zip(columns, raw)), ensure_ascii=False,
                                                                 default=str)))
            return False
        if id_rejected:
            self.counts["invalid_ids"] += 1
        rec_id = self.next_rec_id
        self.next_rec_id += 1
        self.records.add((rec_id, system, key, name.strip(), name_norm, surname(name_norm), id_no, id_rejected,
                          address.strip() if address_norm else None, address_norm, area_code, vip))
        for position, phone in enumerate(phones):
            self.phones.add((rec_id, phone.number, phone.kind, position))
        return True


def stage_sms(cur, customer_url: str, sms: SmsAdapter, since: datetime | None) -> tuple[dict, datetime | None]:
    """The SMS's subscribers, entitlements and devices staged and committed. On a full read the entitlements
    and devices are piped on a second connection while the subscribers are normalized, both from one moment
    of the SMS (an exported snapshot): the pipes are the server's work, the subscribers Python's."""
    staged: list = []

    def subscribers(c, legacy) -> None:
        stager = Stager(c, 1)
        rows = 0
        for row in legacy.subscribers(since):
            rows += 1
            subscriber_id, name, cert_type, cert_no, mobile, tel, addr, region, vip, _, _, changed_at = row
            stager.seen(changed_at)
            # Only a resident ID card (cert type 01) has a GB 11643 number; a passport number is not one.
            id_raw = cert_no if cert_type in RESIDENT_ID_CERT_TYPES else None
            stager.person("sms", str(subscriber_id), name, id_raw, (mobile, tel), addr, region, bool(vip),
                          row, SUBSCRIBER_COLUMNS)
        stager.flush()
        staged.extend((stager, rows))

    with sms.snapshot() as legacy:
        if since is None:
            shared = legacy.exported()

            def pipes(c) -> None:
                with sms.snapshot(shared) as same_moment:
                    _pipe(c, same_moment, since)
            second = job_connection(customer_url, "customer", "legacy-import-sms")
            with closing(second), second.cursor() as second_cur:
                in_steps([cur, second_cur], [Step("entitlements and devices", pipes),
                                             Step("subscribers", lambda c: subscribers(c, legacy))])
        else:  # a sync reads a few changed rows: a second connection would cost more than it saves
            subscribers(cur, legacy)
            _pipe(cur, legacy, since)
    stager, rows = staged
    cur.execute("SELECT (SELECT count(*) FROM imp_service WHERE system = 'sms'), (SELECT count(*) FROM imp_device),"
                " greatest((SELECT max(changed_at) FROM imp_service WHERE system = 'sms'),"
                " (SELECT max(changed_at) FROM imp_device))")
    entitlements, devices, latest = cur.fetchone()
    stager.seen(latest)
    return {**stager.counts, "sms_rows": rows, "sms_entitlements": entitlements, "sms_devices": devices}, \
        stager.watermark


def _pipe(cur, legacy, since: datetime | None) -> None:
    pipe_copy(lambda sink: legacy.copy_entitlements(since, sink), cur, "imp_service", ENTITLEMENT_COLUMNS)
    pipe_copy(lambda sink: legacy.copy_devices(since, sink), cur, "imp_device", DEVICE_COLUMNS)


def stage_cms(customer_url: str, cms_url: str, since: datetime | None, shared: str | None = None,
              numbers: tuple[str | None, str | None] = (None, None)) -> tuple[dict, datetime | None]:
    """The CMS users (those numbered in `numbers`, at the moment `shared` when given) staged on a connection
    of its own and committed; runs in a worker process on a full read."""
    conn = job_connection(customer_url, "customer", "legacy-import-cms")
    try:
        with conn.cursor() as cur, CmsAdapter(cms_url).snapshot(shared) as cms:
            staged = stage_cms_users(cur, cms.users(since, numbers), CMS_FIRST_REC_ID)
        conn.commit()
    finally:
        conn.close()
    return staged


def stage_cms_users(cur, users: Iterable[tuple], first_rec_id: int) -> tuple[dict, datetime | None]:
    stager = Stager(cur, first_rec_id)
    rows = 0
    for row in users:
        rows += 1
        user_no, name, id_raw, phones, address, area, state, opened, fee_code, fee_name, fee, _, changed_at = row
        stager.seen(changed_at)
        if stager.person("cms", user_no, name, id_raw, (phones,), address, area, False, row, USER_COLUMNS):
            product_code, product_name = (fee_code, fee_name) if fee_name else ANALOG_PRODUCT
            stager.services.add(("cms", user_no, user_no, "analog_tv", product_code, product_name,
                                 fee or 0, state, _open_date(opened), None, None, changed_at))
    stager.flush()
    return {**stager.counts, "cms_rows": rows}, stager.watermark


def stage_both(cur, customer_url: str, cms_url: str, sms: SmsAdapter, since: dict) -> tuple[dict, dict]:
    """Stage both systems; returns the counts and the latest change time seen per system. The caller
    commits what is staged on `cur`."""
    if since.get("cms") is None:
        # A full read: most of the CMS's users go to a worker process while this one stages the SMS and
        # then the rest of the CMS, all from one moment of the CMS. Spawned, not forked: a forked child
        # would inherit (and on exit close) this process's connections.
        with CmsAdapter(cms_url).snapshot() as cms, \
                ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            bound = cms.number_at(CMS_WORKER_SHARE)
            cms_job = pool.submit(stage_cms, customer_url, cms_url, None, cms.exported(), (None, bound))
            sms_counts, sms_mark = stage_sms(cur, customer_url, sms, since.get("sms"))
            own_counts, own_mark = stage_cms_users(cur, cms.users(None, (bound, None)) if bound else (),
                                                   CMS_SECOND_REC_ID)
            cms_counts, cms_mark = _added(cms_job.result(), (own_counts, own_mark))
    else:  # a sync reads a few changed rows: starting a process would cost more than it saves
        sms_counts, sms_mark = stage_sms(cur, customer_url, sms, since.get("sms"))
        cms_counts, cms_mark = stage_cms(customer_url, cms_url, since["cms"])
    counts, _ = _added((sms_counts, None), (cms_counts, None))
    return counts, {system: mark for system, mark in (("cms", cms_mark), ("sms", sms_mark)) if mark}


def _added(*staged: tuple[dict, datetime | None]) -> tuple[dict, datetime | None]:
    """Counts of several stagings added up, and the latest change time any of them saw."""
    counts: dict = {}
    for part, _ in staged:
        for key, value in part.items():
            counts[key] = counts.get(key, 0) + value
    marks = [mark for _, mark in staged if mark]
    return counts, max(marks, default=None)


@lru_cache(maxsize=1 << 16)  # a few thousand days open accounts, each read once rather than once a user
def _open_date(khrq: str | None) -> date | None:
    """CMS open dates are CHAR(8) typed by hand; one that is not a real YYYYMMDD date is left out."""
    if not khrq or not khrq.isdigit() or len(khrq) != 8:
        return None
    try:
        return date(int(khrq[:4]), int(khrq[4:6]), int(khrq[6:]))
    except ValueError:
        return None
