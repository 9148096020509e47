"""Append to, read and verify the audit chain, and sign checkpoints of it.

Each entry's hash covers the previous entry's hash and its own fields, so a modified,
deleted, inserted or reordered entry breaks the chain; the head row pins the last link so a
deleted tail shows too. Appends happen in the caller's transaction: an action and its audit
entry commit or roll back together.

Links and head alone do not stop whoever can write the database: they can recompute every
hash after a change, or delete the newest entries and rewind the head. Signed checkpoints
(:mod:`puente.audit.checkpoints`), kept outside the database and with the partners, pin
the chain up to the entry each names; :func:`verify` checks the chain against them and
:func:`limits` says what it could not check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puente.audit import checkpoints
from puente.audit.checkpoints import Anchors, Checkpoint
from puente.audit.models import AuditEntry, AuditHead
from puente.config import Settings
from puente.db import AUDIT_LOCKED_IN
from puente.errors import N_, Conflict, Problem
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
    """Add one entry at the end of the chain, in the caller's transaction (after the write
    lock, if the transaction takes it: see :func:`puente.db.lock_writes`)."""
    session.info[AUDIT_LOCKED_IN] = session.get_transaction()
    # populate_existing: a head this session read before (a checkpoint reads it unlocked)
    # would otherwise keep its old seq, though the locked row is newer: on PostgreSQL an
    # entry appended by another transaction in between made this one's seq a duplicate.
    head = session.execute(
        select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
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
    last_seq: int = 0  # the last entry's sequence number
    anchored: bool = False  # checked against the signed checkpoints' copies
    partner_copies: int = 0  # copies held by partners among them
    checkpoints: int = 0  # genuine checkpoints compared with the chain
    covered: int = 0  # the newest entry a genuine checkpoint pins (0: none)
    copies: dict[str, int] = field(default_factory=dict)  # genuine checkpoints in each copy
    notes: list[Break] = field(default_factory=list)  # worth a look, but not tampering

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify(
    session: Session,
    principal: Principal,
    batch: int = 5000,
    anchors: Anchors | None = None,
) -> VerifyReport:
    """Walk the whole chain and report every place it does not hold: its own links and head,
    and, given ``anchors``, every signed checkpoint in the file, the database and the copies
    partners held."""
    require(principal, "audit.read")
    held = checkpoints.gather(session, anchors) if anchors else checkpoints.Gathered()
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
        pinned = held.by_seq.get(entry.seq)
        if pinned and any(digest != entry.hash for digest in pinned):
            breaks.append(Break(entry.seq, N_(
                "differs from what the signed checkpoint of this entry pins: the chain was "
                "rewritten")))  # fmt: skip
        expected_seq, prev = entry.seq + 1, entry.hash
    last = expected_seq - 1
    for seq in sorted(held.by_seq):
        if seq > last:
            breaks.append(Break(seq, N_(
                "a signed checkpoint pins this entry, but the chain ends before it: entries "
                "deleted")))  # fmt: skip
    head = session.get(AuditHead, 1)
    if head is not None and head.seq > last:
        breaks.append(
            Break(head.seq, N_("the chain ends before its recorded head: entries deleted"))
        )
    elif head is not None and head.seq < last:
        breaks.append(Break(last, N_("entries after the recorded head of the chain: inserted")))
    elif head is not None and head.hash != prev:
        breaks.append(Break(head.seq, N_("the last entry is not the recorded head: replaced")))
    if head is None and count:
        breaks.append(Break(0, N_("the chain head is missing")))
    breaks += [Break(seq, problem) for seq, problem in held.problems]
    return VerifyReport(
        entries=count,
        breaks=breaks,
        last_seq=last,
        anchored=anchors is not None,
        partner_copies=len(anchors.partner_copies) if anchors else 0,
        checkpoints=held.total,
        covered=max(held.by_seq, default=0),
        copies=dict(held.counts),
        notes=[Break(seq, problem) for seq, problem in held.notes],
    )


def limits(report: VerifyReport) -> list[Problem]:
    """What this verification could not detect, each as a message for the reader."""
    found: list[Problem] = []
    if not report.anchored or not report.covered:
        found.append(Problem(N_(
            "No signed checkpoint pins this chain yet: whoever can write the database can "
            "rewrite it, recompute every hash and the head, and it still verifies. Sign one "
            "with `puente audit checkpoint`.")))  # fmt: skip
    elif report.covered < report.last_seq:
        found.append(Problem(N_(
            "Entries {first} to {last} came after the newest checkpoint: until one pins them, "
            "whoever can write the database can change or delete them and recompute the "
            "hashes and the head, undetected."), "",
            {"first": report.covered + 1, "last": report.last_seq}))  # fmt: skip
    if not report.partner_copies:
        found.append(Problem(N_(
            "No copy held by a partner was checked (`puente audit verify --partner-copy "
            "FILE`): whoever can write both the database and this node's files (the "
            "checkpoint file and the signing key) can rewrite the chain undetected.")))  # fmt: skip
    found.append(Problem(N_(
        "Whoever holds this node's signing key can sign checkpoints of a rewritten chain: "
        "only the checkpoints a partner already holds still show the rewrite.")))  # fmt: skip
    return found


# -- signing checkpoints -----------------------------------------------------------------------


def checkpoint(session: Session, settings: Settings, principal: Principal) -> Checkpoint:
    """`puente audit checkpoint`: sign the chain's head now, and keep the copies."""
    require(principal, "audit.read")
    return _checkpoint(session, settings, principal.username)


