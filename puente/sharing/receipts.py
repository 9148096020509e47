"""Receipts: the receiver signs what it stored, the sender checks and keeps it.

A receipt is a STIX 2.1 object of Puente's type ``x-puente-receipt`` (a new-sdo extension
definition, :data:`EXT_RECEIPT`), signed with the receiver's Ed25519 key (see
:mod:`puente.sharing.signing`). It names each object version stored from one page, as
``[id, version, sha256 of the stored content]``, and a SHA-256 over those lines, so both nodes
can later prove what crossed the border. The sender accepts it only if the signature
verifies with the key it pinned for that partner and every listed version is one it released
to that partner, with the same content.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from typing import Any, cast

import orjson
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import now
from puente.db import batches, compress_fast, one_of
from puente.errors import N_
from puente.node import Node, public_key_hex
from puente.policy import gate
from puente.policy.roles import Principal, require
from puente.records.builder import stix_now
from puente.records.definitions import served
from puente.records.models import Record
from puente.records.rows import GATE_COLUMNS, GateValues, facts_from, stored_versions
from puente.records.validation import is_identifier, timestamp_key
from puente.records.writers import bulk_insert
from puente.sharing import signing
from puente.sharing.models import Acknowledgement, Partner, RecallNotice, Receipt
from puente.sharing.partners import PartnerPrincipal

RECEIPT_TYPE = "x-puente-receipt"
EXT_RECEIPT = "extension-definition--0c6f2d7e-3a41-4b8e-9d25-7e1f4a6c8b30"
ISSUED, HELD = "issued", "held"

Version = tuple[str, str, str]  # stix id, version (modified), sha256 of the stored content


def versions_digest(versions: list[Version]) -> str:
    return hashlib.sha256("".join(f"{i}|{v}|{h}\n" for i, v, h in versions).encode()).hexdigest()


def issue(
    session: Session,
    node: Node,
    partner: Partner,
    collection_id: str,
    versions: list[Version],
    first: str,
    last: str,
    quarantined: list[dict[str, str]],
) -> Receipt:
    """Sign a receipt for one stored page, in the caller's transaction (posted later)."""
    created = stix_now()
    body: dict[str, Any] = {
        "type": RECEIPT_TYPE,
        "spec_version": "2.1",
        "id": f"{RECEIPT_TYPE}--{uuid.uuid4()}",
        "created": created,
        "modified": created,
        "sender_node": partner.node_id,
        "receiver_node": node.settings.node_id,
        "collection_id": collection_id,
        "object_count": len(versions),
        "first_date_added": first,
        "last_date_added": last,
        "versions": [list(v) for v in versions],
        "versions_sha256": versions_digest(versions),
        "extensions": {EXT_RECEIPT: {"extension_type": "new-sdo"}},
    }
    if quarantined:
        body["quarantined"] = quarantined
    signed = signing.sign(node.settings.key_path, body)
    receipt = Receipt(
        id=signed["id"],
        partner_id=partner.id,
        direction=ISSUED,
        collection_id=collection_id,
        object_count=len(versions),
        first_date_added=first,
        last_date_added=last,
        versions_sha256=signed["versions_sha256"],
        body=orjson.dumps(signed).decode(),
        created_at=now(),
    )
    compress_fast(session)  # the signed body lists every version: 150 kB for a page of 1,000
    session.add(receipt)
    return receipt


