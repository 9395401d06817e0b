"""gRPC entry point of the customer service: translates messages to handler calls and back, nothing more.

Run: python -m services.customer.grpc_server   (or python -m services.common.grpc_main customer; listens on
BSS_CUSTOMER_GRPC, default 127.0.0.1:50051)
"""
from __future__ import annotations

from datetime import datetime

from bss.customer.v1 import customer_pb2 as pb
from bss.customer.v1 import customer_pb2_grpc as pb_grpc

from services.common.db import Database
from services.common.grpc_server import run

from .handlers import (Actor, ChangeServiceState, CreateCustomer, CustomerHandlers, EntitleSmartCard,
                       RecordContact, UpdateContact)
from .legacy.cms import CmsAdapter
from .legacy.sms import SmsAdapter
from .orders.handlers import OrderHandlers
from .service import SPEC
from .settings import CustomerSettings

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CustomerService"].full_name
# store.services_in_areas's row tuples, column by column.
SERVICE_PAGE_COLUMNS = tuple(f.name for f in pb.ServicePage.DESCRIPTOR.fields)


def ts(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def actor(msg) -> Actor:
    return Actor(username=msg.username or "unknown", role=msg.role)


def service_pb(s: dict) -> pb.Service:
    return pb.Service(
        service_no=s["service_no"], kind=s["kind"], origin=s["origin"], legacy_ref=s["legacy_ref"] or "",
        product_code=s["product_code"], product_name=s["product_name"],
        monthly_fee_minor=s["monthly_fee_minor"], currency=s["currency"], state=s["state"],
        started_at=ts(s["started_at"]), ended_at=ts(s["ended_at"]), account_no=s["account_no"] or "",
        premises_id=str(s["premises_id"] or ""), device_serial=s["device_serial"] or "")


def account_pb(a: dict) -> pb.Account:
    return pb.Account(account_no=a["account_no"], name=a["name"], status=a["status"],
                      service_nos=a["service_nos"], premises_id=str(a["premises_id"] or ""))


def premises_pb(p: dict) -> pb.Premises:
    return pb.Premises(premises_id=str(p["premises_id"]), address=p["address"], area_code=p["area_code"] or "",
                       station_code=p["station_code"] or "", station_name=p["station_name"] or "")


def exported_pb(c: dict) -> pb.ExportedCustomer:
    return pb.ExportedCustomer(
        customer_no=c["customer_no"], name=c["name"], tier=c["tier"], status=c["status"],
        merged_into=c["merged_into_no"] or "", accounts=[account_pb(a) for a in c["accounts"]],
        premises=[premises_pb(p) for p in c["premises"]], services=[service_pb(s) for s in c["services"]],
        updated_at=ts(c["updated_at"]))


def customer_pb(c: dict) -> pb.CustomerView:
    return pb.CustomerView(
        customer_no=c["customer_no"], name=c["name"], id_type=c["id_type"], id_no=c["id_no"] or "",
        tier=c["tier"], status=c["status"], merged_into=c["merged_into_no"] or "", email=c["email"] or "",
        phones=[pb.Phone(number=p["phone"], kind=p["kind"], primary=p["is_primary"], source=p["source"])
                for p in c["phones"]],
        accounts=[account_pb(a) for a in c["accounts"]],
        premises=[premises_pb(p) for p in c["premises"]],
        services=[service_pb(s) for s in c["services"]],
        devices=[pb.Device(kind=d["kind"], serial=d["serial"], paired_serial=d["paired_serial"] or "",
                           status=d["status"], origin=d["origin"], model=d["model"] or "") for d in c["devices"]],
        links=[pb.LegacyLink(system=link["system"], legacy_key=link["legacy_key"], method=link["method"],
                             score=link["score"] or 0.0) for link in c["links"]],
        recent_contacts=[contact_pb(x) for x in c["recent_contacts"]],
        created_at=ts(c["created_at"]), updated_at=ts(c["updated_at"]), updated_by=c["updated_by"])


def summary_pb(r: dict, matched_on: str = "") -> pb.CustomerSummary:
    return pb.CustomerSummary(customer_no=r["customer_no"], name=r["name"], id_no=r["id_no"] or "",
                              primary_phone=r["primary_phone"] or "", address=r["address"] or "",
                              tier=r["tier"], status=r["status"], origins=r["origins"] or ["bss"],
                              matched_on=matched_on)


def contact_pb(x: dict) -> pb.Contact:
    return pb.Contact(id=x["id"], channel=x["channel"], kind=x["kind"], summary=x["summary"], actor=x["actor"],
                      at=ts(x["at"]))


def write_back_pb(w: dict) -> pb.WriteBack:
    return pb.WriteBack(system=w["system"], outcome=w["outcome"], detail=w["detail"] or "", at=ts(w["at"]))


def _side(s: dict) -> pb.MatchSide:
    return pb.MatchSide(customer_no=s["customer_no"], name=s["name"], id_no=s["id_no"] or "",
                        phone=s["phone"] or "", address=s["address"] or "", origins=s["origins"] or [])


def match_pb(m: dict) -> pb.Match:
    return pb.Match(id=m["id"], left=_side(m["left_side"]), right=_side(m["right_side"]), score=m["score"],
                    reasons=m["reasons"], status=m["status"], decided_by=m["decided_by"] or "",
                    decided_at=ts(m["decided_at"]), created_at=ts(m["created_at"]))


class CustomerServicer(pb_grpc.CustomerServiceServicer):
    def __init__(self, handlers: CustomerHandlers):
        self.h = handlers

    def GetCustomer(self, request, context):
        return customer_pb(self.h.get(request.customer_no, request.recent_contacts))

    def GetCustomers(self, request, context):
        return pb.CustomerViews(customers=[customer_pb(c) for c in self.h.get_many(list(request.customer_nos),
                                                                                   request.recent_contacts)])

    def SearchCustomers(self, request, context):
        rows, total, capped, field = self.h.search(request.q, request.offset, request.limit)
        return pb.SearchCustomersResponse(total=total, total_capped=capped,
                                          customers=[summary_pb(r, field) for r in rows])

    def BrowseCustomers(self, request, context):
        rows, total, capped = self.h.browse(
            request.offset, request.limit, station_code=request.station_code, status=request.status,
            tier=request.tier, origin=request.origin)
        return pb.BrowseCustomersResponse(customers=[summary_pb(r) for r in rows], total=total,
                                          total_capped=capped)

    def CreateCustomer(self, request, context):
        return customer_pb(self.h.create(CreateCustomer(
            name=request.name, id_no=request.id_no, phone=request.phone, email=request.email,
            address=request.address, area_code=request.area_code, tier=request.tier or "regular",
            actor=actor(request.actor))))

    def UpdateContact(self, request, context):
        def opt(field):
            return getattr(request, field) if request.HasField(field) else None
        return customer_pb(self.h.update_contact(UpdateContact(
            customer_no=request.customer_no, phone=opt("phone"), email=opt("email"), address=opt("address"),
            area_code=opt("area_code"), tier=opt("tier"), actor=actor(request.actor))))

    def ListServices(self, request, context):
        return pb.ListServicesResponse(services=[service_pb(s) for s in self.h.services(request.customer_no)])

    def ChangeServiceState(self, request, context):
        svc, wb = self.h.change_service_state(ChangeServiceState(
            customer_no=request.customer_no, service_no=request.service_no, action=request.action,
            reason=request.reason, actor=actor(request.actor)))
        return pb.ChangeServiceStateResponse(service=service_pb(svc), write_back=write_back_pb(wb))

    def EntitleSmartCard(self, request, context):
        svc, wb = self.h.entitle_smart_card(EntitleSmartCard(
            customer_no=request.customer_no, card_no=request.card_no, product_code=request.product_code,
            actor=actor(request.actor)))
        return pb.ChangeServiceStateResponse(service=service_pb(svc), write_back=write_back_pb(wb))

    def RecordContact(self, request, context):
        return contact_pb(self.h.record_contact(RecordContact(
            customer_no=request.customer_no, channel=request.channel, kind=request.kind,
            summary=request.summary, actor=actor(request.actor))))

    def ListMatches(self, request, context):
        rows, total = self.h.matches(request.status or "pending", request.offset, request.limit)
        return pb.ListMatchesResponse(matches=[match_pb(m) for m in rows], total=total)

    def AcceptMatch(self, request, context):
        return match_pb(self.h.accept_match(request.match_id, actor(request.actor)))

    def RejectMatch(self, request, context):
        return match_pb(self.h.reject_match(request.match_id, actor(request.actor)))

    def GetImportRun(self, request, context):
        run = self.h.import_run(request.run_id)
        return pb.ImportRun(run_id=run["id"], kind=run["kind"], status=run["status"],
                            started_at=ts(run["started_at"]), finished_at=ts(run["finished_at"]),
                            counts={k: int(v) for k, v in run["counts"].items() if isinstance(v, (int, float))})

    def ExportCustomers(self, request, context):
        for position, page in self.h.export(request.page_size):
            yield pb.CustomerExportPage(position=position, customers=[exported_pb(c) for c in page])

    def StreamServices(self, request, context):
        for rows in self.h.services_in_areas(list(request.area_codes), request.kind, request.state, request.page_size):
            columns = list(zip(*rows)) or [()] * len(SERVICE_PAGE_COLUMNS)
            yield pb.ServicePage(**dict(zip(SERVICE_PAGE_COLUMNS, columns)))


def register(server, settings: CustomerSettings, db: Database) -> list[str]:
    """The servicers on the server (the customers', and their product orders'), wired to the service's
    database and the legacy adapters."""
    from .orders.servicer import register as register_orders  # it imports this module's translations

    cms, sms = CmsAdapter(settings.legacy_cms_url), SmsAdapter(settings.legacy_sms_url)
    pb_grpc.add_CustomerServiceServicer_to_server(CustomerServicer(CustomerHandlers(db, cms, sms)), server)
    return [SERVICE_NAME, *register_orders(server, OrderHandlers(db, cms, sms))]


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
