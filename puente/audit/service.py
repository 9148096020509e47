"""Append to, read and verify the audit chain.

Each entry's hash covers the previous entry's hash and its own fields, so a modified,
deleted, inserted or reordered entry breaks the chain; the head row pins the last link so a
deleted tail shows too. Appends happen in the caller's transaction: an action and its audit
entry commit or roll back together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puente.audit.models import AuditEntry, AuditHead
from puente.errors import N_
from puente.policy.roles import Principal, require

GENESIS = "0" * 64


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    target: str,
    marking: str,
    details: str,
) -> str:
    payload = orjson.dumps([prev_hash, seq, at, actor, action, target, marking, details])
    return hashlib.sha256(payload).hexdigest()


def append(
    session: Session,
    actor: str,
    action: str,
    target: str = "",
    marking: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry at the end of the chain, in the caller's transaction."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    seq = head.seq + 1
    at = now_iso()
    body = orjson.dumps(details or {}, option=orjson.OPT_SORT_KEYS).decode()
    digest = entry_hash(head.hash, seq, at, actor, action, target[:200], marking[:200], body)
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        target=target[:200],
        marking=marking[:200],
        details=body,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(entry)
    head.seq, head.hash = seq, digest
    session.flush()
    return entry


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify(session: Session, principal: Principal, batch: int = 5000) -> VerifyReport:
    """Walk the whole chain and report every place it does not hold."""
    require(principal, "audit.read")
    breaks: list[Break] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    for entry in _stream(session, batch):
        count += 1
        if entry.seq != expected_seq:
            breaks.append(
                Break(entry.seq, N_("out of sequence: entries missing or inserted before it"))
            )
        if entry.prev_hash != prev:
            breaks.append(Break(entry.seq, N_("does not link to the entry before it")))
        recomputed = entry_hash(
            entry.prev_hash,
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.target,
            entry.marking,
            entry.details,
        )
        if recomputed != entry.hash:
            breaks.append(Break(entry.seq, N_("content does not match its hash: modified")))
        expected_seq, prev = entry.seq + 1, entry.hash
    head = session.get(AuditHead, 1)
    if head is not None and head.seq > expected_seq - 1:
        breaks.append(
            Break(head.seq, N_("the chain ends before its recorded head: entries deleted"))
        )
    elif head is not None and head.seq < expected_seq - 1:
        breaks.append(
            Break(expected_seq - 1, N_("entries after the recorded head of the chain: inserted"))
        )
    elif head is not None and head.hash != prev:
        breaks.append(Break(head.seq, N_("the last entry is not the recorded head: replaced")))
    if head is None and count:
        breaks.append(Break(0, N_("the chain head is missing")))
    return VerifyReport(count, breaks)


def _stream(session: Session, batch: int) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.seq > last)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    target: str = ""
    since: str = ""
    until: str = ""


def search(
    session: Session,
    principal: Principal,
    flt: AuditFilter,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Newest first, keyset-paged by sequence number (auditors and admins)."""
    require(principal, "audit.read")
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if flt.actor:
        query = query.where(AuditEntry.actor == flt.actor)
    if flt.action:
        query = query.where(AuditEntry.action.startswith(flt.action, autoescape=True))
    if flt.target:
        query = query.where(AuditEntry.target == flt.target)
    if flt.since:
        query = query.where(AuditEntry.at >= flt.since)
    if flt.until:
        query = query.where(AuditEntry.at <= flt.until + "\uffff")
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    return list(session.execute(query).scalars())


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())
