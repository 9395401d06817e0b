"""Dunning's pure glue around domain/dunning.py and domain/states.py: a configured ladder checked and
built, the step each overdue service is due, a bill's state for a hold or release, account tags."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping

from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar

from ..domain.dunning import STEPS, DueStep, Ladder, due_step

# What a ladder may apply to: a catalog product category or a customer-service kind of service.
PRODUCT_CATEGORIES = ("analog_basic", "digital_basic", "premium", "broadband", "installation", "deposit", "other")
SERVICE_KINDS = ("analog_tv", "digital_tv", "broadband")
DEFAULT = "default"
APPLIES_TO = frozenset((DEFAULT, *PRODUCT_CATEGORIES, *SERVICE_KINDS))
TIERS = frozenset({"VIP", "household", "regular"})
TAG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TAGS = 20


def ladder_of(row: Mapping) -> Ladder:
    """A ladder from its configuration row; InvalidArgument (reason invalid-ladder) when it makes no sense."""
    for name in ("exempt_tiers", "exempt_tags", "exempt_steps"):
        if not isinstance(row.get(name), (list, tuple, set, frozenset)) or not all(
                isinstance(x, str) for x in row[name]):
            raise InvalidArgument(f"{name} is a list of names", reason="invalid-ladder")
    unknown_tiers = set(row["exempt_tiers"]) - TIERS
    if unknown_tiers:
        raise InvalidArgument(f"unknown tiers {', '.join(sorted(unknown_tiers))}; tiers are "
                              f"{', '.join(sorted(TIERS))}", reason="invalid-ladder")
    bad_tags = [t for t in row["exempt_tags"] if not TAG.match(t)]
    if bad_tags:
        raise InvalidArgument(f"tags are lowercase names (a-z, 0-9, _): {', '.join(bad_tags)}",
                              reason="invalid-ladder")
    return Ladder(reminder_after_days=row["reminder_after_days"], notice_after_days=row["notice_after_days"],
                  suspension_grace_working_days=row["suspension_grace_working_days"],
                  write_off_after_days=row["write_off_after_days"], exempt_tiers=frozenset(row["exempt_tiers"]),
                  exempt_tags=frozenset(row["exempt_tags"]), exempt_steps=frozenset(row["exempt_steps"]))


def checked_ladders(rows: list[Mapping]) -> list[dict]:
    """A whole configuration: one ladder per known applies_to, the default among them; rows normalised
    (sorted lists) for storing."""
    names = [r.get("applies_to") for r in rows]
    unknown = [n for n in names if n not in APPLIES_TO]
    if unknown:
        raise InvalidArgument(f"a ladder applies to default, a product category or a kind of service "
                              f"({', '.join(sorted(APPLIES_TO))}), not {', '.join(map(repr, unknown))}",
                              reason="invalid-ladder")
    if len(set(names)) != len(names):
        raise InvalidArgument("each ladder applies to something else", reason="invalid-ladder")
    if DEFAULT not in names:
        raise InvalidArgument("the configuration needs a default ladder", reason="invalid-ladder")
    out = []
    for row in rows:
        ladder = ladder_of(row)
        out.append({"applies_to": row["applies_to"], "reminder_after_days": ladder.reminder_after_days,
                    "notice_after_days": ladder.notice_after_days,
                    "suspension_grace_working_days": ladder.suspension_grace_working_days,
                    "write_off_after_days": ladder.write_off_after_days,
                    "exempt_tiers": sorted(ladder.exempt_tiers), "exempt_tags": sorted(ladder.exempt_tags),
                    "exempt_steps": [s for s in STEPS if s in ladder.exempt_steps]})
    return out


@dataclass(frozen=True)
class Planned:
    service: Mapping  # the overdue service's row
    step: DueStep


def plan(services: Iterable[Mapping], ladders: Mapping[str, Ladder], today: date,
         calendar: WorkingCalendar) -> list[Planned]:
    """The step each overdue service takes today, if any. A service row has its ladder's name, the due
    date of its oldest overdue share, its account's tier and tags, and `taken` (step -> ISO date or date)."""
    out = []
    for s in services:
        taken = {k: v if isinstance(v, date) else date.fromisoformat(v) for k, v in s["taken"].items()}
        ladder = ladders.get(s["ladder"]) or ladders[DEFAULT]
        due = due_step(ladder, s["oldest_due_on"], taken, today, calendar, tier=s["tier"], tags=s["tags"])
        if due is not None:
            out.append(Planned(s, due))
    return out


def bill_state(bill: Mapping, today: date) -> str:
    """The bill's state in domain/states.py's terms, from what is stored (settle() keeps issued,
    partially_paid, paid or written_off; a hold is its reason; overdue is the due date passed)."""
    if bill["state"] == "written_off":
        return "written_off"
    if bill["hold_reason"]:
        return "on_hold"
    if bill["open_minor"] <= 0:
        return "paid"
    if bill["due_on"] < today:
        return "overdue"
    return "partially_paid" if bill["open_minor"] < bill["amount_minor"] else "issued"


def release_event(bill: Mapping, today: date) -> str:
    """The release that puts a held bill where its payments and due date say (a bill paid in full while
    held keeps settle()'s state, paid)."""
    if bill["open_minor"] > 0 and bill["due_on"] < today:
        return "release_overdue"
    if 0 < bill["open_minor"] < bill["amount_minor"]:
        return "release_part_paid"
    return "release"


def checked_tags(tags: Iterable[str]) -> list[str]:
    tags = list(tags)
    if not all(isinstance(t, str) for t in tags):
        raise InvalidArgument("tags are text", reason="invalid-tags")
    tags = sorted({t.strip() for t in tags})
    bad = [t for t in tags if not TAG.match(t)]
    if bad:
        raise InvalidArgument(f"tags are lowercase names (a-z, 0-9, _, at most 40): {', '.join(map(repr, bad))}",
                              reason="invalid-tags")
    if len(tags) > MAX_TAGS:
        raise InvalidArgument(f"an account has at most {MAX_TAGS} tags", reason="invalid-tags")
    return tags
