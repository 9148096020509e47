"""Tables for requests for information: the requests, their history, and the signed messages
that keep both nodes' copies of a request in step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from puente.db import Base


class Rfi(Base):
    """One request for information, as the asking node ("outgoing") or the asked node
    ("incoming") keeps it. Both copies share the id and move through the same states."""

    __tablename__ = "rfis"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), index=True)  # outgoing | incoming
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    priority: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(300))
    question: Mapped[str] = mapped_column(Text)
    case_reference: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(500))
    # What the request is about when it follows a hit: category, the subject as the analyst
    # asked it (JSON) and the key types that matched. Empty for a request from scratch.
    category: Mapped[str] = mapped_column(String(12), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    hit_query_id: Mapped[str] = mapped_column(String(36), default="")
    matched: Mapped[str] = mapped_column(String(500), default="")
    # On the asking node: its user who asks and the users the answer is for (usernames there).
    requester: Mapped[str] = mapped_column(String(80))
    requester_agency: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    # On the asked node: the liaison who handles it.
    assignee: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    released: Mapped[str] = mapped_column(Text, default="")  # comma-separated STIX ids
    released_tlp: Mapped[str] = mapped_column(String(16), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RfiEvent(Base):
    """One step in a request's history, as this node saw it."""

    __tablename__ = "rfi_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rfi_id: Mapped[str] = mapped_column(ForeignKey("rfis.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))  # a user here, or "user@node" there
    action: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12))  # the state it left the request in
    note: Mapped[str] = mapped_column(Text, default="")


class RfiMessage(Base):
    """A signed message about a request, sent to the partner ("out", kept until delivered)
    or received from it ("in", kept so a message delivered twice changes nothing)."""

    __tablename__ = "rfi_messages"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    direction: Mapped[str] = mapped_column(String(4), primary_key=True)  # out | in
    rfi_id: Mapped[str] = mapped_column(ForeignKey("rfis.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    refused: Mapped[str] = mapped_column(Text, default="")  # the partner's reason, if it refused


class ReleaseHold(Base):
    """An answer held until the originating agencies approve releasing its records: what the
    liaison wrote and chose, kept here (nothing of it leaves the node) until every approval is
    given ("released"), one is refused ("refused"), or the request moves on ("cancelled")."""

    __tablename__ = "release_holds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rfi_id: Mapped[str] = mapped_column(ForeignKey("rfis.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    asked_by: Mapped[str] = mapped_column(String(80))  # the liaison
    asked_agency: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)  # the liaison's, for the originating agencies
    answer: Mapped[str] = mapped_column(Text)
    records: Mapped[str] = mapped_column(Text)  # comma-separated STIX ids, in the answer's order
    tlp: Mapped[str] = mapped_column(String(16))
    handling: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReleaseApproval(Base):
    """One record of a held answer, in its originating agency's approval inbox."""

    __tablename__ = "release_approvals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hold_id: Mapped[str] = mapped_column(ForeignKey("release_holds.id"), index=True)
    rfi_id: Mapped[str] = mapped_column(ForeignKey("rfis.id"), index=True)
    record_id: Mapped[str] = mapped_column(String(300))
    agency: Mapped[str] = mapped_column(String(16), index=True)  # the originating agency
    state: Mapped[str] = mapped_column(String(12), index=True)  # pending | approved | ...
    why: Mapped[str] = mapped_column(String(200))  # comma-separated: why approval is needed
    proposed_tlp: Mapped[str] = mapped_column(String(16))
    proposed_handling: Mapped[str] = mapped_column(String(2))
    decided_by: Mapped[str] = mapped_column(String(80), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")  # the approver's note or refusal reason
    approved_tlp: Mapped[str] = mapped_column(String(16), default="")
    approved_handling: Mapped[str] = mapped_column(String(2), default="")
    # The version of the record approved (its modified key): a later one was not.
    approved_version: Mapped[str] = mapped_column(String(40), default="")
