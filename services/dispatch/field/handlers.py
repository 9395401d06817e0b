"""The technicians' field work: the pull of their own orders by change cursor, and the steps of a visit
(accept, arrive, complete, return unfinished), each through handlers.transition on the locked order,
so the state machine and `may_take` decide (only the order's own technician; a returned or completed
order changes only by a supervisor)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.db import Database
from services.common.errors import IllegalTransition, InvalidArgument
from services.common.inputrules import TEXT_MAX, prose

from .. import events
from ..domain import completion, feed, sla
from ..domain.access import Actor
from ..domain.states import OPEN_STATES, next_state
from ..handlers import transition, visible_order
from ..scheduling.booking import release_place
from ..store import record_transition
from ..stock import handlers as stock
from . import store

UNFINISHED_REASONS = ("customer_absent", "needs_parts", "no_access", "customer_refused", "other")


class FieldHandlers:
    def __init__(self, db: Database, timezone: str):
        self.db = db
        self.tz = ZoneInfo(timezone)

    def pull(self, actor: Actor, since: int | None, limit: int | None) -> dict:
        """The technician's orders that changed after `since` (all their open ones without it), the
        numbers of those that left them, and the cursor to send next time: two queries, however many."""
        since, limit = feed.bounds(since, limit)
        with self.db.transaction() as cur:
            horizon = store.horizon(cur, actor.username)
            changes, orders = store.feed(cur, actor.username, since, limit + 1)
        shown, removed, cursor, more = feed.page(changes, limit, since, horizon)
        return {"orders": [orders[no] for no in shown], "removed": removed, "cursor": cursor, "more": more}

    def accept(self, work_order_no: str, actor: Actor) -> dict:
        with self.db.transaction() as cur:
            order = visible_order(cur, work_order_no, actor, lock=True)
            return transition(cur, order, "accept", actor, fields={"accepted_at": self._now()})

    def arrive(self, work_order_no: str, actor: Actor) -> dict:
        """On site: the arrival time is what the order's timeliness is judged by."""
        now = self._now()
        with self.db.transaction() as cur:
            order = visible_order(cur, work_order_no, actor, lock=True)
            return transition(cur, order, "arrive", actor,
                              fields={"arrived_at": now, "on_time": sla.on_time(order["due_at"], now)})

    def complete(self, work_order_no: str, report: completion.Report, actor: Actor) -> dict:
        """The work done: the report checked against the order, the installed devices out of the
        technician's hands into the customer's home, the removed ones into the technician's hands, and
        work_order_completed published; all of it or, on any refusal, nothing."""
        with self.db.transaction() as cur:
            order = visible_order(cur, work_order_no, actor, lock=True)
            # The state first: a second completion is an illegal transition, whatever its report says.
            next_state(order["state"], "complete")
            code = store.confirmation_code(cur, order["id"])
            completion.check_codes_left(report, order["type"], code["wrong_tries"])
            try:
                completion.check(report, order["type"], order["kind"], code["code"])
            except completion.WrongCode:
                # The try is counted and committed; only then is the completion refused.
                refusal = completion.wrong_code(store.count_wrong_code(cur, order["id"], actor.username))
            else:
                installed = stock.install(cur, order, report.installed, actor)
                stock.take_out(cur, order, report.removed, actor)
                result = completion.result(report, installed)
                return transition(cur, order, "complete", actor, {"resultCode": report.result_code},
                                  {"completed_at": self._now(), "result": result}, event=events.completed)
        raise refusal

    def return_unfinished(self, work_order_no: str, reason: str, notes: str, actor: Actor) -> dict:
        """The visit could not finish: the order goes back to the station to be dispatched again, off the
        technician's list, its booked slot given back."""
        if reason not in UNFINISHED_REASONS:
            raise InvalidArgument(f"reason must be one of {', '.join(UNFINISHED_REASONS)}",
                                  reason="invalid-unfinished-reason")
        notes = prose("notes", notes, TEXT_MAX)
        with self.db.transaction() as cur:
            order = visible_order(cur, work_order_no, actor, lock=True)
            release_place(cur, order)  # a refused return rolls this back with the rest
            # Without its slot an order is due again only if its clock does not run from a booking (a repair).
            due = sla.due_at(order["type"], order["created_at"], None, None, self.tz)
            return transition(cur, order, "return_unfinished", actor, {"reason": reason, "notes": notes},
                              {"technician": None, "slot_day": None, "slot": None, "due_at": due,
                               "unfinished_count": order["unfinished_count"] + 1, "unfinished_reason": reason},
                              event=lambda o: events.returned_unfinished(o, actor.username))

    def confirmation_code(self, work_order_no: str, actor: Actor) -> dict:
        """The code the customer reads out to the technician when the work is done (domain/completion.py),
        and the wrong tries typed against it."""
        with self.db.transaction() as cur:
            order = visible_order(cur, work_order_no, actor)
            return _code_of(order, store.confirmation_code(cur, order["id"]))

    def new_confirmation_code(self, work_order_no: str, actor: Actor) -> dict:
        """A new code for the customer of an order not yet done (the old one was told to the wrong person, or
        too many wrong ones were typed): the old code stops working and the wrong tries start again."""
        with self.db.transaction() as cur:
            order = visible_order(cur, work_order_no, actor, lock=True)
            if order["state"] not in OPEN_STATES:
                raise IllegalTransition(f"work order {order['work_order_no']} is {order['state']}: its code is "
                                        "no longer used", reason="illegal-transition")
            store.new_confirmation_code(cur, order["id"], actor.username)
            record_transition(cur, order["id"], "new_confirmation_code", order["state"], order["state"],
                              actor.username, {})
            return _code_of(order, store.confirmation_code(cur, order["id"]))

    def _now(self) -> datetime:
        return datetime.now(self.tz)


def _code_of(order: dict, code: dict) -> dict:
    return {"work_order_no": order["work_order_no"], "customer_no": order["customer_no"],
            "confirmation_code": code["code"], "wrong_tries": code["wrong_tries"],
            "locked": completion.code_locked(code["wrong_tries"])}
