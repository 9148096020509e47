"""Recalls: the owner takes back a record shared by mistake; recipients purge and acknowledge.

The owner marks every version of the record recalled (the egress gate then keeps it out of
every partner's collection, and the hit/no-hit indexes drop its keys in the same transaction:
records.events) and publishes a signed recall object (``x-puente-recall``, a
new-sdo extension definition) as one of its own records, released to the partners that may
have received the record. It travels like any other object, so a partner that was offline
gets it at its next sync. The recipient checks the signature against the owner's pinned key,
replaces the content of every version it holds by a tombstone (id, type, times and markings
stay, and the content hash, which proves what had been received), and posts a signed
acknowledgement (``x-puente-recall-ack``) to the owner's inbox, where it turns the owner's
notice for that partner from pending to acknowledged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import now
from puente.config import Settings
from puente.errors import N_, Conflict, InvalidInput, Problem
from puente.node import Node
from puente.policy import gate
from puente.policy.agencies import for_country
from puente.policy.markings import MARKINGS_EXTENSION, Markings, apply_markings
from puente.policy.roles import Principal, require
from puente.records import events
from puente.records import service as records
from puente.records.builder import stix_now
from puente.records.ingest import ingest
from puente.records.models import Record, RecordCopy, RecordRef
from puente.records.rows import facts_of
from puente.records.validation import TIMESTAMP_RE, timestamp_key
from puente.sharing import signing
from puente.sharing.models import Partner, Quarantined, RecallNotice
from puente.sharing.partners import PartnerPrincipal

RECALL_TYPE = "x-puente-recall"
ACK_TYPE = "x-puente-recall-ack"
EXT_RECALL = "extension-definition--5e9a1c47-8b2d-4f60-a3e1-9c7d2b4f6a18"
EXT_RECALL_ACK = "extension-definition--2d8b6f13-4c7a-4e95-b0d2-6a1e8c3f5b79"
SENT, RECEIVED = "sent", "received"
# The reason a withdrawal gives (DESIGN.md: "a recall with the reason 'markings tightened'").
WITHDRAWAL_REASON = N_("markings tightened")


@dataclass
class RecallResult:
    recall_id: str
    record_id: str
    partners: list[str]  # node ids told of it (pending until they acknowledge)


def recall(
    session: Session, node: Node, actor: Principal, stix_id: str, reason: str
) -> RecallResult:
    """Recall a record of this node from every partner that may have received it."""
    require(actor, "records.write")
    reason = reason.strip()
    if not reason:
        raise InvalidInput([Problem(N_("Say why the record is recalled."), "/reason")])
    current = records.owned_current(session, actor, stix_id)
    if current.recalled:
        raise Conflict(N_("Record {id} is already recalled."), id=stix_id)
    recall_id, told = _recall_one(session, node.settings, actor, stix_id, reason)
    recalled = [stix_id]
    # A copy released to answer a request for information carries its original's recall: it
    # holds the same content (its own markings may even let a user see it who cannot see the
    # original, so the permission was checked on the original above). So does a copy of that
    # copy (its author sees the copy, and may release it again), however deep.
    for copy_id in _copies_of(session, stix_id):
        copy = session.execute(
            select(Record).where(Record.stix_id == copy_id, Record.is_current.is_(True))
        ).scalar_one_or_none()
        if copy is not None and not copy.recalled and not copy.received:
            _, more = _recall_one(session, node.settings, actor, copy_id, reason)
            told += [p for p in more if p not in told]
            recalled.append(copy_id)
    # Last, once the recalls are written: a listener may wait on a hit/no-hit index's lock,
    # and this transaction takes the records' write lock (in _publish) before it, as every
    # writer of records does.
    events.recalled(session, node.settings, actor, recalled)
    return RecallResult(recall_id, stix_id, sorted({p.node_id for p in told}))


def _copies_of(session: Session, stix_id: str) -> list[str]:
    """The ids of every copy of ``stix_id``, and of their copies, in the order found."""
    found: dict[str, None] = {}
    frontier = [stix_id]
    while frontier:
        copies = session.execute(
            select(RecordCopy.copy_id).where(RecordCopy.original_id.in_(frontier))
        ).scalars()
        frontier = [c for c in copies if c not in found and c != stix_id]
        found.update(dict.fromkeys(frontier))
    return list(found)


def _recall_one(
    session: Session, settings: Settings, actor: Principal, stix_id: str, reason: str
) -> tuple[str, list[Partner]]:
    """Mark every version of one record recalled and publish the recall to the partners
    that may have received it; the recall's id, and those partners."""
    versions = list(session.execute(select(Record).where(Record.stix_id == stix_id)).scalars())
    all_partners = list(session.execute(select(Partner).order_by(Partner.node_id)).scalars())
    told = [
        p
        for p in all_partners
        if any(
            gate.decide(facts_of(v), PartnerPrincipal(p.id, p.node_id, p.country).audience)
            for v in versions
        )
    ]
    session.execute(update(Record).where(Record.stix_id == stix_id).values(recalled=True))
    return _publish(session, settings, actor, stix_id, reason, told), told


