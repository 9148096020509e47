"""Reading requests for information: the outbox and inbox, one request with its history, and
the timeliness figures the cooperation indicators use."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import as_utc, now
from puente.hits.subjects import Subject
from puente.policy import gate
from puente.policy.markings import Markings
from puente.policy.roles import Principal, require
from puente.records.models import Record
from puente.records.rows import facts_of, markings_of
from puente.rfis import approvals, states
from puente.rfis.models import Rfi, RfiEvent
from puente.rfis.service import held, may_see
from puente.sharing.models import Partner


@dataclass
class RfiSummary:
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

    def as_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for name in ("sent_at", "due_at", "closed_at"):
            moment = out[name]
            out[name] = as_utc(moment).isoformat() if moment is not None else None
        return out


@dataclass
class ReleasedRecord:
    stix_id: str
    label: str  # "" when it has not arrived here, or the reader may not see it
    markings: Markings | None = None


@dataclass
class RfiDetail:
    summary: RfiSummary
    rfi: Rfi
    subject: dict[str, Any]
    subject_label: str
    matched: list[str]
    recipients: list[str]
    events: list[RfiEvent]
    released: list[ReleasedRecord] = field(default_factory=list)
    # On the answering node: the approvals its answers waited for (none on the asking node).
    approvals: list[approvals.ApprovalView] = field(default_factory=list)


def _summary(rfi: Rfi, partner: str, moment: datetime) -> RfiSummary:
    return RfiSummary(
        id=rfi.id, direction=rfi.direction, partner=partner, state=rfi.state,
        priority=rfi.priority, title=rfi.title, case_reference=rfi.case_reference,
        requester=rfi.requester, assignee=rfi.assignee, sent_at=rfi.sent_at, due_at=rfi.due_at,
        closed_at=rfi.closed_at, overdue=states.overdue(rfi.state, rfi.due_at, moment),
    )  # fmt: skip


def listing(
    session: Session,
    who: Principal,
    direction: str,
    *,
    state: str = "",
    overdue_only: bool = False,
    limit: int = 200,
) -> list[RfiSummary]:
    """The outbox ("outgoing") or inbox ("incoming") as ``who`` may see it, newest first."""
    require(who, "records.read")
    query = (
        select(Rfi, Partner.node_id)
        .join(Partner, Partner.id == Rfi.partner_id)
        .where(Rfi.direction == direction)
        .order_by(Rfi.created_at.desc())
        .limit(limit)
    )
    if state:
        query = query.where(Rfi.state == state)
    if overdue_only:
        query = query.where(Rfi.state.in_(states.OPEN), Rfi.due_at < now())
    # A draft is its author's alone (see may_see); others' drafts take no place in the page.
    query = query.where(or_(Rfi.state != states.DRAFT, Rfi.requester == who.username))
    if not who.can("rfis.oversee"):
        query = query.where(or_(Rfi.requester == who.username,
                                Rfi.recipients.contains(who.username)))  # fmt: skip
    moment = now()
    return [_summary(rfi, node_id, moment) for rfi, node_id in session.execute(query).all()
            if may_see(who, rfi)]  # fmt: skip


def detail(session: Session, who: Principal, rfi_id: str, *, audit_read: bool = True) -> RfiDetail:
    """One request with its history, as ``who`` may see it; its reading is audited ("rfi.read",
    and "rfi.answer.read" once it shows an answer), unless the caller just changed it."""
    rfi = held(session, who, rfi_id)
    partner = session.get(Partner, rfi.partner_id)
    assert partner is not None
    events = list(
        session.execute(
            select(RfiEvent).where(RfiEvent.rfi_id == rfi.id).order_by(RfiEvent.id)
        ).scalars()
    )
    found = detail_of(rfi, partner.node_id, events)
    found.released = _released(session, who, [r for r in rfi.released.split(",") if r])
    if rfi.direction == states.INCOMING:
        found.approvals = approvals.for_request(session, who, rfi)
    if audit_read:
        audit.append(session, who.username, "rfi.read", rfi.id, details={"state": rfi.state})
        if rfi.state == states.ANSWERED:
            audit.append(session, who.username, "rfi.answer.read", rfi.id,
                         marking=f"TLP:{rfi.released_tlp}" if rfi.released_tlp else "",
                         details={"released": [r.stix_id for r in found.released if r.label]})  # fmt: skip
    return found


def detail_of(rfi: Rfi, partner: str, events: list[RfiEvent]) -> RfiDetail:
    subject = orjson.loads(rfi.subject) if rfi.subject else {}
    return RfiDetail(
        summary=_summary(rfi, partner, now()),
        rfi=rfi,
        subject=subject,
        subject_label=Subject.stored(subject).label() if subject else "",
        matched=[m for m in rfi.matched.split(",") if m],
        recipients=[rfi.requester, *(r for r in rfi.recipients.split(",") if r)],
        events=events,
    )


def _released(session: Session, who: Principal, ids: list[str]) -> list[ReleasedRecord]:
    """The released records as this reader sees them here: the gate decides, as anywhere."""
    rows = session.execute(
        select(Record).where(Record.stix_id.in_(ids), Record.is_current.is_(True))
    ).scalars()
    visible = {r.stix_id: r for r in gate.release(rows, facts_of, who.audience)}
    return [
        ReleasedRecord(i, visible[i].name or i, markings_of(visible[i]))
        if i in visible
        else ReleasedRecord(i, "")
        for i in ids
    ]


@dataclass
class Timeliness:
    """How promptly requests are answered, for the cooperation indicators."""

    direction: str
    sent: int  # requests sent (not drafts)
    answered: int
    declined: int
    withdrawn: int
    open: int
    overdue: int
    answered_on_time: int
    median_hours_to_answer: float | None
    share_answered_on_time: float | None  # of those answered

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def timeliness(session: Session, who: Principal, direction: str) -> Timeliness:
    """The figures over every request sent either way (not only those ``who`` may open)."""
    require(who, "records.read")
    rows = session.execute(
        select(Rfi.state, Rfi.sent_at, Rfi.due_at, Rfi.closed_at).where(
            Rfi.direction == direction, Rfi.state != states.DRAFT
        )
    ).all()
    moment = now()
    hours: list[float] = []
    on_time = 0
    counts = dict.fromkeys(states.STATES, 0)
    overdue = 0
    for state, sent_at, due_at, closed_at in rows:
        counts[state] += 1
        overdue += states.overdue(state, due_at, moment)
        if state == states.ANSWERED and sent_at is not None and closed_at is not None:
            hours.append((as_utc(closed_at) - as_utc(sent_at)).total_seconds() / 3600)
            on_time += due_at is not None and as_utc(closed_at) <= as_utc(due_at)
    return Timeliness(
        direction=direction,
        sent=len(rows),
        answered=counts[states.ANSWERED],
        declined=counts[states.DECLINED],
        withdrawn=counts[states.WITHDRAWN],
        open=sum(counts[s] for s in states.OPEN),
        overdue=overdue,
        answered_on_time=on_time,
        median_hours_to_answer=round(statistics.median(hours), 2) if hours else None,
        share_answered_on_time=round(on_time / len(hours), 4) if hours else None,
    )
