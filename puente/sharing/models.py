"""Tables for federation: partners, what was received from them, receipts, quarantine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, ForeignKeyConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from puente.db import Base


class Partner(Base):
    """Another government's node: how it signs in here, and how this node pulls from it."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(64), unique=True)  # its TAXII username here
    country: Mapped[str] = mapped_column(String(3))
    display_name: Mapped[str] = mapped_column(String(200))
    # Where its TAXII server lives (the root that serves /taxii2/).
    base_url: Mapped[str] = mapped_column(String(500))
    # The public half of its Ed25519 signing key, pinned: receipts and recalls must verify.
    public_key: Mapped[str] = mapped_column(String(64))
    # The secret it signs in here with: only a hash (it is random, 256 bits: no slow hash).
    inbound_secret_hash: Mapped[str] = mapped_column(String(64))
    inbound_secret_prefix: Mapped[str] = mapped_column(String(16))
    # The secret this node signs in there with. It must be sent, so it is kept as given.
    outbound_secret: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Pulling from it: the collection found there, and how far this node has stored it (the
    # partner's own date_added, from its X-TAXII-Date-Added-Last header, never this clock).
    pull_url: Mapped[str] = mapped_column(String(500), default="")
    push_url: Mapped[str] = mapped_column(String(500), default="")
    cursor: Mapped[str] = mapped_column(String(32), default="")
    received_count: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The last thing that went wrong pulling from it, kept after later successes: what
    # (FAILURE_KINDS in puente.sharing.sync), when, and the detail (the partner's or the
    # network's words, or the first quarantined object's reason).
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_kind: Mapped[str] = mapped_column(String(16), default="")
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row, for the backoff
    # Every failed pull and every pull that quarantined objects, since the partner was added.
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    # How far this node has read the partner's messages about requests for information (the
    # partner's own creation time of the last one), when they came with a sync, not a push.
    rfi_cursor: Mapped[str] = mapped_column(String(40), default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The worker pulling it now: one at a time, whatever the number of `puente serve` workers.
    lease_owner: Mapped[str] = mapped_column(String(100), default="")
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The last of this node's audit checkpoints (its row id) posted to the partner's inbox.
    checkpoint_posted: Mapped[int] = mapped_column(Integer, default=0)


class ReceivedVersion(Base):
    """Provenance of one stored version that came from a partner."""

    __tablename__ = "received_versions"
    # On PostgreSQL the same rules are checked once a statement, not once a row (migration 0026).
    __table_args__ = (
        ForeignKeyConstraint(["record_pk"], ["records.pk"], ondelete="CASCADE").ddl_if(
            dialect="sqlite"
        ),
        ForeignKeyConstraint(["partner_id"], ["partners.id"]).ddl_if(dialect="sqlite"),
    )

    record_pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, index=True)
    collection_id: Mapped[str] = mapped_column(String(36))
    date_added: Mapped[str] = mapped_column(String(32))  # the partner's
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    receipt_id: Mapped[str] = mapped_column(String(100))


class Quarantined(Base):
    """An object a partner served that failed validation: kept aside with the reason."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    object_id: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)  # as served, cut at QUARANTINE_KEEP characters
    size: Mapped[int] = mapped_column(Integer)
    date_added: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Receipt(Base):
    """A signed receipt for one page of objects: proof of what crossed the border.

    ``direction`` is "issued" for receipts this node signed for what it stored, "held" for
    receipts a partner signed for what this node released to it.
    """

    __tablename__ = "receipts"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    collection_id: Mapped[str] = mapped_column(String(36))
    object_count: Mapped[int] = mapped_column(Integer)
    first_date_added: Mapped[str] = mapped_column(String(32))
    last_date_added: Mapped[str] = mapped_column(String(32))
    versions_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # the signed receipt object, as signed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Acknowledgement(Base):
    """A released version the partner acknowledged, and by which receipt."""

    __tablename__ = "acknowledgements"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    record_pk: Mapped[int] = mapped_column(
        ForeignKey("records.pk", ondelete="CASCADE"), primary_key=True
    )
    receipt_id: Mapped[str] = mapped_column(ForeignKey("receipts.id"), index=True)
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TaxiiCollection(Base):
    """A TAXII collection's identifier, made once (a random version-4 UUID, as TAXII 2.1 §2
    requires of identifiers) and kept: a partner finds its collection by it across restarts,
    upgrades and changes to this node's configuration."""

    __tablename__ = "taxii_collections"

    # What the collection is: "records", "released/<partner node id>", "inbox/<partner node id>".
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)


class TaxiiStatus(Base):
    """The outcome of one TAXII "Add Objects" request (TAXII 2.1 §4.3.1), kept for polling."""

    __tablename__ = "taxii_statuses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    requester: Mapped[str] = mapped_column(String(80), index=True)
    collection_id: Mapped[str] = mapped_column(String(36))
    request_timestamp: Mapped[str] = mapped_column(String(32))
    total_count: Mapped[int] = mapped_column(Integer)
    # {"successes": [...], "failures": [...]} as status-details objects.
    details: Mapped[str] = mapped_column(Text)


class RecallNotice(Base):
    """One recall, as its owner tracks it per partner or as a recipient applied it.

    On the owner ("sent"): one row per partner that may have received the record, pending
    until the partner's signed acknowledgement arrives. On the recipient ("received"): the
    recall as applied here, with the acknowledgement this node signed, until it is posted.
    """

    __tablename__ = "recall_notices"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the recall object's id
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    record_id: Mapped[str] = mapped_column(String(300), index=True)
    reason: Mapped[str] = mapped_column(Text)
    recalled_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[str] = mapped_column(Text)  # the signed recall object
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ack_body: Mapped[str] = mapped_column(Text, default="")  # the signed acknowledgement
    ack_posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    purged_versions: Mapped[int] = mapped_column(Integer, default=0)


class HeldCheckpoint(Base):
    """A partner's signed audit checkpoint, kept here as evidence of its chain's head.

    The partner posts each checkpoint it signs with its receipts; it verified with the key
    pinned for the partner before it was kept. Its auditors verify their chain against this
    copy (`puente partner checkpoints`), which their own database's writers cannot reach.
    """

    __tablename__ = "partner_checkpoints"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the checkpoint's id
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)  # the checkpoint as signed
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