def checkpoint_if_due(
    session: Session, settings: Settings, moment: datetime | None = None
) -> Checkpoint | None:
    """Sign a checkpoint if ``audit.checkpoint_every_entries`` entries were added since the
    last one, or ``audit.checkpoint_every_minutes`` have passed with any entry added."""
    rules = settings.audit
    head = session.get(AuditHead, 1)
    seq = head.seq if head is not None else 0
    last = checkpoints.newest_row(session)
    if last is None:
        due = seq > 0
    else:
        # The last checkpoint's own entry (audit.checkpoint) does not call for another.
        added = seq - last.seq - 1
        when = datetime.fromisoformat(last.at.replace("Z", "+00:00"))
        late = (moment or datetime.now(UTC)) - when >= timedelta(
            minutes=rules.checkpoint_every_minutes
        )
        due = added >= rules.checkpoint_every_entries or (added > 0 and late)
    return _checkpoint(session, settings, "system") if due else None


def _checkpoint(session: Session, settings: Settings, actor: str) -> Checkpoint:
    head = session.get(AuditHead, 1)
    seq, digest = (head.seq, head.hash) if head is not None else (0, GENESIS)
    anchors = checkpoints.anchors(settings)
    since = checkpoints.newest_trusted(session, anchors)
    broken = _segment_break(session, since, seq, digest)
    if broken is not None:
        # Signing now would vouch for a chain that no longer holds.
        raise Conflict(N_(
            "The audit chain does not hold after the last checkpoint (at entry {seq}); no "
            "checkpoint was signed. Run `puente audit verify`."), seq=broken)  # fmt: skip
    made = checkpoints.sign(settings.key_path, settings.node_id, seq, digest,
                            checkpoints.stix_time(datetime.now(UTC)), anchors.file_label)  # fmt: skip
    checkpoints.keep(session, made, anchors.file)
    append(session, actor, "audit.checkpoint", str(seq), details={"id": made.id, "hash": digest})
    return made


def _segment_break(
    session: Session, since: Checkpoint | None, seq: int, digest: str, batch: int = 5000
) -> int | None:
    """Where the chain from the checkpoint ``since`` to the head (``seq``, ``digest``) does not
    hold, if it does not. Read as plain rows: the caller's session is left as it was."""
    start, prev = (since.seq, since.head_hash) if since is not None else (0, GENESIS)
    if start > seq:
        return seq
    if start > 0:
        pinned = session.execute(select(AuditEntry.hash).where(AuditEntry.seq == start))
        if pinned.scalar_one_or_none() != prev:
            return start
    expected = start + 1
    columns = (AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
               AuditEntry.target, AuditEntry.marking, AuditEntry.details, AuditEntry.prev_hash,
               AuditEntry.hash)  # fmt: skip
    while expected <= seq:
        rows = session.execute(
            select(*columns)
            .where(AuditEntry.seq >= expected, AuditEntry.seq <= seq)
            .order_by(AuditEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            return expected
        for row in rows:
            recomputed = entry_hash(row.prev_hash, row.seq, row.at, row.actor, row.action,
                                    row.target, row.marking, row.details)  # fmt: skip
            at: int = row.seq
            if at != expected or row.prev_hash != prev or recomputed != row.hash:
                return at
            expected, prev = at + 1, str(row.hash)
    return None if prev == digest else seq


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
