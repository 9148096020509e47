"""Audit checkpoints across the border: each node posts the checkpoints it signs of its audit
chain (:mod:`puente.audit.checkpoints`) to each partner's inbox with its receipts, and keeps
those its partners post. The other government so holds evidence of this node's chain that
no one with access to this node can withdraw, and its auditors hand it back to this node's
auditors (`puente partner checkpoints`) to verify against (`puente audit verify
--partner-copy`).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.audit import checkpoints
from puente.audit import service as audit
from puente.audit.models import AuditCheckpoint
from puente.clock import now
from puente.errors import N_
from puente.policy.roles import Principal, require
from puente.sharing import signing
from puente.sharing.models import HeldCheckpoint, Partner
from puente.sharing.partners import PartnerPrincipal, get_partner

CHECKPOINT_TYPE = checkpoints.CHECKPOINT_TYPE
POST_AT_MOST = 100  # checkpoints in one post


def pending(session: Session, partner: Partner) -> list[tuple[int, str]]:
    """This node's checkpoints not yet posted to ``partner``: (row id, signed body), oldest
    first."""
    rows = session.execute(
        select(AuditCheckpoint.id, AuditCheckpoint.body)
        .where(AuditCheckpoint.id > partner.checkpoint_posted)
        .order_by(AuditCheckpoint.id)
        .limit(POST_AT_MOST)
    ).all()
    return [(row.id, row.body) for row in rows]


def accept(session: Session, requester: PartnerPrincipal, obj: Any) -> str | None:
    """Check and keep a checkpoint a partner posted; the reason it was refused, or None."""
    partner = session.get(Partner, requester.partner_id)
    if partner is None:
        return N_("Unknown partner.")
    made = checkpoints.parse(obj)
    if made is None:
        return N_("The checkpoint lacks a node, an entry number, a head hash, a time or a "
                  "signature.")  # fmt: skip
    if made.node_id != partner.node_id:
        return N_("The checkpoint names another node than the partner that posted it.")
    if not signing.verify(partner.public_key, made.body):
        return N_("The checkpoint's signature does not verify with the partner's pinned key.")
    body = orjson.dumps(made.body, option=orjson.OPT_SORT_KEYS).decode()
    existing = session.get(HeldCheckpoint, made.id)
    if existing is not None:
        return None if existing.body == body else N_("Another checkpoint has this id.")
    # The same entry pinned with another hash: the partner signed two different chains.
    conflicting = session.execute(
        select(HeldCheckpoint.id).where(
            HeldCheckpoint.partner_id == partner.id,
            HeldCheckpoint.seq == made.seq,
            HeldCheckpoint.head_hash != made.head_hash,
        )
    ).first()
    session.add(HeldCheckpoint(id=made.id, partner_id=partner.id, seq=made.seq,
                               head_hash=made.head_hash, at=made.at, body=body,
                               received_at=now()))  # fmt: skip
    details: dict[str, Any] = {"seq": made.seq, "hash": made.head_hash}
    if conflicting is not None:
        details["conflicts_with"] = conflicting[0]
    action = "sync.checkpoint-conflict" if conflicting is not None else "sync.checkpoint"
    audit.append(session, requester.name, action, made.id, details=details)
    return None


def held(session: Session, who: Principal, partner_node_id: str) -> list[str]:
    """`puente partner checkpoints`: the partner's checkpoints this node holds, as signed, one
    JSON line each, in the order they were signed."""
    require(who, "audit.read")
    partner = get_partner(session, partner_node_id)
    bodies = list(
        session.execute(
            select(HeldCheckpoint.body)
            .where(HeldCheckpoint.partner_id == partner.id)
            .order_by(HeldCheckpoint.seq, HeldCheckpoint.at)
        ).scalars()
    )
    audit.append(session, who.username, "partner.checkpoints", partner_node_id,
                 details={"count": len(bodies)})  # fmt: skip
    return bodies
