"""The REST API's shapes for requests for information."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from puente.rfis import reports, service


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
    sent_at: datetime | None
    due_at: datetime | None
    closed_at: datetime | None
    overdue: bool


class RfiEventOut(BaseModel):
    at: datetime
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

    @classmethod
    def of(cls, found: reports.RfiDetail) -> RfiOut:
        rfi = found.rfi
        return cls(
            **found.summary.__dict__, question=rfi.question, legal_basis=rfi.legal_basis,
            recipients=found.recipients, category=rfi.category, subject=found.subject,
            matched=found.matched, answer=rfi.answer, decline_reason=rfi.decline_reason,
            released=[r.stix_id for r in found.released if r.label],
            released_count=len(found.released), released_tlp=rfi.released_tlp,
            history=[RfiEventOut(at=e.at, actor=e.actor, action=e.action, state=e.state,
                                 note=e.note) for e in found.events],
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
