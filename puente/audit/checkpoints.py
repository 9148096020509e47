"""Signed checkpoints of the audit chain, and the copies kept where the database's writer
cannot silently rewrite them.

The hash chain alone shows a change only to someone who did not recompute the hashes after
it: whoever can write the database can delete the newest entries and rewind the head, or
change an entry and recompute every later hash and the head, and the chain still verifies.
A checkpoint pins the chain: the node signs, with its Ed25519 key (:mod:`puente.signing`),
its id, the sequence number of the chain's last entry, that entry's hash and the time. Every
entry up to that number is then fixed: changing, deleting or reordering any of them changes
the hash the checkpoint signed.

Each checkpoint is kept three ways, the same signed object in each:

- a line of the checkpoint file, outside the database, next to the node's key
  (``audit.checkpoint_file`` in the settings; JSON lines, only ever appended to);
- a row of ``audit_checkpoints`` in the database;
- with every partner: posted to its inbox with the receipts (:mod:`puente.sharing.checkpoints`),
  where it is kept as evidence that the other government holds.

This module makes checkpoints and reads the copies; :func:`puente.audit.service.verify`
checks the chain against them.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente import signing
from puente.audit.models import AuditCheckpoint
from puente.config import Settings
from puente.errors import N_

CHECKPOINT_TYPE = "x-puente-audit-checkpoint"
EXT_CHECKPOINT = "extension-definition--8def1575-af0f-4070-acae-b3c7ff9a95ef"
HASH = re.compile(r"[0-9a-f]{64}")

# Where a copy was read: the node's file, its database, a copy a partner held.
FILE, DATABASE, PARTNER = "file", "database", "partner"


@dataclass(frozen=True)
class Anchors:
    """What a verification checks the chain against: the node's own copies, and any copies
    its partners held (files exported there with `puente partner checkpoints`)."""

    node_id: str
    key_path: Path
    file: Path
    partner_copies: tuple[Path, ...] = ()

    @property
    def file_label(self) -> str:
        """Which file a checkpoint was written to: servers on several hosts each keep their
        own, and a checkpoint is looked for only in the file it names. A hash, so the
        partner learns neither host names nor paths."""
        where = f"{socket.gethostname()}:{self.file.resolve()}"
        return hashlib.sha256(where.encode()).hexdigest()[:16]


def anchors(settings: Settings, partner_copies: Iterable[Path] = ()) -> Anchors:
    return Anchors(settings.node_id, settings.key_path, settings.checkpoint_path,
                   tuple(partner_copies))  # fmt: skip


@dataclass(frozen=True)
class Checkpoint:
    id: str
    node_id: str
    seq: int
    head_hash: str
    at: str
    body: dict[str, Any]  # as signed, signature included
    file_label: str = ""  # the file it was written to (Anchors.file_label)

    @property
    def line(self) -> str:
        return orjson.dumps(self.body, option=orjson.OPT_SORT_KEYS).decode()


def stix_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def sign(
    key_path: Path, node_id: str, seq: int, head_hash: str, at: str, file_label: str = ""
) -> Checkpoint:
    """A new checkpoint of the chain ending at entry ``seq`` whose hash is ``head_hash``, to
    be kept in the file ``file_label`` names."""
    body: dict[str, Any] = {
        "type": CHECKPOINT_TYPE,
        "spec_version": "2.1",
        "id": f"{CHECKPOINT_TYPE}--{uuid.uuid4()}",
        "created": at,
        "modified": at,
        "node_id": node_id,
        "seq": seq,
        "head_hash": head_hash,
        "file": file_label,
        "extensions": {EXT_CHECKPOINT: {"extension_type": "new-sdo"}},
    }
    made = parse(signing.sign(key_path, body))
    assert made is not None
    return made


def parse(obj: Any) -> Checkpoint | None:
    """The checkpoint ``obj`` is, if it has a checkpoint's shape (its signature unchecked)."""
    if not isinstance(obj, dict) or obj.get("type") != CHECKPOINT_TYPE:
        return None
    ident, node_id, seq = obj.get("id"), obj.get("node_id"), obj.get("seq")
    head_hash, at, signature = obj.get("head_hash"), obj.get("created"), obj.get("signature")
    label = obj.get("file", "")
    if not (
        isinstance(ident, str)
        and ident.startswith(f"{CHECKPOINT_TYPE}--")
        and len(ident) <= 100
        and isinstance(node_id, str)
        and isinstance(seq, int)
        and not isinstance(seq, bool)
        and seq >= 0
        and isinstance(head_hash, str)
        and HASH.fullmatch(head_hash)
        and isinstance(at, str)
        and len(at) <= 32
        and isinstance(signature, str)
        and isinstance(label, str)
    ):
        return None
    return Checkpoint(ident, node_id, seq, head_hash, at, obj, label)


def genuine(checkpoint: Checkpoint, node_id: str, public_key: str) -> bool:
    """Signed by ``node_id``'s key, for ``node_id``."""
    return checkpoint.node_id == node_id and signing.verify(public_key, checkpoint.body)


def keep(session: Session, checkpoint: Checkpoint, file: Path) -> None:
    """Store a new checkpoint: its row (flushed, so a database refusal stops here), then its
    line in the file. Should the transaction then fail, the file holds a checkpoint the
    database lacks, which verification reports as a note, not as tampering."""
    session.add(AuditCheckpoint(seq=checkpoint.seq, head_hash=checkpoint.head_hash,
                                at=checkpoint.at, body=checkpoint.line))  # fmt: skip
    session.flush()
    append_line(file, checkpoint.line)


