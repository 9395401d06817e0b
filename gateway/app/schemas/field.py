"""The technicians' phone on the wire: the pull of their orders by cursor, and the steps of a visit."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bss.dispatch.v1 import dispatch_pb2, field_pb2 as pb

from ..auth import User
from .base import ApiModel, InputModel, Page
from .work_orders import WorkOrderPublic, actor

DeviceKind = Literal["stb", "smart_card"]
Serial = Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{4,40}$")]
Notes = Annotated[str, Field(max_length=2000)]


class WorkOrderFeed(Page[WorkOrderPublic]):
    """A pull: the orders to show (changed, or all open ones on a first pull), the numbers to drop, and the
    cursor to send as `since` next time; with `more`, pull again at once."""
    removed: list[str]
    cursor: int
    more: bool

    @classmethod
    def from_proto(cls, reply: pb.PullWorkOrdersResponse, role: str) -> "WorkOrderFeed":
        return cls(data=[WorkOrderPublic.from_proto(w, role) for w in reply.work_orders], count=len(reply.work_orders),
                   removed=list(reply.removed), cursor=reply.cursor, more=reply.more)


class InstalledDevice(InputModel):
    kind: DeviceKind
    serial: Serial
    model: Annotated[str, Field(max_length=40)] | None = None


class RemovedDevice(InputModel):
    kind: DeviceKind
    serial: Serial
    faulty: bool = False


class WorkOrderCompletion(InputModel):
    """What the technician did. `confirmationCode` is what the customer reads out (the front line gave it
    to them): required for an install, a digital conversion and an equipment swap."""
    result_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
    devices_installed: Annotated[list[InstalledDevice], Field(max_length=2)] = []
    devices_removed: Annotated[list[RemovedDevice], Field(max_length=2)] = []
    signal_readings: Annotated[dict[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")],
                                    Annotated[float, Field(allow_inf_nan=False)]], Field(max_length=20)] = {}
    notes: Notes = ""
    confirmation_code: Annotated[str, Field(pattern=r"^[0-9]{4,8}$")] | None = None

    def to_proto(self, work_order_no: str, user: User) -> pb.CompleteWorkOrderRequest:
        return pb.CompleteWorkOrderRequest(
            work_order_no=work_order_no, result_code=self.result_code,
            devices_installed=[dispatch_pb2.Device(kind=d.kind, serial=d.serial, model=d.model or "")
                               for d in self.devices_installed],
            devices_removed=[pb.RemovedDevice(kind=d.kind, serial=d.serial, faulty=d.faulty)
                             for d in self.devices_removed],
            signal_readings=self.signal_readings, notes=self.notes,
            confirmation_code=self.confirmation_code or "", actor=actor(user))


class WorkOrderUnfinished(InputModel):
    reason: Literal["customer_absent", "needs_parts", "no_access", "customer_refused", "other"]
    notes: Notes = ""


class ConfirmationCodePublic(ApiModel):
    id: str
    customer_no: str
    confirmation_code: str
    wrong_tries: int = Field(description="wrong codes typed against this one")
    locked: bool = Field(description="too many wrong codes: the order takes none until the customer is given "
                                     "a new one (POST to this path)")

    @classmethod
    def from_proto(cls, c) -> "ConfirmationCodePublic":
        return cls(id=c.work_order_no, customer_no=c.customer_no, confirmation_code=c.code,
                   wrong_tries=c.wrong_tries, locked=c.locked)
