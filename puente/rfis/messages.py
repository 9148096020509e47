"""The messages that keep both copies of a request in step, inside a unit of work: queued
(signed) as a change is made, applied as a partner's arrive, and listed for a partner that
fetches them. Posting and fetching them over the federation link is :mod:`puente.rfis.transport`.

Each change to a request is queued, in the transaction that makes it, as a signed
``x-puente-rfi-message`` (a new-sdo extension definition, STIX 2.1 §7.3). The receiving node
checks the signature against the sender's pinned key and applies the same move to its copy; a
message delivered twice changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import now
from puente.errors import N_, Problem
from puente.node import Node
from puente.records.builder import stix_now
from puente.rfis import approvals, states
from puente.rfis.models import Rfi, RfiEvent, RfiMessage
from puente.sharing import signing
from puente.sharing.models import Partner
from puente.sharing.partners import PartnerPrincipal

MESSAGE_TYPE = "x-puente-rfi-message"
EXT_RFI_MESSAGE = "extension-definition--b3c61f0e-5d2a-4c8e-9a47-1f6e2d8c0b95"
OUT, IN = "out", "in"
MESSAGES_PATH = "/api/v1/rfis/messages"  # where a partner fetches what it was not sent
# What the asking node tells about its request when it sends it (the asked node's copy).
REQUEST_FIELDS = (
    "title", "question", "priority", "case_reference", "legal_basis", "category", "subject",
    "hit_query_id", "matched", "requester", "requester_agency", "recipients",
)  # fmt: skip


def queue(session: Session, node: Node, rfi: Rfi, action: str, actor: str, **payload: Any) -> None:
    """Sign a message saying ``action`` happened to ``rfi`` here; post it with :func:`deliver`."""
    partner = session.get(Partner, rfi.partner_id)
    assert partner is not None
    created = stix_now()
    body: dict[str, Any] = {
        "type": MESSAGE_TYPE,
        "spec_version": "2.1",
        "id": f"{MESSAGE_TYPE}--{uuid.uuid4()}",
        "created": created,
        "modified": created,
        "rfi_id": rfi.id,
        "action": action,
        "sender_node": node.settings.node_id,
        "receiver_node": partner.node_id,
        "actor": actor,
        **payload,
        "extensions": {EXT_RFI_MESSAGE: {"extension_type": "new-sdo"}},
    }
    signed = signing.sign(node.settings.key_path, body)
    session.add(RfiMessage(id=signed["id"], direction=OUT, rfi_id=rfi.id, partner_id=partner.id,
                           action=action, body=orjson.dumps(signed).decode(),
                           created_at=now()))  # fmt: skip
    session.flush()  # messages post in the order they were made


def request_payload(rfi: Rfi) -> dict[str, Any]:
    """What the partner's copy is made from, when the request is sent."""
    payload: dict[str, Any] = {name: getattr(rfi, name) for name in REQUEST_FIELDS}
    assert rfi.sent_at is not None
    assert rfi.due_at is not None
    payload["sent_at"] = rfi.sent_at.isoformat()
    payload["due_at"] = rfi.due_at.isoformat()
    return payload


def delivered(session: Session, message_id: str, refused: str | None) -> None:
    message = session.get(RfiMessage, (message_id, OUT))
    rfi = session.get(Rfi, message.rfi_id) if message is not None else None
    if message is None or rfi is None or message.delivered_at is not None:
        return
    message.delivered_at = now()
    if refused is not None:
        # The partner's copy did not move (it was withdrawn or closed there meanwhile): say so
        # in the history; this copy keeps the state its own user chose.
        message.refused = refused
        add_event(session, rfi, "system", "refused", refused)
        audit.append(session, "system", "rfi.refused-by-partner", rfi.id,
                     details={"action": message.action, "reason": refused})  # fmt: skip
    elif message.action == "send" and rfi.state == states.SENT:
        rfi.state = states.RECEIVED
        rfi.updated_at = now()
        add_event(session, rfi, "system", "deliver")


def add_event(session: Session, rfi: Rfi, actor: str, action: str, note: str = "") -> None:
    """One step of the request's history, as this node saw it."""
    session.add(RfiEvent(rfi_id=rfi.id, at=now(), actor=actor, action=action, state=rfi.state,
                         note=note))  # fmt: skip


# -- the receiving side -----------------------------------------------------------------------


def accept(
    session: Session, node: Node, partner: PartnerPrincipal, obj: dict[str, Any]
) -> Problem | None:
    """Apply a partner's message to this node's copy; None if applied (or applied before),
    else why it was refused (the partner records the reason)."""
    row = session.get(Partner, partner.partner_id)
    if row is None or not signing.verify(row.public_key, obj):
        return Problem(N_("The message's signature does not verify with the partner's pinned key."))
    if obj.get("sender_node") != row.node_id or obj.get("receiver_node") != node.settings.node_id:
        return Problem(N_("The message is not from this partner to this node."))
    if session.get(RfiMessage, (obj.get("id"), IN)) is not None:
        return None
    try:
        refused = _apply(session, row, obj)
    except (KeyError, ValueError, TypeError) as exc:
        return Problem(N_("The message is malformed: {reason}"), "", {"reason": str(exc)})
    if refused is not None:
        return refused
    session.add(RfiMessage(id=str(obj["id"]), direction=IN, rfi_id=str(obj["rfi_id"]),
                           partner_id=row.id, action=str(obj["action"]),
                           body=orjson.dumps(obj).decode(), created_at=now(),
                           delivered_at=now()))  # fmt: skip
    audit.append(session, f"partner:{row.node_id}", f"rfi.{obj['action']}", str(obj["rfi_id"]),
                 details={"message": obj["id"]})  # fmt: skip
    return None


