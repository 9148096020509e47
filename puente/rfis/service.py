"""Requests for information: what each side's users may do to a request, and reading them.

A request lives on two nodes (see :mod:`puente.rfis.states`). Every change happens here, in
the caller's unit of work, with its history entry, its audit entry and the signed message
that tells the partner (:mod:`puente.rfis.messages`); :func:`puente.rfis.transport.carry_out`
posts the message once the unit of work has committed, and audits a refusal in one of its
own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.accounts import service as accounts
from puente.accounts.models import User
from puente.audit import denials
from puente.audit import service as audit
from puente.clock import now
from puente.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, Problem
from puente.node import Node
from puente.policy.markings import TLP_LEVELS
from puente.policy.roles import PERMISSIONS, Principal, require
from puente.rfis import approvals, messages, release, states
from puente.rfis.models import Rfi
from puente.sharing.partners import get_partner

DENIED = "rfi.denied"  # a refused read of a request, in the audit log (puente.audit.denials)

ACTION_PERMISSIONS = {
    "send": "rfis.request",
    "withdraw": "rfis.request",
    "assign": "rfis.answer",
    "answer": "rfis.answer",
    "decline": "rfis.answer",
}
LIMITS = {"title": 300, "question": 20_000, "case_reference": 200, "legal_basis": 500}


@dataclass
class NewRequest:
    """What an analyst writes; from a hit, the subject and the keys that matched come along."""

    partner: str
    title: str
    question: str
    case_reference: str
    legal_basis: str
    priority: str = "routine"
    recipients: list[str] = field(default_factory=list)  # other users here the answer is for
    category: str = ""
    subject: dict[str, Any] = field(default_factory=dict)
    hit_query_id: str = ""
    matched: list[str] = field(default_factory=list)
    send: bool = True


@dataclass(frozen=True)
class Queued:
    """A change made: the request, and the partner a message was queued for (None: none was,
    as for a draft, or an answer held for approval)."""

    rfi_id: str
    partner_id: int | None


def _check_new(session: Session, new: NewRequest) -> list[Problem]:
    problems = []
    for name, limit in LIMITS.items():
        value = str(getattr(new, name)).strip()
        if not value:
            problems.append(Problem(N_("This field is required."), f"/{name}"))
        elif len(value) > limit:
            problems.append(Problem(N_("At most {limit} characters."), f"/{name}",
                                    {"limit": limit}))  # fmt: skip
    if new.priority not in states.PRIORITIES:
        problems.append(Problem(N_("Unknown priority {value}; use routine, priority or urgent."),
                                "/priority", {"value": new.priority}))  # fmt: skip
    known = set(session.execute(
        select(User.username).where(User.username.in_(new.recipients), User.active.is_(True))
    ).scalars())  # fmt: skip
    for index, name in enumerate(new.recipients):
        if name not in known:
            problems.append(Problem(N_("No active user {name} on this node."),
                                    f"/recipients/{index}", {"name": name}))  # fmt: skip
    return problems


def create(session: Session, node: Node, who: Principal, new: NewRequest) -> Queued:
    """Draft a request to a partner (and send it, unless ``new.send`` is false)."""
    require(who, "rfis.request")
    problems = _check_new(session, new)
    if problems:
        raise InvalidInput(problems)
    partner = get_partner(session, new.partner)
    if not partner.enabled:
        raise Forbidden(N_("Partner {node} is disabled."), node=new.partner)
    moment = now()
    recipients = [r for r in dict.fromkeys(new.recipients) if r != who.username]
    rfi = Rfi(
        id=str(uuid.uuid4()), direction=states.OUTGOING, partner_id=partner.id,
        state=states.DRAFT, priority=new.priority, title=new.title.strip(),
        question=new.question.strip(), case_reference=new.case_reference.strip(),
        legal_basis=new.legal_basis.strip(), category=new.category,
        subject=orjson.dumps(new.subject).decode() if new.subject else "",
        hit_query_id=new.hit_query_id, matched=",".join(new.matched),
        requester=who.username, requester_agency=who.agency,
        recipients=",".join(recipients), created_at=moment, updated_at=moment,
    )  # fmt: skip
    session.add(rfi)
    session.flush()
    messages.add_event(session, rfi, who.username, "create")
    audit.append(session, who.username, "rfi.create", rfi.id,
                 details={"partner": new.partner, "case_reference": rfi.case_reference,
                          "hit_query": rfi.hit_query_id})  # fmt: skip
    if new.send:
        _send(session, node, who, rfi)
    return Queued(rfi.id, partner.id if new.send else None)


def _send(session: Session, node: Node, who: Principal, rfi: Rfi) -> dict[str, Any]:
    moment = now()
    rfi.sent_at = moment
    rfi.due_at = moment + timedelta(hours=node.settings.rfis.due_hours[rfi.priority])
    rfi.state = states.SENT
    messages.add_event(session, rfi, who.username, "send")
    audit.append(session, who.username, "rfi.send", rfi.id,
                 details={"due_at": rfi.due_at.isoformat()})  # fmt: skip
    messages.queue(session, node, rfi, "send", who.username, **messages.request_payload(rfi))
    return {}


def may_see(who: Principal, rfi: Rfi) -> bool:
    if rfi.state == states.DRAFT:  # a draft is its author's alone, until it is sent
        return who.username == rfi.requester
    if who.can("rfis.oversee"):
        return True
    named = who.username == rfi.requester or who.username in rfi.recipients.split(",")
    return rfi.direction == states.OUTGOING and named


def held(session: Session, who: Principal, rfi_id: str) -> Rfi:
    """The request ``who`` may see, or NotFound (never revealing that it exists)."""
    rfi = session.get(Rfi, rfi_id)
    if rfi is None or not may_see(who, rfi):
        # A refused read, noted like a record's (puente.audit.denials counts them per hour).
        denials.note(session, who.username, DENIED, rfi_id)
        raise NotFound(N_("No request for information {id} that you may see."), id=rfi_id)
    return rfi


Change = Callable[[Session, Rfi], dict[str, Any]]


def _open(session: Session, who: Principal, rfi_id: str, action: str) -> tuple[Rfi, str]:
    """The request ``who`` may move by ``action``, and the state it leads to."""
    require(who, ACTION_PERMISSIONS[action])
    rfi = held(session, who, rfi_id)
    target = states.next_state(action, rfi.state, rfi.direction)
    if target is None:
        problem = states.refusal(rfi, action)
        raise Conflict(problem.message, **problem.params)
    return rfi, target


def _record(session: Session, node: Node, who: Principal, rfi: Rfi, action: str, target: str,
            payload: dict[str, Any]) -> Queued:  # fmt: skip
    """Move the request, write its history and audit entry, queue the partner's message."""
    rfi.state = target
    rfi.updated_at = now()
    if target in states.CLOSED:
        rfi.closed_at = now()
    messages.add_event(session, rfi, who.username, action, _note(payload))
    audit.append(session, who.username, f"rfi.{action}", rfi.id,
                 details={k: v for k, v in payload.items() if k != "answer"})  # fmt: skip
    messages.queue(session, node, rfi, action, who.username, **payload)
    return Queued(rfi.id, rfi.partner_id)


