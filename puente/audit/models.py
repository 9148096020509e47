"""Audit tables: the entries, the head that pins the chain's last link, the signed checkpoints."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from puente.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(48), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    marking: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last sequence number and hash, so deleting the newest entries shows."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditDenial(Base):
    """Refused reads being counted, one row per user, action and hour (puente.audit.denials):
    the chain gets an entry at the first, the 10th, the 100th … and when the hour has ended,
    so guessing ids cannot flood it. Only the counts since the last entry live here."""

    __tablename__ = "audit_denials"

    actor: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(48), primary_key=True)
    hour: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)  # its start
    count: Mapped[int] = mapped_column(Integer)
    logged: Mapped[int] = mapped_column(Integer)  # the count the chain's last entry gave
    ids: Mapped[str] = mapped_column(Text)  # JSON: the first ids refused in the window
    last_target: Mapped[str] = mapped_column(String(200))


class AuditCheckpoint(Base):
    """The database's copy of a signed checkpoint (the file outside it holds the same line).

    ``body`` is the checkpoint exactly as signed; ``seq`` and ``head_hash`` repeat what it
    says, for queries. A copy here alone proves little, since whoever writes the database may
    delete it: verification reads the file and the partner's copies too.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
