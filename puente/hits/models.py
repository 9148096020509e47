"""Tables for hit/no-hit: each partner's index of match-key fingerprints, and its state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from puente.db import Base


class HitIndexState(Base):
    """How far a partner's index has followed this node's records, and its PSI secret."""

    __tablename__ = "hit_index_states"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    # The scalar b of docs/match-keys.md "PSI", for this partner only: it never leaves the node.
    secret: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The date_added of the last record version the index has taken into account.
    watermark: Mapped[str] = mapped_column(String(32), default="")
    # Each refresh that changes the index takes the next number; entries carry it.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    key_count: Mapped[int] = mapped_column(Integer, default=0)  # live fingerprints
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class HitIndexEntry(Base):
    """One fingerprint a partner may test its keys against, from one record version.

    Removed entries stay, with the refresh that removed them, so a partner that downloaded the
    index up to some refresh can be told exactly what to add and what to drop since.
    """

    __tablename__ = "hit_index_entries"
    __table_args__ = (
        Index("ix_hit_index_entries_partner_seq", "partner_id", "seq"),
        Index("ix_hit_index_entries_partner_removed", "partner_id", "removed_seq"),
        Index("ix_hit_index_entries_partner_record", "partner_id", "record_pk"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    record_pk: Mapped[int] = mapped_column(ForeignKey("records.pk", ondelete="CASCADE"))
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(8))
    seq: Mapped[int] = mapped_column(Integer)  # the refresh that added it
    removed_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