def _act(session: Session, node: Node, who: Principal, rfi_id: str, action: str,
         change: Change) -> Queued:  # fmt: skip
    """Move a request by ``action``: check, change, record, queue the partner's message."""
    rfi, target = _open(session, who, rfi_id, action)
    payload = change(session, rfi)
    if action == "send":
        return Queued(rfi.id, rfi.partner_id)
    return _record(session, node, who, rfi, action, target, payload)


def _note(payload: dict[str, Any]) -> str:
    return str(payload.get("reason") or payload.get("assignee") or "")


def send(session: Session, node: Node, who: Principal, rfi_id: str) -> Queued:
    return _act(session, node, who, rfi_id, "send", lambda s, rfi: _send(s, node, who, rfi))


def withdraw(session: Session, node: Node, who: Principal, rfi_id: str, reason: str) -> Queued:
    def change(session: Session, rfi: Rfi) -> dict[str, Any]:
        if who.username != rfi.requester and "admin" not in who.roles:
            raise Forbidden(N_("Only {user}, who asked, may withdraw this request."),
                            user=rfi.requester)  # fmt: skip
        return {"reason": reason.strip()[:5000]}

    return _act(session, node, who, rfi_id, "withdraw", change)


def assign(session: Session, node: Node, who: Principal, rfi_id: str, assignee: str) -> Queued:
    def change(session: Session, rfi: Rfi) -> dict[str, Any]:
        name = assignee.strip() or who.username
        user = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
        roles = set(user.roles.split(",")) if user is not None else set()
        if user is None or not user.active or not roles & PERMISSIONS["rfis.answer"]:
            raise InvalidInput([Problem(N_("{name} is not a liaison of this node."),
                                        "/assignee", {"name": name})])  # fmt: skip
        rfi.assignee = name
        return {"assignee": name}

    return _act(session, node, who, rfi_id, "assign", change)


@dataclass
class AnswerInput:
    text: str
    records: list[str] = field(default_factory=list)  # this node's records to release
    tlp: str = "AMBER"
    handling: str = "H2"
    release_reason: str = ""  # for the originating agencies, when a record needs approval


