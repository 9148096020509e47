"""Keeping both copies of a request in step over the federation link (a job: it opens its own
units of work and posts to the partner, after they commit).

Each change to a request is queued as a signed message (:mod:`puente.rfis.messages`) in the
transaction that makes it (:func:`carry_out`), then posted to the partner's TAXII inbox
collection (TAXII 2.1 §5.5 Add Objects), the one its receipts and recall acknowledgements go to.
What cannot be posted now stays queued and goes with the next sync, so a partner that was
offline still hears every change, in order; a node the partner cannot reach fetches them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.errors import N_, NotFound, PuenteError
from puente.node import Node
from puente.policy.roles import Principal
from puente.rfis import approvals, messages, service
from puente.rfis.models import RfiMessage
from puente.sharing import sync
from puente.sharing.client import partner_client
from puente.sharing.models import Partner
from puente.sharing.partners import PartnerPrincipal

log = logging.getLogger(__name__)

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"


def carry_out(node: Node, who: Principal, action: str, target: str,
              change: Callable[[Session], service.Queued]) -> str:  # fmt: skip
    """Make one change to a request in a unit of work of its own, then post the message it
    queued to the partner; the request's id. A refusal is audited, in a unit of work of its
    own (the change's rolled back), and raised."""
    try:
        with node.db.session() as session:
            done = change(session)
    except PuenteError as exc:
        with node.db.session() as session:
            audit.append(session, who.username, "rfi.refused", target[:100],
                         details={"action": action, "kind": exc.kind,
                                  "reason": exc.problems[0].message})  # fmt: skip
        raise
    if done.partner_id is not None:
        deliver(node, done.partner_id)
    return done.rfi_id


def create(node: Node, who: Principal, new: service.NewRequest) -> str:
    """Draft a request (and send it, unless ``new.send`` is false); its id."""
    return carry_out(node, who, "create", new.partner,
                     lambda session: service.create(session, node, who, new))  # fmt: skip


def perform(node: Node, who: Principal, rfi_id: str, move: service.Move) -> None:
    """Make ``move`` on a request (send, withdraw, assign, answer, decline)."""
    if move.action not in service.ACTION_PERMISSIONS:  # refused before anything is audited
        raise NotFound(N_("Unknown action {action}; use one of: {actions}."), action=move.action,
                       actions=", ".join(service.ACTION_PERMISSIONS))  # fmt: skip
    carry_out(node, who, move.action, rfi_id,
              lambda session: service.perform(session, node, who, rfi_id, move))  # fmt: skip


def answer(node: Node, who: Principal, rfi_id: str, given: service.AnswerInput) -> None:
    perform(node, who, rfi_id, service.Move("answer", answer=given))


def decline(node: Node, who: Principal, rfi_id: str, reason: str) -> None:
    perform(node, who, rfi_id, service.Move("decline", reason=reason))


def withdraw(node: Node, who: Principal, rfi_id: str, reason: str) -> None:
    perform(node, who, rfi_id, service.Move("withdraw", reason=reason))


def assign(node: Node, who: Principal, rfi_id: str, assignee: str) -> None:
    perform(node, who, rfi_id, service.Move("assign", assignee=assignee))


def decide(node: Node, who: Principal, approval_id: str, decision: approvals.Decision) -> str:
    """The originating agency approves or refuses a release; the request's id. The last
    approval of a held answer sends the answer to the partner."""
    action = "approve" if decision.approve else "refuse"
    return carry_out(node, who, action, approval_id,
                     lambda session: service.decide_release(session, node, who, approval_id,
                                                            decision))  # fmt: skip


def deliver(node: Node, partner_id: int) -> int:
    """Post every queued message to the partner now; how many it accepted. A partner that
    cannot be reached keeps them queued for the next sync (logged, not raised)."""
    try:
        with partner_client(node, partner_id) as http:
            sync.discover(node, partner_id, http)
            return post_pending(node, partner_id, http)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("request messages for partner %s stay queued: %s", partner_id, exc)
        return 0


def exchange(node: Node, partner_id: int, _partner_node_id: str, http: httpx.Client) -> None:
    """After each pull (registered with sharing): the messages that could not be posted when
    they were made (the partner was down) go now, and the partner's that could not reach this
    node come."""
    post_pending(node, partner_id, http)
    pull(node, partner_id, http)


def post_pending(node: Node, partner_id: int, http: httpx.Client) -> int:
    """Post the queued messages for one partner, oldest first; record what it said of each."""
    with node.db.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        push_url = partner.push_url
        pending = session.execute(
            select(RfiMessage.id, RfiMessage.body)
            .where(
                RfiMessage.partner_id == partner_id,
                RfiMessage.direction == messages.OUT,
                RfiMessage.delivered_at.is_(None),
            )
            .order_by(RfiMessage.created_at)
            .limit(100)
        ).all()
    if not push_url or not pending:
        return 0
    envelope = b'{"objects":[' + b",".join(body.encode() for _, body in pending) + b"]}"
    response = http.post(push_url, content=envelope, headers={"Content-Type": TAXII_MEDIA_TYPE})
    response.raise_for_status()
    status = response.json()
    accepted = {s["id"] for s in status.get("successes", [])}
    refused = {f["id"]: str(f.get("message", "")) for f in status.get("failures", [])}
    with node.db.session() as session:
        for message_id, _ in pending:
            if message_id in accepted or message_id in refused:
                messages.delivered(session, message_id, refused.get(message_id))
    return len(accepted)


def pull(node: Node, partner_id: int, http: httpx.Client) -> int:
    """Fetch and apply the partner's messages this node has not had; how many were new."""
    with node.db.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        since, who = partner.rfi_cursor, PartnerPrincipal(partner.id, partner.node_id,
                                                           partner.country)  # fmt: skip
    applied = 0
    while True:
        response = http.get(messages.MESSAGES_PATH, params={"since": since},
                            headers={"Accept": "application/json"})  # fmt: skip
        if response.status_code == 404:  # a partner of an earlier version: pushes only
            return applied
        response.raise_for_status()
        body = response.json()
        received = body.get("messages") or []
        with node.db.session() as session:
            for obj in received:
                with session.begin_nested() as savepoint:
                    new = session.get(RfiMessage, (obj.get("id"), messages.IN)) is None
                    problem = messages.accept(session, node, who, obj)
                    if problem is not None:
                        savepoint.rollback()
                        log.warning("message %s from %s refused: %s", obj.get("id"),
                                    who.node_id, problem.message)  # fmt: skip
                    else:
                        applied += new
            since = str(body.get("next") or since)
            session.execute(
                update(Partner).where(Partner.id == partner_id).values(rfi_cursor=since)
            )
        if len(received) < messages.PULL_LIMIT:
            return applied