def append_line(path: Path, line: str) -> None:
    """Append one line and wait until it is on disk. One short write in append mode: lines
    from several workers never interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, (line + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def newest_row(session: Session) -> AuditCheckpoint | None:
    return session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    ).scalar_one_or_none()


@dataclass
class Read:
    """The checkpoints of one copy: those that parse, and the lines that do not."""

    found: bool
    checkpoints: list[Checkpoint] = field(default_factory=list)
    unreadable: int = 0


def read_file(path: Path) -> Read:
    if not path.exists():
        return Read(False)
    with path.open("rb") as lines:
        return _read(raw for raw in lines if raw.strip())


def read_database(session: Session) -> Read:
    bodies = session.execute(select(AuditCheckpoint.body).order_by(AuditCheckpoint.id))
    return _read(body for (body,) in bodies)


def _read(bodies: Iterable[str | bytes]) -> Read:
    """One copy's checkpoints: each body parsed, or counted unreadable."""
    read = Read(True)
    for body in bodies:
        try:
            made = parse(orjson.loads(body))
        except orjson.JSONDecodeError:
            made = None
        if made is None:
            read.unreadable += 1
        else:
            read.checkpoints.append(made)
    return read


@dataclass
class Gathered:
    """Every copy's genuine checkpoints, and what is wrong with the copies themselves."""

    by_seq: dict[int, dict[str, Checkpoint]] = field(default_factory=dict)  # seq → hash → one
    counts: dict[str, int] = field(default_factory=lambda: {FILE: 0, DATABASE: 0, PARTNER: 0})
    file_found: bool = False
    problems: list[tuple[int, str]] = field(default_factory=list)  # tampering
    notes: list[tuple[int, str]] = field(default_factory=list)  # worth a look, not tampering

    @property
    def total(self) -> int:
        return sum(len(hashes) for hashes in self.by_seq.values())


FORGED = {
    FILE: N_("the checkpoint file holds a checkpoint of this entry whose signature does not "
             "verify: forged or altered"),
    DATABASE: N_("the database holds a checkpoint of this entry whose signature does not "
                 "verify: forged or altered"),
    PARTNER: N_("the partner's copy holds a checkpoint of this entry whose signature does not "
                "verify: forged or altered"),
}  # fmt: skip
UNREADABLE = {
    FILE: N_("the checkpoint file has lines that are not checkpoints: altered"),
    DATABASE: N_("the database has checkpoint rows that are not checkpoints: altered"),
    PARTNER: N_("the partner's copy has lines that are not checkpoints"),
}

FILE_MISSING = N_(
    "the checkpoint file is missing, yet the database holds checkpoints: it was deleted or moved"
)
NOT_IN_FILE = N_(
    "the database holds a checkpoint of this entry that the checkpoint file lacks: the file "
    "was cut or replaced"
)
ONLY_WITH_PARTNER = N_(
    "the partner holds a checkpoint of this entry that this node's copies lack: they were "
    "deleted or replaced"
)
NOT_IN_DATABASE = N_(
    "the checkpoint file holds a checkpoint of this entry that the database lacks: its row "
    "was deleted, or the transaction that signed it failed"
)


def gather(session: Session, anchors: Anchors) -> Gathered:
    """Read every copy, keep the genuine checkpoints, and say where the copies disagree."""
    public_key = signing.public_key_hex(anchors.key_path)
    label = anchors.file_label
    gathered = Gathered()
    in_file = read_file(anchors.file)
    gathered.file_found = in_file.found
    copies = [(FILE, in_file), (DATABASE, read_database(session))]
    copies += [(PARTNER, read_file(path)) for path in anchors.partner_copies]
    ids: dict[str, set[str]] = {FILE: set(), DATABASE: set(), PARTNER: set()}
    partner_seq: dict[str, int] = {}
    this_file: set[str] = set()  # the genuine checkpoints written to this very file
    for source, read in copies:
        if read.unreadable:
            gathered.problems.append((0, UNREADABLE[source]))
        for checkpoint in read.checkpoints:
            if not genuine(checkpoint, anchors.node_id, public_key):
                gathered.problems.append((checkpoint.seq, FORGED[source]))
                continue
            if checkpoint.id not in ids[source]:
                ids[source].add(checkpoint.id)
                gathered.counts[source] += 1
            if source == PARTNER:
                partner_seq[checkpoint.id] = checkpoint.seq
            if checkpoint.file_label in ("", label):
                this_file.add(checkpoint.id)
            gathered.by_seq.setdefault(checkpoint.seq, {}).setdefault(
                checkpoint.head_hash, checkpoint
            )
    seq_of = {c.id: c.seq for hashes in gathered.by_seq.values() for c in hashes.values()}
    # What the database holds of this file must be in it; another host's file is not here.
    expected = ids[DATABASE] & this_file
    if not in_file.found and expected:
        gathered.problems.append((0, FILE_MISSING))
    else:
        for ident in sorted(expected - ids[FILE], key=seq_of.__getitem__):
            gathered.problems.append((seq_of[ident], NOT_IN_FILE))
    for ident in sorted(ids[PARTNER] - ids[FILE] - ids[DATABASE], key=partner_seq.__getitem__):
        gathered.problems.append((partner_seq[ident], ONLY_WITH_PARTNER))
    for ident in sorted(ids[FILE] - ids[DATABASE], key=seq_of.__getitem__):
        gathered.notes.append((seq_of[ident], NOT_IN_DATABASE))
    return gathered


def newest_trusted(session: Session, anchors: Anchors) -> Checkpoint | None:
    """The newest genuine checkpoint, from the file (the database's writer cannot reach it),
    else from the database."""
    public_key = signing.public_key_hex(anchors.key_path)
    for read in (read_file(anchors.file), read_database(session)):
        for checkpoint in sorted(read.checkpoints, key=lambda c: (c.seq, c.at), reverse=True):
            if genuine(checkpoint, anchors.node_id, public_key):
                return checkpoint
    return None