def answer(session: Session, node: Node, who: Principal, rfi_id: str,
           given: AnswerInput) -> Queued:  # fmt: skip
    """Answer a request, releasing records; held instead (nothing leaves) while a record
    waits for its originating agency's approval (:mod:`puente.rfis.approvals`)."""
    rfi, target = _open(session, who, rfi_id, "answer")
    text = given.text.strip()
    if not text:
        raise InvalidInput([Problem(N_("Write the answer."), "/answer")])
    to = release.audience(session, node, who, rfi)
    planned: list[release.Planned] = []
    if any(r.strip() for r in given.records):
        planned = release.plan(session, who, to, given.records, given.tlp, given.handling)
    approvals.cancel(session, rfi, who.username, "replaced by a new answer")
    rfi.assignee = rfi.assignee or who.username
    if any(item.why for item in planned):
        reason = given.release_reason.strip()[:5000]
        if not reason:
            raise InvalidInput([
                *release.awaiting(planned, to),
                Problem(N_("Say why these records should be released: their originating "
                           "agencies read it before they approve."), "/release_reason"),
            ])  # fmt: skip
        approvals.hold(session, who, rfi, text, reason, planned, (given.tlp, given.handling))
        return Queued(rfi.id, None)
    return _answered(session, node, who, rfi, target, text, planned)


def _answered(session: Session, node: Node, who: Principal, rfi: Rfi, target: str, text: str,
              planned: list[release.Planned]) -> Queued:  # fmt: skip
    released = release.release(session, node, who, planned)
    rfi.answer, rfi.released = text, ",".join(released)
    tlps = [item.markings.tlp for item in planned]
    rfi.released_tlp = max(tlps, key=TLP_LEVELS.index) if tlps else ""
    rfi.assignee = rfi.assignee or who.username
    payload = {"answer": text, "released": released, "released_tlp": rfi.released_tlp}
    return _record(session, node, who, rfi, "answer", target, payload)


def decide_release(session: Session, node: Node, who: Principal, approval_id: str,
                   decision: approvals.Decision) -> Queued:  # fmt: skip
    """An originating agency approves or refuses releasing one record of a held answer; the
    answer goes, as its liaison wrote it, once every one of its records is approved."""
    decided = approvals.decide(session, who, approval_id, decision)
    held_answer = decided.held
    if not decided.complete:
        return Queued(held_answer.rfi_id, None)
    liaison = accounts.principal_for(accounts.get_user(session, held_answer.asked_by),
                                     node.settings)  # fmt: skip
    rfi, target = _open(session, liaison, held_answer.rfi_id, "answer")
    to = release.audience(session, node, liaison, rfi)
    given = approvals.approved_markings(session, held_answer)
    planned = release.plan(session, liaison, to, held_answer.records.split(","),
                           held_answer.tlp, held_answer.handling, given)  # fmt: skip
    if any(item.why for item in planned):
        # A record that needed no approval was re-marked since, or one approved has a new
        # version (its approval covered the version its agency saw): the liaison answers again.
        approvals.cancel(session, rfi, who.username, "a record changed since it was held")
        return Queued(rfi.id, None)
    approvals.finish(held_answer, approvals.RELEASED)
    return _answered(session, node, liaison, rfi, target, held_answer.answer, planned)


def decline(session: Session, node: Node, who: Principal, rfi_id: str, reason: str) -> Queued:
    def change(session: Session, rfi: Rfi) -> dict[str, Any]:
        if not reason.strip():
            raise InvalidInput([Problem(N_("Say why the request is declined."), "/reason")])
        rfi.decline_reason = reason.strip()[:5000]
        rfi.assignee = rfi.assignee or who.username
        approvals.cancel(session, rfi, who.username, "the request was declined")
        return {"reason": rfi.decline_reason}

    return _act(session, node, who, rfi_id, "decline", change)


@dataclass
class Move:
    """One user's move on a request, as an edge received it (a form, a JSON body, a command)."""

    action: str
    reason: str = ""
    assignee: str = ""
    answer: AnswerInput = field(default_factory=lambda: AnswerInput(""))


def perform(session: Session, node: Node, who: Principal, rfi_id: str, move: Move) -> Queued:
    """Make ``move``; an unknown action is refused with the ones there are."""
    moves: dict[str, Callable[[], Queued]] = {
        "send": lambda: send(session, node, who, rfi_id),
        "withdraw": lambda: withdraw(session, node, who, rfi_id, move.reason),
        "assign": lambda: assign(session, node, who, rfi_id, move.assignee),
        "answer": lambda: answer(session, node, who, rfi_id, move.answer),
        "decline": lambda: decline(session, node, who, rfi_id, move.reason),
    }
    if move.action not in moves:
        raise NotFound(N_("Unknown action {action}; use one of: {actions}."),
                       action=move.action, actions=", ".join(moves))  # fmt: skip
    return moves[move.action]()
