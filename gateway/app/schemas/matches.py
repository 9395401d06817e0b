"""The match review queue and the legacy import runs that feed it."""
from __future__ import annotations

from bss.customer.v1 import customer_pb2 as pb

from ..masking import mask
from .base import ApiModel, Page, opt


class MatchSidePublic(ApiModel):
    customer_no: str
    name: str
    id_no: str | None
    phone: str | None
    address: str | None
    origins: list[str]

    @classmethod
    def from_proto(cls, m: pb.MatchSide, role: str) -> "MatchSidePublic":
        return cls(customer_no=m.customer_no, name=m.name, id_no=opt(mask("id_no", m.id_no, role)),
                   phone=opt(mask("phone", m.phone, role)), address=opt(m.address), origins=list(m.origins))


class MatchPublic(ApiModel):
    """Two golden customers that may be one person, with the score and the reasons for it."""
    id: int
    left: MatchSidePublic
    right: MatchSidePublic
    score: float
    reasons: list[str]
    status: str
    decided_by: str | None
    decided_at: str | None
    created_at: str | None

    @classmethod
    def from_proto(cls, m: pb.Match, role: str) -> "MatchPublic":
        return cls(id=m.id, left=MatchSidePublic.from_proto(m.left, role),
                   right=MatchSidePublic.from_proto(m.right, role), score=m.score, reasons=list(m.reasons),
                   status=m.status, decided_by=opt(m.decided_by), decided_at=opt(m.decided_at),
                   created_at=opt(m.created_at))


class MatchesPublic(Page[MatchPublic]):
    @classmethod
    def from_proto(cls, m: pb.ListMatchesResponse, role: str) -> "MatchesPublic":
        return cls(data=[MatchPublic.from_proto(x, role) for x in m.matches], count=m.total)


class ImportRunPublic(ApiModel):
    run_id: int
    kind: str
    status: str
    started_at: str | None
    finished_at: str | None
    counts: dict[str, int]

    @classmethod
    def from_proto(cls, m: pb.ImportRun) -> "ImportRunPublic":
        return cls(run_id=m.run_id, kind=m.kind, status=m.status, started_at=opt(m.started_at),
                   finished_at=opt(m.finished_at), counts=dict(m.counts))
