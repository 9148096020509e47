"""The originating agency's approval of a release (see :mod:`puente.rfis.release`).

When an answer would release a record its originating agency has not let the requesting
country have, or a record of another agency than the liaison's, the answer is held: nothing
of it leaves the node. Each such record lands in its originating agency's approval inbox,
with the liaison's reason and the markings proposed for its copy. The agency's users who may
write records, and may see the record, decide: approve (keeping or changing the copy's TLP
and handling code) or refuse, saying why. The liaison who asked does not approve their own
release. Once every record of the answer is approved the answer goes
(:func:`puente.rfis.service.decide_release`); one refusal keeps the whole answer home and tells
the liaison, who may answer again. Every step is audited and written in the request's history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import now
from puente.errors import N_, Conflict, Forbidden, InvalidInput, Label, NotFound, Problem
from puente.policy import gate
from puente.policy.markings import Markings
from puente.policy.roles import Principal, require
from puente.records.models import Record
from puente.records.rows import facts_of, markings_of
from puente.rfis import release
from puente.rfis.models import ReleaseApproval, ReleaseHold, Rfi, RfiEvent
from puente.sharing.models import Partner

PENDING, APPROVED, REFUSED, CANCELLED = "pending", "approved", "refused", "cancelled"
HELD, RELEASED = "held", "released"  # a hold's states besides refused and cancelled
STATE_LABELS = {
    PENDING: N_("Awaiting approval"),
    APPROVED: N_("approved"),
    REFUSED: N_("refused"),
    CANCELLED: N_("cancelled"),
}
NO_APPROVAL = N_("No release {id} awaiting your agency's approval.")


@dataclass(frozen=True)
class Decision:
    """An originating agency's answer: approve (with the copy's TLP and handling code, empty
    for what was proposed) or refuse (``note`` says why)."""

    approve: bool
    tlp: str = ""
    handling: str = ""
    note: str = ""


@dataclass
class ApprovalView:
    """One approval as its reader may see it (the record's name only if the gate allows)."""

    id: str
    rfi_id: str
    rfi_title: str
    partner: str
    requester: str
    requester_agency: str
    record_id: str
    record_name: str  # "" when the reader may not see the record
    original: Markings | None
    agency: str
    why: list[Problem]
    reason: str
    asked_by: str
    asked_at: datetime
    proposed: Markings
    state: str
    decided_by: str
    decided_at: datetime | None
    note: str
    approved_tlp: str
    approved_handling: str


def _event(session: Session, rfi: Rfi, actor: str, action: str, note: str = "") -> None:
    session.add(RfiEvent(rfi_id=rfi.id, at=now(), actor=actor, action=action, state=rfi.state,
                         note=note))  # fmt: skip


def hold(
    session: Session,
    who: Principal,
    rfi: Rfi,
    answer: str,
    reason: str,
    planned: list[release.Planned],
    chosen: tuple[str, str],
) -> ReleaseHold:
    """Hold an answer whose records ``planned`` include some that wait for approval."""
    moment = now()
    held = ReleaseHold(
        id=str(uuid.uuid4()), rfi_id=rfi.id, state=HELD, asked_by=who.username,
        asked_agency=who.agency, reason=reason, answer=answer, records=",".join(p.row.stix_id for p in planned),
        tlp=chosen[0], handling=chosen[1], created_at=moment,
    )  # fmt: skip
    session.add(held)
    session.flush()
    agencies = []
    for item in planned:
        if not item.why:
            continue
        approval = ReleaseApproval(
            id=str(uuid.uuid4()), hold_id=held.id, rfi_id=rfi.id, record_id=item.row.stix_id,
            agency=item.agency, state=PENDING, why=",".join(item.why),
            proposed_tlp=chosen[0], proposed_handling=chosen[1],
        )  # fmt: skip
        session.add(approval)
        agencies.append(item.agency)
        audit.append(session, who.username, "rfi.release.ask", item.row.stix_id,
                     marking=item.markings.banner(),
                     details={"rfi": rfi.id, "approval": approval.id, "agency": item.agency,
                              "why": list(item.why), "reason": reason})  # fmt: skip
    _event(session, rfi, who.username, "release-asked", ", ".join(dict.fromkeys(agencies)))
    return held


def cancel(session: Session, rfi: Rfi, actor: str, note: str) -> None:
    """Drop the answer held for ``rfi``, if any (a new answer replaces it, or the request
    closed): its pending approvals leave the inboxes."""
    holds = session.execute(
        select(ReleaseHold).where(ReleaseHold.rfi_id == rfi.id, ReleaseHold.state == HELD)
    ).scalars()
    for found in list(holds):
        found.state, found.closed_at = CANCELLED, now()
        _close_pending(session, found.id)
        audit.append(session, actor, "rfi.release.cancel", rfi.id,
                     details={"hold": found.id, "note": note})  # fmt: skip
        _event(session, rfi, actor, "release-cancelled")


def _close_pending(session: Session, hold_id: str) -> None:
    for approval in session.execute(
        select(ReleaseApproval).where(
            ReleaseApproval.hold_id == hold_id, ReleaseApproval.state == PENDING
        )
    ).scalars():
        approval.state = CANCELLED


# -- reading --------------------------------------------------------------------------------


def _views(
    session: Session, who: Principal, approvals: list[ReleaseApproval]
) -> list[ApprovalView]:
    if not approvals:
        return []
    ids = {a.record_id for a in approvals}
    rows = session.execute(
        select(Record).where(Record.stix_id.in_(ids), Record.is_current.is_(True))
    ).scalars()
    visible = {r.stix_id: r for r in gate.release(rows, facts_of, who.audience)}
    holds = {h.id: h for h in session.execute(
        select(ReleaseHold).where(ReleaseHold.id.in_({a.hold_id for a in approvals}))
    ).scalars()}  # fmt: skip
    views = []
    for approval in approvals:
        rfi = session.get(Rfi, approval.rfi_id)
        partner = session.get(Partner, rfi.partner_id) if rfi is not None else None
        assert rfi is not None
        assert partner is not None
        held = holds[approval.hold_id]
        row = visible.get(approval.record_id)
        original = markings_of(row) if row is not None else None
        views.append(ApprovalView(
            id=approval.id, rfi_id=rfi.id, rfi_title=rfi.title, partner=partner.node_id,
            requester=rfi.requester, requester_agency=rfi.requester_agency,
            record_id=approval.record_id if row is not None else "",
            record_name=(row.name or row.stix_id) if row is not None else "",
            original=original, agency=approval.agency,
            why=[release.why_text(code, approval.agency, partner.country, rfi.requester_agency)
                 for code in approval.why.split(",") if code in release.WHY],
            reason=held.reason, asked_by=held.asked_by, asked_at=held.created_at,
            proposed=_proposed(approval, row, partner, rfi, held),
            state=approval.state, decided_by=approval.decided_by,
            decided_at=approval.decided_at, note=approval.note,
            approved_tlp=approval.approved_tlp, approved_handling=approval.approved_handling,
        ))  # fmt: skip
    return views


def _proposed(
    approval: ReleaseApproval, row: Record | None, partner: Partner, rfi: Rfi, held: ReleaseHold
) -> Markings:
    """The copy's markings as proposed (once approved: as approved)."""
    tlp = approval.approved_tlp or approval.proposed_tlp
    handling = approval.approved_handling or approval.proposed_handling
    if row is None:
        return Markings(tlp=tlp, rel_to=frozenset({partner.country}), handling=handling)
    approver = approval.decided_by if approval.state == APPROVED else ""
    return release.copy_markings(markings_of(row), row.originating_agency,
                                 _audience_of(rfi, partner, row, held),
                                 tlp, handling, release.Approved(tlp, handling, approver))  # fmt: skip


def _audience_of(rfi: Rfi, partner: Partner, row: Record, held: ReleaseHold) -> release.Audience:
    names = [rfi.requester, *(r for r in rfi.recipients.split(",") if r)]
    return release.Audience(own_country=row.owner_country, partner_country=partner.country,
                            requester_agency=rfi.requester_agency,
                            liaison_agency=held.asked_agency,
                            recipients=frozenset(f"{n}@{partner.country}" for n in names))  # fmt: skip


def inbox(session: Session, who: Principal, state: str = PENDING) -> list[ApprovalView]:
    """What awaits (``state`` "pending") or awaited the approval of ``who``'s agency, for the
    records ``who`` may see; newest first. Empty ``state``: every state. Its reading (record
    names and markings) is audited."""
    require(who, "records.write")
    query = (
        select(ReleaseApproval)
        .join(ReleaseHold, ReleaseHold.id == ReleaseApproval.hold_id)
        .where(ReleaseApproval.agency == who.agency)
        .order_by(ReleaseHold.created_at.desc(), ReleaseApproval.record_id)
        .limit(200)
    )
    if state:
        query = query.where(ReleaseApproval.state == state)
    found = _views(session, who, list(session.execute(query).scalars()))
    shown = [view for view in found if view.record_id]
    audit.append(session, who.username, "rfi.approvals.read", who.agency,
                 details={"state": state, "approvals": [v.id for v in shown]})  # fmt: skip
    return shown


def for_request(session: Session, who: Principal, rfi: Rfi) -> list[ApprovalView]:
    """Every approval asked for answers to ``rfi`` (its reader may see the request)."""
    approvals = session.execute(
        select(ReleaseApproval)
        .join(ReleaseHold, ReleaseHold.id == ReleaseApproval.hold_id)
        .where(ReleaseApproval.rfi_id == rfi.id)
        .order_by(ReleaseHold.created_at, ReleaseApproval.record_id)
    ).scalars()
    return _views(session, who, list(approvals))


def get(session: Session, who: Principal, approval_id: str) -> ApprovalView:
    """One approval of ``who``'s agency, for a record ``who`` may see."""
    require(who, "records.write")
    approval = session.get(ReleaseApproval, approval_id)
    found = _views(session, who, [approval]) if approval is not None else []
    if not found or not found[0].record_id or approval is None or approval.agency != who.agency:
        raise NotFound(NO_APPROVAL, id=approval_id)
    return found[0]


# -- deciding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """A decision made: the hold it belongs to, and whether the answer may now go."""

    approval: ReleaseApproval
    held: ReleaseHold
    complete: bool  # every record of the held answer approved


def decide(session: Session, who: Principal, approval_id: str, decision: Decision) -> Decided:
    """Record ``who``'s agency's decision on one release (the caller releases the answer once
    it is complete)."""
    get(session, who, approval_id)  # NotFound unless it is this agency's, on a visible record
    approval = session.get(ReleaseApproval, approval_id)
    assert approval is not None
    if approval.state != PENDING:
        raise Conflict(N_("This release was already {state}."), state=Label(
            STATE_LABELS[approval.state]))  # fmt: skip
    held = session.get(ReleaseHold, approval.hold_id)
    rfi = session.get(Rfi, approval.rfi_id)
    assert held is not None
    assert rfi is not None
    approval.decided_by, approval.decided_at = who.username, now()
    if decision.approve:
        _approve(session, who, rfi, held, approval, decision)
    else:
        _refuse(session, who, rfi, held, approval, decision)
    others = session.execute(
        select(ReleaseApproval.state).where(ReleaseApproval.hold_id == held.id)
    ).scalars()
    complete = held.state == HELD and all(state == APPROVED for state in others)
    return Decided(approval, held, complete)


def _approve(
    session: Session,
    who: Principal,
    rfi: Rfi,
    held: ReleaseHold,
    approval: ReleaseApproval,
    decision: Decision,
) -> None:
    if who.username == held.asked_by:
        raise Forbidden(N_("You asked for this release: another user of {agency} must decide."),
                        agency=approval.agency)  # fmt: skip
    tlp = decision.tlp.strip() or approval.proposed_tlp
    handling = decision.handling.strip() or approval.proposed_handling
    release.check_choice(tlp, handling)
    partner = session.get(Partner, rfi.partner_id)
    row = session.execute(
        select(Record).where(Record.stix_id == approval.record_id, Record.is_current.is_(True))
    ).scalar_one()
    assert partner is not None
    to = _audience_of(rfi, partner, row, held)
    copy = release.copy_markings(markings_of(row), row.originating_agency, to, tlp, handling,
                                 release.Approved(tlp, handling, who.username))  # fmt: skip
    release.check_strict(copy, to)
    approval.state, approval.note = APPROVED, decision.note.strip()[:5000]
    approval.approved_tlp, approval.approved_handling = tlp, handling
    approval.approved_version = row.modified_key  # a later version is not approved
    audit.append(session, who.username, "rfi.release.approve", approval.record_id,
                 marking=copy.banner(),
                 details={"rfi": rfi.id, "approval": approval.id, "tlp": tlp,
                          "handling": handling, "note": approval.note})  # fmt: skip
    _event(session, rfi, who.username, "release-approved", approval.agency)


def _refuse(
    session: Session,
    who: Principal,
    rfi: Rfi,
    held: ReleaseHold,
    approval: ReleaseApproval,
    decision: Decision,
) -> None:
    reason = decision.note.strip()[:5000]
    if not reason:
        raise InvalidInput([Problem(N_("Say why the release is refused."), "/reason")])
    approval.state, approval.note = REFUSED, reason
    held.state, held.closed_at = REFUSED, now()
    _close_pending(session, held.id)
    audit.append(session, who.username, "rfi.release.refuse", approval.record_id,
                 details={"rfi": rfi.id, "approval": approval.id, "reason": reason})  # fmt: skip
    _event(session, rfi, who.username, "release-refused", f"{approval.agency}: {reason}")


def finish(held: ReleaseHold, state: str) -> None:
    held.state, held.closed_at = state, now()


def approved_markings(session: Session, held: ReleaseHold) -> dict[str, release.Approved]:
    """record id -> what its originating agency approved, for a complete hold: only for the
    version it approved (a record changed since then is left out, so it waits again)."""
    approved = list(session.execute(
        select(ReleaseApproval).where(
            ReleaseApproval.hold_id == held.id, ReleaseApproval.state == APPROVED
        )
    ).scalars())  # fmt: skip
    current = dict(session.execute(
        select(Record.stix_id, Record.modified_key).where(
            Record.stix_id.in_([a.record_id for a in approved]), Record.is_current.is_(True)
        )
    ).all())  # fmt: skip
    return {
        a.record_id: release.Approved(a.approved_tlp, a.approved_handling, a.decided_by)
        for a in approved
        if current.get(a.record_id) == a.approved_version
    }
