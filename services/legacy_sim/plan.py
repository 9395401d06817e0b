"""How many households of each kind to generate for the requested record counts."""
from __future__ import annotations

from dataclasses import dataclass

CMS_PER_HOUSEHOLD = 1.0
SMS_PER_HOUSEHOLD = 0.6
CMS_DUPLICATE_RATE = 0.03   # CMS rows that are a person's second user number
SMS_DUPLICATE_RATE = 0.02   # SMS subscribers that are a person registered again
SMS_IN_CMS_RATE = 0.92      # digital subscribers who also still have an analog record


@dataclass(frozen=True)
class Plan:
    cms_only: int
    both: int
    sms_only: int
    cms_duplicates: int
    sms_duplicates: int

    @property
    def households(self) -> int:
        return self.cms_only + self.both + self.sms_only

    @property
    def cms_rows(self) -> int:
        return self.cms_only + self.both + self.cms_duplicates

    @property
    def sms_subscribers(self) -> int:
        return self.sms_only + self.both + self.sms_duplicates


def make_plan(households: int, cms: int | None = None, sms: int | None = None) -> Plan:
    """Exactly `cms` CMS rows and `sms` SMS subscribers when given, else about 1.0 and 0.6 per household."""
    cms_rows = round(households * CMS_PER_HOUSEHOLD) if cms is None else cms
    sms_rows = round(households * SMS_PER_HOUSEHOLD) if sms is None else sms
    if cms_rows < 0 or sms_rows < 0:
        raise ValueError("record counts must not be negative")
    cms_dups = round(cms_rows * CMS_DUPLICATE_RATE)
    sms_dups = round(sms_rows * SMS_DUPLICATE_RATE)
    cms_people, sms_people = cms_rows - cms_dups, sms_rows - sms_dups
    both = min(round(sms_people * SMS_IN_CMS_RATE), cms_people)
    return Plan(cms_only=cms_people - both, both=both, sms_only=sms_people - both,
                cms_duplicates=cms_dups, sms_duplicates=sms_dups)