def accept(session: Session, node: Node, requester: PartnerPrincipal, obj: Any) -> str | None:
    """Check and keep a receipt a partner posted; the reason it was refused, or None."""
    if not isinstance(obj, dict) or obj.get("type") != RECEIPT_TYPE:
        return N_("Only receipts and recall acknowledgements may be posted to this collection.")
    partner = session.get(Partner, requester.partner_id)
    if partner is None:
        return N_("Unknown partner.")
    if (
        obj.get("receiver_node") != partner.node_id
        or obj.get("sender_node") != node.settings.node_id
    ):
        return N_("The receipt names other nodes than this one and its sender.")
    if not signing.verify(partner.public_key, obj):
        return N_("The receipt's signature does not verify with the partner's pinned key.")
    if not _keepable(obj):
        return N_("The receipt's id must be a receipt identifier, and its collection_id, "
                  "first_date_added and last_date_added text of at most 36, 32 and 32 "
                  "characters.")  # fmt: skip
    raw = obj.get("versions")
    if not isinstance(raw, list) or not all(
        isinstance(v, list) and len(v) == 3 and all(isinstance(p, str) for p in v) for v in raw
    ):
        return N_("The receipt's versions must be [id, version, sha256] lists.")
    versions: list[Version] = [(v[0], v[1], v[2]) for v in raw]
    if versions_digest(versions) != obj.get("versions_sha256"):
        return N_("The receipt's versions do not match its versions_sha256.")
    existing = session.get(Receipt, obj.get("id"))
    if existing is not None:
        return (
            None
            if existing.body == orjson.dumps(obj).decode()
            else N_("Another receipt has this id.")
        )
    pks = _released_rows(session, requester, versions)
    if pks is None:
        return N_("The receipt lists versions this node did not release to the partner.")
    receipt = Receipt(
        id=str(obj["id"]),
        partner_id=partner.id,
        direction=HELD,
        collection_id=str(obj.get("collection_id", "")),
        object_count=len(versions),
        first_date_added=str(obj.get("first_date_added", "")),
        last_date_added=str(obj.get("last_date_added", "")),
        versions_sha256=str(obj["versions_sha256"]),
        body=orjson.dumps(obj).decode(),
        created_at=now(),
    )
    compress_fast(session)
    session.add(receipt)
    session.flush()
    moment = now()
    connection = session.connection()  # Core: a receipt acknowledges up to thousands
    acknowledged: set[int] = set()
    for batch in batches(session, pks):
        acknowledged.update(
            connection.execute(
                select(Acknowledgement.record_pk).where(
                    Acknowledgement.partner_id == partner.id,
                    one_of(session, Acknowledgement.record_pk, batch),
                )
            ).scalars()
        )
    fresh = [
        {"partner_id": partner.id, "record_pk": pk, "receipt_id": receipt.id,
         "acknowledged_at": moment}
        for pk in pks if pk not in acknowledged
    ]  # fmt: skip
    # COPY on PostgreSQL: an insert of many rows runs there as one statement per row.
    bulk_insert(session, cast(Table, Acknowledgement.__table__), fresh)
    audit.append(
        session,
        requester.name,
        "sync.receipt",
        receipt.id,
        details={"count": len(versions), "sha256": receipt.versions_sha256},
    )
    return None


def _keepable(obj: dict[str, Any]) -> bool:
    """Whether the fields kept in the receipt's row are of a shape and size its columns hold
    (the partner signed them, but may have signed anything)."""
    if not is_identifier(obj.get("id"), RECEIPT_TYPE):
        return False
    widths = {"collection_id": 36, "first_date_added": 32, "last_date_added": 32}
    return all(
        isinstance(value := obj.get(name, ""), str) and len(value) <= width
        for name, width in widths.items()
    )


def _released_rows(
    session: Session, requester: PartnerPrincipal, versions: list[Version]
) -> list[int] | None:
    """The pks of the rows the versions name, if every one was released to the partner
    unchanged.

    A definition every collection serves beside the records (puente.records.definitions) is
    no row: a partner that stored one and lists it (an older release did) acknowledges
    nothing by it, and is not refused for it."""
    definitions = {(d.stix_id, d.modified_key): d.content_hash for d in served(session)}
    listed = [((i, timestamp_key(v)), digest) for i, v, digest in versions]
    listed = [(key, digest) for key, digest in listed if definitions.get(key) != digest]
    if not listed:
        return []
    held = _held(session, [key for key, _ in listed])
    for key, digest in listed:
        row = held.get(key)
        if row is None or row[1] != digest:
            return None
    pks = [pk for pk, _ in held.values()]
    audience = requester.audience
    # One decision per distinct markings: the gate reads a version's markings and ownership,
    # never its id. An older version is judged on its own: it was released as it was.
    for values in _distinct_gates(session, pks):
        # Recalled since: the partner did receive it; the acknowledgement still counts. A recall
        # changes nothing else, so the rest of the gate still decides: a recalled version the
        # gate never let out (TLP:RED, not REL TO the partner) was never received.
        facts = replace(facts_from("", values), recalled=False)
        if not gate.decide(facts, audience):
            return None
    return pks