def withdraw(
    session: Session,
    settings: Settings,
    writer: Principal,
    stix_id: str,
    told: list[Partner],
    through: str,
) -> str:
    """Withdraw a record from partners that a new version no longer lets receive it.

    Unlike a recall the record stays shareable (a later version marked for them flows again);
    the partners get the same signed object, with the reason "markings tightened", and purge
    every version they hold up to ``through``, the newest version they may hold: a later one
    is theirs to keep, and a later tightening of versions they received since is withdrawn
    again."""
    return _publish(session, settings, writer, stix_id, WITHDRAWAL_REASON, told,
                    {"withdrawn_through": through})  # fmt: skip


def withdrawn_through(session: Session, partner: Partner, stix_id: str) -> str:
    """The newest version of ``stix_id`` already withdrawn from ``partner`` ("" if none)."""
    bodies = session.execute(
        select(RecallNotice.body).where(
            RecallNotice.partner_id == partner.id,
            RecallNotice.direction == SENT,
            RecallNotice.record_id == stix_id,
        )
    ).scalars()
    return max((str(orjson.loads(b).get("withdrawn_through", "")) for b in bodies), default="")


def _publish(
    session: Session,
    settings: Settings,
    actor: Principal,
    stix_id: str,
    reason: str,
    told: list[Partner],
    extra: dict[str, Any] | None = None,
) -> str:
    """Sign the recall object, store it as this node's record released to the partners
    ``told`` (it travels in their collections), and note it sent to each; its id."""
    created = stix_now()
    body: dict[str, Any] = {
        "type": RECALL_TYPE,
        "spec_version": "2.1",
        "id": f"{RECALL_TYPE}--{uuid.uuid4()}",
        "created": created,
        "modified": created,
        "record_id": stix_id,
        "owner_node": settings.node_id,
        "reason": reason,
        **(extra or {}),
        "extensions": {EXT_RECALL: {"extension_type": "new-sdo"}},
    }
    countries = {settings.country, *(p.country for p in told)}
    # It names the record, which some users here may not see. Told no partner, it goes
    # nowhere, so it is TLP:RED, for the one who recalled it alone; told partners, it is for
    # the record's originating agency here and every agency of those partners' countries
    # there (the partner row releases it; no other agency here learns the record's id).
    owner = session.execute(
        select(Record.originating_agency).where(Record.stix_id == stix_id).limit(1)
    ).scalar_one_or_none()
    agencies = {owner or actor.agency, *(a.code for c in countries - {settings.country}
                                         for a in for_country(c))}  # fmt: skip
    markings = Markings(tlp="RED", rel_to=frozenset(countries), handling="H0")
    if told:
        markings = replace(markings, tlp="AMBER", agencies=frozenset(agencies))
    apply_markings(body, markings)
    signed = signing.sign(settings.key_path, body)
    ingest(session, settings, actor, [signed], override=markings, action="record.recall",
           base_pointer="")  # fmt: skip
    moment = now()
    text = orjson.dumps(signed, option=orjson.OPT_SORT_KEYS).decode()
    session.add_all(
        RecallNotice(id=signed["id"], partner_id=p.id, direction=SENT, record_id=stix_id,
                     reason=reason, recalled_by=actor.username, created_at=moment, body=text)
        for p in told
    )  # fmt: skip
    return str(signed["id"])


def refusal(partner: Partner, obj: dict[str, Any]) -> str:
    """Why a recall served by ``partner`` may not be applied (it is quarantined); "" if none."""
    if not signing.verify(partner.public_key, obj):
        return N_("The recall's signature does not verify with the partner's pinned key.")
    if obj.get("owner_node") != partner.node_id or not isinstance(obj.get("record_id"), str):
        return N_("A partner may recall only its own records.")
    return ""


