"""The REST API's shapes for requests for information."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from puente.i18n import translate
from puente.policy.schemas import MarkingsPublic
from puente.rfis import approvals, reports, service
from puente.shapes import Moment


class RfiCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner: str = Field(description="The partner node's id")
    title: str
    question: str
    case_reference: str
    legal_basis: str
    priority: str = Field("routine", description="routine, priority or urgent")
    recipients: list[str] = Field(default_factory=list, description="Other users here")
    hit_query_id: str = Field("", description="The query whose hit this request follows")
    subject: int = Field(0, ge=0, description="Which subject of that query")
    send: bool = Field(True, description="False keeps it as a draft")

    def new_request(self) -> service.NewRequest:
        return service.NewRequest(
            partner=self.partner, title=self.title, question=self.question,
            case_reference=self.case_reference, legal_basis=self.legal_basis,
            priority=self.priority, recipients=self.recipients,
            hit_query_id=self.hit_query_id, send=self.send,
        )  # fmt: skip


class RfiAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = ""
    assignee: str = ""
    answer: str = ""
    records: list[str] = Field(default_factory=list, description="Records of this node to release")
    tlp: str = "AMBER"
    handling: str = "H2"
    release_reason: str = Field(
        "", description="Why the records should be released, for the originating agencies "
        "whose approval a record needs (see docs/requests.md)")  # fmt: skip


class RecordBrief(BaseModel):
    id: str
    name: str
    markings: MarkingsPublic = Field(description="The original's markings")


class ApprovalOut(BaseModel):
    """A record of a held answer, awaiting (or given) its originating agency's approval."""

    id: str
    rfi_id: str
    rfi_title: str
    partner: str
    requester: str
    requester_agency: str
    record: RecordBrief | None = Field(description="None when the reader may not see it")
    agency: str = Field(description="The originating agency, which decides")
    why: list[str] = Field(description="Why its approval is needed, in the reader's language")
    reason: str = Field(description="The liaison's reason")
    asked_by: str
    asked_at: Moment
    proposed: MarkingsPublic = Field(description="The copy's markings as proposed (approved)")
    state: str = Field(description="pending, approved, refused or cancelled")
    decided_by: str
    decided_at: Moment | None
    note: str = Field(description="The approver's note, or why it refused")

    @classmethod
    def of(cls, view: approvals.ApprovalView, locale: str) -> ApprovalOut:
        record = None
        if view.record_id and view.original is not None:
            record = RecordBrief(id=view.record_id, name=view.record_name,
                                 markings=MarkingsPublic.of(view.original))  # fmt: skip
        return cls(
            id=view.id, rfi_id=view.rfi_id, rfi_title=view.rfi_title, partner=view.partner,
            requester=view.requester, requester_agency=view.requester_agency, record=record,
            agency=view.agency, why=[translate(locale, p.message, **p.params) for p in view.why],
            reason=view.reason, asked_by=view.asked_by, asked_at=view.asked_at,
            proposed=MarkingsPublic.of(view.proposed), state=view.state,
            decided_by=view.decided_by, decided_at=view.decided_at, note=view.note,
        )  # fmt: skip


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tlp: str = Field("", description="The copy's TLP; empty: as proposed")
    handling: str = Field("", description="The copy's handling code; empty: as proposed")
    note: str = Field("", description="A note for the liaison")


class RefusalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", description="Why the release is refused (required)")


class RfiSummaryOut(BaseModel):
    id: str
    direction: str
    partner: str
    state: str
    priority: str
    title: str
    case_reference: str
    requester: str
    assignee: str
    sent_at: Moment | None
    due_at: Moment | None
    closed_at: Moment | None
    overdue: bool


class RfiEventOut(BaseModel):
    at: Moment
    actor: str
    action: str
    state: str
    note: str


class RfiOut(RfiSummaryOut):
    question: str
    legal_basis: str
    recipients: list[str]
    category: str
    subject: dict[str, Any]
    matched: list[str]
    answer: str
    decline_reason: str
    released: list[str] = Field(description="The released records this reader may open here")
    released_count: int = Field(description="How many were released, seen or not")
    released_tlp: str
    history: list[RfiEventOut]
    approvals: list[ApprovalOut] = Field(
        description="On the answering node: the originating agencies' approvals its answers "
        "waited for")  # fmt: skip

    @classmethod
    def of(cls, found: reports.RfiDetail, locale: str = "en") -> RfiOut:
        rfi = found.rfi
        return cls(
            **found.summary.__dict__, question=rfi.question, legal_basis=rfi.legal_basis,
            recipients=found.recipients, category=rfi.category, subject=found.subject,
            matched=found.matched, answer=rfi.answer, decline_reason=rfi.decline_reason,
            released=[r.stix_id for r in found.released if r.label],
            released_count=len(found.released), released_tlp=rfi.released_tlp,
            history=[RfiEventOut(at=e.at, actor=e.actor, action=e.action, state=e.state,
                                 note=e.note) for e in found.events],
            approvals=[ApprovalOut.of(a, locale) for a in found.approvals],
        )  # fmt: skip


class TimelinessOut(BaseModel):
    direction: str
    sent: int
    answered: int
    declined: int
    withdrawn: int
    open: int
    overdue: int
    answered_on_time: int
    median_hours_to_answer: float | None
    share_answered_on_time: float | None
