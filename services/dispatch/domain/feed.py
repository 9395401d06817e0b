"""The technicians' change feed (GET /technicians/me/workOrders?since=): how a page of changes becomes
what the phone applies, and the cursor it sends next time.

A change is an order of theirs that changed (its change_seq) or one that left them (a removal at the
change_seq that took it away). Changes come in change_seq order; a page ends after `limit` of them, and its
cursor is the last one's number, so the next page starts right after it and nothing is skipped. A page
that is not cut short ends at the horizon: every number taken so far (the pull waited for the changes in
flight), so the next pull does not read this technician's older history again.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import InvalidArgument

MAX_LIMIT = 200
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class Change:
    seq: int
    work_order_no: str
    removed: bool


def page(changes: list[Change], limit: int, since: int | None, horizon: int) -> tuple[list[str], list[str], int, bool]:
    """(numbers of the orders to show, numbers to drop, cursor, more) for `changes` in change_seq order,
    read with `limit + 1` to learn whether there are more.

    An order that left the technician and came back within the page is shown, not dropped: it is theirs
    now (its latest change is after the removal), and the phone applies a page as a whole."""
    more = len(changes) > limit
    taken = changes[:limit]
    shown = [c.work_order_no for c in taken if not c.removed]
    dropped = list(dict.fromkeys(c.work_order_no for c in taken if c.removed and c.work_order_no not in shown))
    if more:
        cursor = taken[-1].seq
    else:
        cursor = max([horizon, since or 0] + [c.seq for c in taken])
    return shown, dropped, cursor, more


def bounds(since: int | None, limit: int | None) -> tuple[int | None, int]:
    """The cursor and page size asked for, within what a pull answers."""
    if since is not None and since < 0:
        raise InvalidArgument("since is a cursor from an earlier pull (0 or more)", reason="invalid-cursor")
    if limit is None or limit <= 0:
        return since, DEFAULT_LIMIT
    return since, min(limit, MAX_LIMIT)