def apply_received(session: Session, node: Node, partner: Partner, obj: dict[str, Any]) -> None:
    """Apply a checked recall from ``partner``: purge, and sign the acknowledgement to post."""
    if session.get(RecallNotice, (obj["id"], partner.id)) is not None:
        return  # applied before: a page delivered twice changes nothing
    record_id = obj["record_id"]
    conditions = [Record.stix_id == record_id, Record.received.is_(True),
                  Record.owner_node == partner.node_id]  # fmt: skip
    through = obj.get("withdrawn_through")
    if isinstance(through, str) and through:
        # A withdrawal takes back the versions up to the tightening; a later version, marked
        # for this node again, may arrive in the same page before it and stays.
        conditions.append(Record.modified_key <= through)
    held = list(session.execute(select(Record).where(*conditions)).scalars())
    for row in held:
        row.content = orjson.dumps(_tombstone(row, obj), option=orjson.OPT_SORT_KEYS).decode()
        row.name = ""
        row.search_text = " "
        row.recalled = True
    if held:
        session.execute(delete(RecordRef).where(RecordRef.record_pk.in_([r.pk for r in held])))
    _purge_quarantined(session, partner, obj, through if isinstance(through, str) else "")
    created = stix_now()
    ack = signing.sign(
        node.settings.key_path,
        {
            "type": ACK_TYPE,
            "spec_version": "2.1",
            "id": f"{ACK_TYPE}--{uuid.uuid4()}",
            "created": created,
            "modified": created,
            "recall_id": obj["id"],
            "record_id": record_id,
            "sender_node": partner.node_id,
            "receiver_node": node.settings.node_id,
            "purged_versions": len(held),
            "extensions": {EXT_RECALL_ACK: {"extension_type": "new-sdo"}},
        },
    )
    session.add(
        RecallNotice(
            id=obj["id"],
            partner_id=partner.id,
            direction=RECEIVED,
            record_id=record_id,
            reason=str(obj.get("reason", "")),
            recalled_by=f"partner:{partner.node_id}",
            created_at=now(),
            body=orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode(),
            acknowledged_at=now(),
            ack_body=orjson.dumps(ack).decode(),
            purged_versions=len(held),
        )
    )
    audit.append(session, f"partner:{partner.node_id}", "sync.recall", record_id,
                 details={"recall": obj["id"], "purged_versions": len(held)})  # fmt: skip


def _purge_quarantined(session: Session, partner: Partner, recall_obj: dict[str, Any],
                      through: str) -> None:  # fmt: skip
    """Purge the content of what ``partner`` served of the recalled record that this node
    refused and keeps in quarantine (it is shown there to the readers its markings allow):
    every version, or for a withdrawal those up to ``through`` (and any whose version does
    not read as a time)."""
    entries = session.execute(
        select(Quarantined).where(
            Quarantined.partner_id == partner.id,
            Quarantined.object_id == recall_obj["record_id"],
        )
    ).scalars()
    for entry in entries:
        version = entry.version
        if through and TIMESTAMP_RE.match(version) and timestamp_key(version) > through:
            continue
        entry.content = orjson.dumps(
            {"id": entry.object_id, "x_puente_recalled": {
                "recall": recall_obj["id"], "reason": recall_obj.get("reason", "")}},
            option=orjson.OPT_SORT_KEYS,
        ).decode()  # fmt: skip


def _tombstone(row: Record, recall_obj: dict[str, Any]) -> dict[str, Any]:
    """What a recalled version becomes: its identity and markings, none of its content."""
    content = orjson.loads(row.content)
    kept = ("type", "spec_version", "id", "created", "modified", "object_marking_refs",
            "created_by_ref")  # fmt: skip
    stone = {key: content[key] for key in kept if key in content}
    markings = (content.get("extensions") or {}).get(MARKINGS_EXTENSION)
    if markings:
        stone["extensions"] = {MARKINGS_EXTENSION: markings}
    stone["x_puente_recalled"] = {
        "recall": recall_obj["id"],
        "reason": recall_obj.get("reason", ""),
    }
    return stone


def accept_ack(session: Session, requester: PartnerPrincipal, obj: dict[str, Any]) -> str | None:
    """The owner's side: a partner's signed acknowledgement of a recall."""
    partner = session.get(Partner, requester.partner_id)
    if partner is None or not signing.verify(partner.public_key, obj):
        return N_("The acknowledgement's signature does not verify with the partner's pinned key.")
    notice = session.get(RecallNotice, (obj.get("recall_id"), partner.id))
    if notice is None or notice.direction != SENT or obj.get("receiver_node") != partner.node_id:
        return N_("No recall {id} was sent to this partner.")
    if notice.acknowledged_at is None:
        notice.acknowledged_at = now()
        notice.ack_body = orjson.dumps(obj).decode()
        notice.purged_versions = int(obj.get("purged_versions") or 0)
        audit.append(session, requester.name, "recall.acknowledged", notice.record_id,
                     details={"recall": notice.id})  # fmt: skip
    return None


def list_recalls(session: Session, actor: Principal) -> list[RecallNotice]:
    """The recalls of records ``actor`` may see (the gate decides on the record's current
    version: a recall must not reveal the id of a record hidden from the reader)."""
    require(actor, "records.read")
    notices = list(
        session.execute(
            select(RecallNotice).order_by(RecallNotice.created_at.desc(), RecallNotice.partner_id)
        ).scalars()
    )
    ids = sorted({n.record_id for n in notices})
    current = session.execute(
        select(Record).where(Record.stix_id.in_(ids), Record.is_current.is_(True))
    ).scalars()
    visible = {r.stix_id for r in gate.release(current, facts_of, actor.audience)}
    return [n for n in notices if n.record_id in visible]
