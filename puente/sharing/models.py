"""Tables for federation: partners and the TAXII status of objects they post."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
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
