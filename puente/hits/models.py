"""Tables for hit/no-hit: each partner's index of match-key fingerprints, and its state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from puente.db import Base


class HitIndexState(Base):
    """How far a partner's index in one match-key spec version has followed this node's
    records, and its PSI secret. Each version is an index of its own (docs/match-keys.md,
    "Versions"): its own secret, sequence and watermark."""

    __tablename__ = "hit_index_states"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    spec_version: Mapped[int] = mapped_column(Integer, primary_key=True, server_default=text("1"))
    # The scalar b of docs/match-keys.md "PSI", for this partner only: it never leaves the node.
    secret: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The date_added of the last record version the index has taken into account.
    watermark: Mapped[str] = mapped_column(String(32), default="")
    # Each refresh that changes the index takes the next number; entries carry it.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    key_count: Mapped[int] = mapped_column(Integer, default=0)  # live fingerprints
    # The refresh the partner last said it holds (asking for changes since it), and the one up
    # to which removed entries were deleted: a partner holding an older one gets it all anew.
    partner_seq: Mapped[int] = mapped_column(Integer, default=0)
    compacted_seq: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class HitIndexEntry(Base):
    """One fingerprint a partner may test its keys against, from one record version.

    Removed entries stay, with the refresh that removed them, so a partner that downloaded the
    index up to some refresh can be told exactly what to add and what to drop since.
    """

    __tablename__ = "hit_index_entries"
    # Every lookup is of one index, a partner's in one spec version: the indexes lead with both.
    __table_args__ = (
        Index("ix_hit_index_entries_index_seq", "partner_id", "spec_version", "seq"),
        Index("ix_hit_index_entries_index_removed", "partner_id", "spec_version", "removed_seq"),
        Index("ix_hit_index_entries_index_record", "partner_id", "spec_version", "record_pk"),
        # Whether a fingerprint is still live elsewhere, when one record loses it.
        Index("ix_hit_index_entries_index_fingerprint", "partner_id", "spec_version",
              "fingerprint"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    spec_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    record_pk: Mapped[int] = mapped_column(ForeignKey("records.pk", ondelete="CASCADE"))
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(8))
    seq: Mapped[int] = mapped_column(Integer)  # the refresh that added it
    removed_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)


class HitQuery(Base):
    """One hit/no-hit query, as the node that asked keeps it ("sent") or the node asked
    ("received"). The asked node keeps only what it may learn: who asked, under which case
    and legal basis, and how many keys."""

    __tablename__ = "hit_queries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the query's nonce
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)  # sent | received
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), default="", index=True)  # sent only
    agency: Mapped[str] = mapped_column(String(16))
    case_reference: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(500))
    key_count: Mapped[int] = mapped_column(Integer)
    categories: Mapped[str] = mapped_column(String(100), default="")  # sent only
    hits: Mapped[str] = mapped_column(Text, default="")  # sent only: JSON, per category
    # Sent only: JSON, the subjects asked about and the key types of each that hit. The asked
    # node never receives them: it leaves this empty.
    subjects: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    # The match-key spec version the query's keys followed (both directions): which rules,
    # and which of the asked node's indexes, answered it.
    spec_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class PartnerPrintState(Base):
    """How much of a partner's published index this node holds (to test its own keys)."""

    __tablename__ = "hit_partner_states"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    # The match-key spec version of the partner's index the copy holds (what queries follow),
    # and the versions the partner last said it serves ("1,2"; a partner that says none: 1).
    spec_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    partner_versions: Mapped[str] = mapped_column(String(40), default="1", server_default="1")
    seq: Mapped[int] = mapped_column(Integer, default=0)
    key_count: Mapped[int] = mapped_column(Integer, default=0)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PartnerPrint(Base):
    """One fingerprint a partner published: a hit when one of this node's keys unblinds to it."""

    __tablename__ = "hit_partner_prints"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(8), primary_key=True)