def _held(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(pk, content sha256) of each stored version among ``keys`` (stix id, modified key).

    Four columns, not the gate's too: a receipt lists a thousand versions that share a
    handful of markings (see :func:`_distinct_gates`)."""
    wanted = set(keys)
    connection = session.connection()
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for batch in batches(session, sorted({stix_id for stix_id, _ in wanted})):
        query = select(Record.pk, Record.stix_id, Record.modified_key, Record.content_hash).where(
            one_of(session, Record.stix_id, batch)
        )
        for pk, stix_id, key, digest in connection.execute(query).all():
            if (stix_id, key) in wanted:
                found[(stix_id, key)] = (pk, digest)
    return found


def _distinct_gates(session: Session, pks: list[int]) -> set[GateValues]:
    """The distinct GATE_COLUMNS values of these rows."""
    connection = session.connection()
    found: set[GateValues] = set()
    for batch in batches(session, pks):
        query = select(*GATE_COLUMNS).where(one_of(session, Record.pk, batch)).distinct()
        found.update(tuple(row) for row in connection.execute(query).all())
    return found


@dataclass
class VerifyReport:
    checked: int
    problems: list[tuple[str, str]]  # receipt id, what is wrong

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_all(session: Session, node: Node, actor: Principal) -> VerifyReport:
    """`puente receipts verify`: every receipt's signature, digest and versions."""
    require(actor, "audit.read")
    own_key = public_key_hex(node.settings)
    pinned = {p.id: p.public_key for p in session.execute(select(Partner)).scalars()}
    problems: list[tuple[str, str]] = []
    checked = 0
    for receipt in session.execute(select(Receipt).order_by(Receipt.created_at)).scalars():
        checked += 1
        body = orjson.loads(receipt.body)
        signer = own_key if receipt.direction == ISSUED else pinned.get(receipt.partner_id, "")
        if not signing.verify(signer, body):
            problems.append((receipt.id, N_("the signature does not verify")))
            continue
        versions = [tuple(v) for v in body.get("versions", [])]
        if versions_digest(versions) != body.get("versions_sha256") or (
            body.get("versions_sha256") != receipt.versions_sha256
        ):
            problems.append((receipt.id, N_("the versions do not match their digest")))
            continue
        keys = [(str(v[0]), timestamp_key(str(v[1]))) for v in versions]
        stored = {
            (r.stix_id, r.modified_key): r.content_hash for r in stored_versions(session, keys)
        }
        for (stix_id, key), (_, _, digest) in zip(keys, versions, strict=True):
            held = stored.get((stix_id, key))
            # A version no longer held (purged after a recall) proves nothing either way.
            if held is not None and held != digest:
                problems.append((receipt.id, N_("a listed version's content has changed")))
                break
    for notice in session.execute(select(RecallNotice)).scalars():
        checked += 1
        owner, recipient = (
            (own_key, pinned.get(notice.partner_id, ""))
            if notice.direction == "sent"
            else (pinned.get(notice.partner_id, ""), own_key)
        )
        if not signing.verify(owner, orjson.loads(notice.body)):
            problems.append((notice.id, N_("the recall's signature does not verify")))
        elif notice.ack_body and not signing.verify(recipient, orjson.loads(notice.ack_body)):
            problems.append((notice.id, N_("the acknowledgement's signature does not verify")))
    audit.append(session, actor.username, "receipts.verify", details={"checked": checked,
                 "problems": len(problems)})  # fmt: skip
    return VerifyReport(checked, problems)
