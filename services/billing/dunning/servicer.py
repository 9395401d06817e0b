"""gRPC entry point of dunning (DunningService): messages to handler calls and back."""
from __future__ import annotations

from datetime import date

from bss.billing.v1 import dunning_pb2 as pb
from bss.billing.v1 import dunning_pb2_grpc as pb_grpc

from services.common.errors import InvalidArgument

from ..messages import bill_pb, money, text
from .handlers import DunningHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DunningService"].full_name
RUN_COUNTS = {"reminders": "reminder", "notices": "notice", "suspensions": "suspend",
              "write_off_proposals": "write_off", "restorations": "restorations",
              "write_offs_withdrawn": "writeOffsWithdrawn", "overdue_services": "overdueServices"}


def actor(msg) -> str:
    return msg.username or "unknown"


def as_of(value: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"as_of {value!r} is not a date (YYYY-MM-DD)", reason="invalid-date") from None
    if not 2000 <= day.year <= 2999:  # the ladder adds days to it
        raise InvalidArgument(f"as_of {value} is not a date billing works with", reason="invalid-date")
    return day


def ladder_pb(r: dict) -> pb.Ladder:
    return pb.Ladder(applies_to=r["applies_to"], reminder_after_days=r["reminder_after_days"],
                     notice_after_days=r["notice_after_days"],
                     suspension_grace_working_days=r["suspension_grace_working_days"],
                     write_off_after_days=r["write_off_after_days"], exempt_tiers=r["exempt_tiers"],
                     exempt_tags=r["exempt_tags"], exempt_steps=r["exempt_steps"], updated_by=r["updated_by"],
                     updated_at=text(r["updated_at"]))


def write_off_pb(w: dict) -> pb.WriteOff:
    written = w["written_off_minor"]
    return pb.WriteOff(write_off_no=w["write_off_no"], account_no=w["account_no"], customer_no=w["customer_no"],
                       service_nos=w["service_nos"], proposed_on=text(w["proposed_on"]),
                       proposed=money(w["proposed_minor"], w["currency"]), state=w["state"],
                       written_off=money(written, w["currency"]) if written is not None else None,
                       decided_by=w["decided_by"] or "", decided_at=text(w["decided_at"]), note=w["note"] or "")


class DunningServicer(pb_grpc.DunningServiceServicer):
    def __init__(self, handlers: DunningHandlers):
        self.h = handlers

    def ListLadders(self, request, context):
        return pb.Ladders(ladders=[ladder_pb(r) for r in self.h.ladders()])

    def ReplaceLadders(self, request, context):
        rows = [{"applies_to": x.applies_to, "reminder_after_days": x.reminder_after_days,
                 "notice_after_days": x.notice_after_days,
                 "suspension_grace_working_days": x.suspension_grace_working_days,
                 "write_off_after_days": x.write_off_after_days, "exempt_tiers": list(x.exempt_tiers),
                 "exempt_tags": list(x.exempt_tags), "exempt_steps": list(x.exempt_steps)} for x in request.ladders]
        return pb.Ladders(ladders=[ladder_pb(r) for r in self.h.replace_ladders(rows, actor(request.actor))])

    def RunDunning(self, request, context):
        counts = self.h.run(as_of(request.as_of), actor(request.actor))
        return pb.DunningRun(as_of=counts["asOf"], **{f: counts[k] for f, k in RUN_COUNTS.items()})

    def ListDunningSteps(self, request, context):
        rows, total = self.h.steps(request.account_no, request.offset, request.limit)
        return pb.ListDunningStepsResponse(count=total, steps=[pb.DunningStep(
            service_no=s["service_no"], account_no=s["account_no"], step=s["step"], taken_on=text(s["taken_on"]),
            request_no=s["request_no"], overdue=money(s["overdue_minor"]), oldest_due_on=text(s["oldest_due_on"]),
            bill_nos=s["bill_nos"], closed_on=text(s["closed_on"]), taken_by=s["taken_by"]) for s in rows])

    def HoldBill(self, request, context):
        return bill_pb(self.h.hold(request.bill_no, request.reason, actor(request.actor)))

    def ReleaseBill(self, request, context):
        return bill_pb(self.h.release(request.bill_no, actor(request.actor)))

    def SetAccountTags(self, request, context):
        tags = self.h.set_tags(request.account_no, list(request.tags), actor(request.actor))
        return pb.AccountTags(account_no=request.account_no.strip().upper(), tags=tags)

    def ListWriteOffs(self, request, context):
        rows, total = self.h.write_offs(request.state, request.offset, request.limit)
        return pb.ListWriteOffsResponse(write_offs=[write_off_pb(w) for w in rows], count=total)

    def DecideWriteOff(self, request, context):
        if request.decision not in ("approve", "reject"):
            raise InvalidArgument("decision is approve or reject", reason="invalid-decision")
        return write_off_pb(self.h.decide_write_off(request.write_off_no, request.decision, request.note,
                                                    actor(request.actor)))


def register(server, settings, db) -> list[str]:
    pb_grpc.add_DunningServiceServicer_to_server(DunningServicer(DunningHandlers(db, settings)), server)
    return [SERVICE_NAME]