def _apply(session: Session, partner: Partner, obj: dict[str, Any]) -> Problem | None:
    action, rfi_id = str(obj["action"]), str(obj["rfi_id"])
    rfi = session.get(Rfi, rfi_id)
    actor = f"{_text(obj, 'actor', 60)}@{partner.node_id}"
    if action == "send":
        if rfi is not None:
            return Problem(N_("Request {id} was already received."), "", {"id": rfi_id})
        rfi = _received(session, partner, obj)
        add_event(session, rfi, actor, "receive")
        return None
    if rfi is None or rfi.partner_id != partner.id or action not in states.MOVES:
        return Problem(N_("No request {id} is shared with this partner."), "", {"id": rfi_id})
    target = states.next_state(action, rfi.state, rfi.direction, mirrored=True)
    if target is None:
        return states.refusal(rfi, action)
    _mirror(rfi, action, target, obj)
    add_event(session, rfi, actor, action, _note(action, obj))
    if target in states.CLOSED:  # an answer held here for approval will not go now
        approvals.cancel(session, rfi, actor, "the request was withdrawn")
    return None


def _text(obj: dict[str, Any], name: str, limit: int) -> str:
    value = obj.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _received(session: Session, partner: Partner, obj: dict[str, Any]) -> Rfi:
    from datetime import datetime

    moment = now()
    rfi = Rfi(
        id=str(obj["rfi_id"])[:36],
        direction=states.INCOMING,
        partner_id=partner.id,
        state=states.RECEIVED,
        priority=_text(obj, "priority", 12) or "routine",
        title=_text(obj, "title", 300),
        question=_text(obj, "question", 20_000),
        case_reference=_text(obj, "case_reference", 200),
        legal_basis=_text(obj, "legal_basis", 500),
        category=_text(obj, "category", 12),
        subject=_text(obj, "subject", 20_000),
        hit_query_id=_text(obj, "hit_query_id", 36),
        matched=_text(obj, "matched", 500),
        requester=_text(obj, "requester", 80),
        requester_agency=_text(obj, "requester_agency", 16),
        recipients=_text(obj, "recipients", 5000),
        created_at=moment,
        sent_at=datetime.fromisoformat(str(obj["sent_at"])),
        due_at=datetime.fromisoformat(str(obj["due_at"])),
        updated_at=moment,
    )
    session.add(rfi)
    session.flush()
    return rfi


def _mirror(rfi: Rfi, action: str, target: str, obj: dict[str, Any]) -> None:
    rfi.state = target
    rfi.updated_at = now()
    if action == "assign":
        rfi.assignee = _text(obj, "assignee", 80)
    elif action == "answer":
        rfi.answer = _text(obj, "answer", 50_000)
        released = obj.get("released") or []
        rfi.released = ",".join(str(r) for r in released if isinstance(r, str))
        rfi.released_tlp = _text(obj, "released_tlp", 16)
    elif action == "decline":
        rfi.decline_reason = _text(obj, "reason", 5000)
    if target in states.CLOSED:
        rfi.closed_at = now()


def _note(action: str, obj: dict[str, Any]) -> str:
    if action == "decline" or action == "withdraw":
        return _text(obj, "reason", 5000)
    if action == "assign":
        return _text(obj, "assignee", 80)
    return ""


# -- messages a partner fetches, when this node could not post them ----------------------------

PULL_LIMIT = 500


def messages_for(session: Session, partner: PartnerPrincipal, since: str) -> dict[str, Any]:
    """The messages queued for ``partner`` after ``since`` (its cursor). Asking from a cursor
    acknowledges everything up to it: those are marked delivered here."""
    moment = now()
    cursor = _parse_cursor(since)
    if cursor is not None:
        for message in session.execute(
            select(RfiMessage).where(
                RfiMessage.partner_id == partner.partner_id,
                RfiMessage.direction == OUT,
                RfiMessage.delivered_at.is_(None),
                RfiMessage.created_at <= cursor,
            )
        ).scalars():
            delivered(session, message.id, None)
    query = (
        select(RfiMessage)
        .where(RfiMessage.partner_id == partner.partner_id, RfiMessage.direction == OUT)
        .order_by(RfiMessage.created_at)
        .limit(PULL_LIMIT)
    )
    if cursor is not None:
        query = query.where(RfiMessage.created_at > cursor)
    found = list(session.execute(query).scalars())
    return {
        "messages": [orjson.loads(m.body) for m in found],
        "next": _cursor(found[-1].created_at) if found else since,
        "at": _cursor(moment),
    }


def _cursor(moment: Any) -> str:
    from puente.clock import as_utc

    return str(as_utc(moment).isoformat())


def _parse_cursor(text: str) -> Any:
    from datetime import datetime

    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
