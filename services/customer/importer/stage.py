"""Stream legacy rows into the staging tables: normalize and validate each record in Python on the
way, send it on with COPY, and put what cannot be imported into quarantine with the reason."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from services.customer.domain.idcard import parse_id_no
from services.customer.domain.normalize import normalize_address, normalize_name, parse_phones, surname
from services.customer.legacy.cms import USER_COLUMNS, CmsAdapter
from services.customer.legacy.sms import DEVICE_COLUMNS, ENTITLEMENT_COLUMNS, SUBSCRIBER_COLUMNS, SmsAdapter

from .copy import CopyWriter

RECORD_COLUMNS = ("rec_id", "system", "legacy_key", "name", "name_norm", "surname", "id_no", "id_rejected",
                  "address", "address_norm", "area_code", "vip")
SERVICE_COLUMNS = ("system", "legacy_ref", "legacy_key", "kind", "product_code", "product_name",
                   "monthly_fee_minor", "state", "started_at", "ended_at", "card_no")
RESIDENT_ID_CERT_TYPES = ("01", "", None)
ANALOG_PRODUCT = ("ANALOG", "模拟电视")


@dataclass
class Stager:
    cur: object
    next_rec_id: int = 1
    counts: dict = field(default_factory=dict)
    watermarks: dict = field(default_factory=dict)

    def __post_init__(self):
        self.records = CopyWriter(self.cur, "imp_record", RECORD_COLUMNS)
        self.phones = CopyWriter(self.cur, "imp_phone", ("rec_id", "phone", "kind", "position"))
        self.services = CopyWriter(self.cur, "imp_service", SERVICE_COLUMNS)
        self.devices = CopyWriter(self.cur, "imp_device", ("legacy_key", "kind", "serial", "paired_serial",
                                                           "model", "status"))
        self.quarantine = CopyWriter(self.cur, "imp_quarantine", ("system", "legacy_key", "reason", "raw"))

    def flush(self) -> None:
        for writer in (self.records, self.phones, self.services, self.devices, self.quarantine):
            writer.flush()

    def _seen(self, system: str, changed_at: datetime) -> None:
        if changed_at and (system not in self.watermarks or changed_at > self.watermarks[system]):
            self.watermarks[system] = changed_at

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def _person(self, system: str, key: str, name: str | None, id_raw: str | None, phones_raw: tuple,
                address: str | None, area_code: str | None, vip: bool, raw: tuple, columns: tuple) -> bool:
        """Stage one person record; False when it went to quarantine instead."""
        name_norm = normalize_name(name)
        id_no, id_rejected = parse_id_no(id_raw)
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
            self._count("quarantined")
            self.quarantine.add((system, key, reason, json.dumps(dict(zip(columns, raw)), ensure_ascii=False,
                                                                 default=str)))
            return False
        if id_rejected:
            self._count("invalid_ids")
        rec_id = self.next_rec_id
        self.next_rec_id += 1
        self.records.add((rec_id, system, key, name.strip(), name_norm, surname(name_norm), id_no, id_rejected,
                          address.strip() if address_norm else None, address_norm, area_code, vip))
        for position, phone in enumerate(phones):
            self.phones.add((rec_id, phone.number, phone.kind, position))
        return True

    def stage_sms(self, adapter: SmsAdapter, since: datetime | None) -> None:
        for row in adapter.subscribers(since):
            self._count("sms_rows")
            (subscriber_id, name, cert_type, cert_no, mobile, tel, addr, region, vip, _status, _created,
             changed_at) = row
            self._seen("sms", changed_at)
            # Only a resident ID card (cert type 01) has a GB 11643 number; a passport number is not one.
            id_raw = cert_no if cert_type in RESIDENT_ID_CERT_TYPES else None
            self._person("sms", str(subscriber_id), name, id_raw, (mobile, tel), addr, region, bool(vip),
                         row, SUBSCRIBER_COLUMNS)
        for row in adapter.entitlements(since):
            self._count("sms_entitlements")
            (entitlement_id, subscriber_id, card_no, kind, product_id, product_name, price, state, start, end,
             changed_at) = row
            self._seen("sms", changed_at)
            self.services.add(("sms", entitlement_id, subscriber_id, kind, product_id, product_name, price, state,
                               start, end, card_no))
        for row in adapter.devices(since):
            self._count("sms_devices")
            kind, serial, subscriber_id, paired, model, status, changed_at = row
            self._seen("sms", changed_at)
            self.devices.add((subscriber_id, kind, serial, paired, model, status))

    def stage_cms(self, adapter: CmsAdapter, since: datetime | None) -> None:
        for row in adapter.users(since):
            self._count("cms_rows")
            user_no, name, id_raw, phones, address, area, state, opened, fee_code, fee_name, fee, _remarks, \
                changed_at = row
            self._seen("cms", changed_at)
            if self._person("cms", user_no, name, id_raw, (phones,), address, area, False, row, USER_COLUMNS):
                product_code, product_name = (fee_code, fee_name) if fee_name else ANALOG_PRODUCT
                self.services.add(("cms", user_no, user_no, "analog_tv", product_code, product_name, fee or 0,
                                   state, _open_date(opened), None, None))


def _open_date(khrq: str | None) -> date | None:
    """CMS open dates are CHAR(8) typed by hand; one that is not a real YYYYMMDD date is left out."""
    if not khrq or not khrq.isdigit() or len(khrq) != 8:
        return None
    try:
        return date(int(khrq[:4]), int(khrq[4:6]), int(khrq[6:]))
    except ValueError:
        return None
