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

from puente.accounts.models import User
from puente.audit import service as audit
from puente.clock import now
from puente.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, Problem
from puente.node import Node
from puente.policy.roles import PERMISSIONS, Principal, require
from puente.rfis import messages, release, states
from puente.rfis.models import Rfi
from puente.sharing.partners import get_partner

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
    as for a draft)."""

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
        raise NotFound(N_("No request for information {id} that you may see."), id=rfi_id)
    return rfi


Change = Callable[[Session, Rfi], dict[str, Any]]


def _act(session: Session, node: Node, who: Principal, rfi_id: str, action: str,
         change: Change) -> Queued:  # fmt: skip
    """Move a request by ``action``: check, change, record, queue the partner's message."""
    require(who, ACTION_PERMISSIONS[action])
    rfi = held(session, who, rfi_id)
    target = states.next_state(action, rfi.state, rfi.direction)
    if target is None:
        problem = states.refusal(rfi, action)
        raise Conflict(problem.message, **problem.params)
    payload = change(session, rfi)
    if action == "send":
        partner_id = rfi.partner_id
    else:
        rfi.state = target
        rfi.updated_at = now()
        if target in states.CLOSED:
            rfi.closed_at = now()
        messages.add_event(session, rfi, who.username, action, _note(payload))
        audit.append(session, who.username, f"rfi.{action}", rfi.id,
                     details={k: v for k, v in payload.items() if k != "answer"})  # fmt: skip
        messages.queue(session, node, rfi, action, who.username, **payload)
        partner_id = rfi.partner_id
    return Queued(rfi.id, partner_id)


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


def answer(session: Session, node: Node, who: Principal, rfi_id: str,
           given: AnswerInput) -> Queued:  # fmt: skip
    def change(session: Session, rfi: Rfi) -> dict[str, Any]:
        text = given.text.strip()
        if not text:
            raise InvalidInput([Problem(N_("Write the answer."), "/answer")])
        released: list[str] = []
        if any(r.strip() for r in given.records):
            markings = release.release_markings(session, node, who, rfi, given.tlp,
                                                given.handling)  # fmt: skip
            released = release.release(session, node, who, given.records, markings)
        rfi.answer, rfi.released = text, ",".join(released)
        rfi.released_tlp = given.tlp if released else ""
        rfi.assignee = rfi.assignee or who.username
        return {"answer": text, "released": released, "released_tlp": rfi.released_tlp}

    return _act(session, node, who, rfi_id, "answer", change)


def decline(session: Session, node: Node, who: Principal, rfi_id: str, reason: str) -> Queued:
    def change(session: Session, rfi: Rfi) -> dict[str, Any]:
        if not reason.strip():
            raise InvalidInput([Problem(N_("Say why the request is declined."), "/reason")])
        rfi.decline_reason = reason.strip()[:5000]
        rfi.assignee = rfi.assignee or who.username
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
