"""Storing objects: validation, markings, versions and the bulk insert, in the caller's
transaction so a rejected bundle stores nothing.

Objects arrive as an iterable (a parsed bundle, or a stream read from a file) and are handled
in chunks, so memory stays flat however large the bundle. Incoming objects are left as they
are: the stored form, with its markings written in, is serialized from a shallow copy.

The rows go to the database through one of the writers in :mod:`puente.records.writers`.
Objects received from a partner (``received``) are stored as they came, under their
originator's markings. Named recipients are stored ``user@CCC`` (puente.policy.recipients):
this node's own objects carry that form in their markings extension too; a partner's keep
theirs, and only the recipients column reads its bare names as the owner's users.
"""

from __future__ import annotations

import collections
import gc
import hashlib
import itertools
import multiprocessing
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from puente.audit import denials
from puente.audit import service as audit
from puente.config import Settings
from puente.errors import N_, Conflict, Forbidden, InvalidInput
from puente.policy import gate
from puente.policy.agencies import CATALOG
from puente.policy.markings import (
    MARKINGS_EXTENSION,
    TLP_MARKING_IDS,
    Markings,
    marked_properties,
    markings_from_object,
    most_restrictive,
)
from puente.policy.recipients import Directory, qualify_all
from puente.policy.roles import Principal
from puente.records import events, ownership
from puente.records.builder import agency_identity_id
from puente.records.kinds import display_name, kind_of
from puente.records.marking import node_directory, originator_markings, resolve
from puente.records.models import Record
from puente.records.rows import as_column, facts_of
from puente.records.stamps import clock, latest_stamp
from puente.records.text import search_text
from puente.records.validation import ObjectChecker, timestamp_key
from puente.records.writers import Stored, Writer, writer_for
from puente.statistics import refresh_statistics

CHUNK = 5000  # objects validated, looked up and inserted together
DENIED = "record.denied"  # a refused read of a record, in the audit log (puente.audit.denials)
REVOKED = N_("This record is revoked; it takes no new versions.")
TWICE = N_("The object {id} appears twice in the bundle.")
SUPERSEDED_BATCH = 50_000  # own records superseded, told to the listeners together


@dataclass(frozen=True)
class ReceivedFrom:
    """Objects arriving from a partner node over federation: stored verbatim, read-only."""

    node_id: str
    country: str


@dataclass
class IngestResult:
    stored: int = 0
    unchanged: int = 0
    superseded: int = 0
    references: int = 0  # rows written to record_refs
    ids: list[str] = field(default_factory=list)  # the first two distinct ids stored
    # A partner's objects only (``received``): (id, version key, content sha256, pk) of each
    # one stored or already held as the partner's, in the order given: what a receipt lists.
    held: list[tuple[str, str, str, int]] = field(default_factory=list)
    markings: list[Markings] = field(default_factory=list)
    digest: str = ""


@dataclass(frozen=True, eq=False)
class _Marked:
    """One distinct set of markings, with everything a row derives from it computed once."""

    markings: Markings
    tlp_ref: str
    extension: dict[str, Any]  # shared by many objects' stored form: never modify it
    columns: tuple[Any, ...]  # the values of MARKING_COLUMNS

    @classmethod
    def of(cls, markings: Markings) -> _Marked:
        return cls(
            markings,
            TLP_MARKING_IDS[markings.tlp],
            markings.extension(),
            (
                markings.tlp, as_column(markings.rel_to), as_column(markings.agencies),
                markings.handling, markings.handling_text, as_column(markings.searchable_by),
                markings.reliability or "", markings.credibility or 0,
                as_column(markings.recipients),
            ),
        )  # fmt: skip


_NO_REFS: list[tuple[str, str]] = []  # shared by every object without references: never modify


class Pending:
    """A validated object ready to be stored."""

    __slots__ = (
        "as_given_hash", "at", "claimed", "content", "content_hash", "created_key", "date_added",
        "is_current", "kind", "marked", "modified_key", "name", "originating_agency", "pk",
        "refs", "revoked", "search_text", "stix_id", "type",
    )  # fmt: skip

    def __init__(
        self,
        obj: dict[str, Any],
        kind: str,
        marked: _Marked,
        version: str,
        content: bytes,
        refs: list[tuple[str, str]],
        agency: str,
        at: str,
    ) -> None:
        self.stix_id: str = obj["id"]
        self.type: str = obj["type"]
        self.kind = kind
        self.modified_key = version
        created: str = obj.get("created") or ""
        same = not created or created == obj.get("modified")
        self.created_key = version if same else timestamp_key(created)
        self.revoked = bool(obj.get("revoked"))
        self.marked = marked
        self.name = display_name(obj)[:300]
        self.search_text = search_text(obj)
        self.content = content.decode()
        self.content_hash = hashlib.sha256(content).hexdigest()
        self.refs = refs
        self.originating_agency = agency
        self.at = at
        self.is_current = True
        self.date_added = ""
        # The hash of the object as given, when storing it rewrote its named recipients: a
        # version stored before they were qualified is that very object (its export).
        self.as_given_hash = ""
        # The agency its created_by_ref names ("" if none): a partner reads the originator there.
        self.claimed = AGENCY_BY_IDENTITY.get(obj.get("created_by_ref", ""), "")
        self.pk = 0  # the writer's, once it has the row

    def __reduce__(self) -> tuple[Any, ...]:
        # From the preparing process to the writing one: a plain tuple pickles several times
        # faster than the slots of each object.
        return _restored, (tuple(getattr(self, name) for name in Pending.__slots__),)


def _restored(values: tuple[Any, ...]) -> Pending:
    row = Pending.__new__(Pending)
    for name, value in zip(Pending.__slots__, values, strict=True):
        setattr(row, name, value)
    return row


class _Ingest:
    """One import: the state that spans its chunks."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        principal: Principal,
        override: Markings | None,
        received: ReceivedFrom | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.principal = principal
        self.override = override
        self.received = received
        self.checker = ObjectChecker()
        self.result = IngestResult()
        # (id, version) of the objects of this chunk; earlier chunks' are found stored, under
        # keys this import gave (writer.keys): nothing is kept per object across chunks.
        self.seen: set[tuple[str, str]] = set()
        self.superseded_ids: set[str] = set()  # own records given a new current version
        self.defined_markings: set[str] = set()
        self.hasher = hashlib.sha256()
        self.by_kind: dict[tuple[str, str | None], _Marked] = {}  # objects without markings
        self.distinct: dict[Markings, _Marked] = {}
        self.used: dict[_Marked, None] = {}  # the markings of stored rows, since the last fold
        self._known: Directory | None = None
        # A partner's objects, in the order given: each version held already (id, version,
        # hash, pk) or each row stored, whose pk the writer gives later (IngestResult.held).
        self.held: list[tuple[str, str, str, int] | Pending] = []
        self.constants = {
            "recalled": False, "owner_node": settings.node_id, "owner_country": settings.country,
            "received": False, "created_by": principal.username,
        }  # fmt: skip
        if received is not None:
            self.constants.update(
                owner_node=received.node_id, owner_country=received.country, received=True,
                created_by=f"partner:{received.node_id}",
            )  # fmt: skip
        session.flush()  # the writers bypass the unit of work: nothing may be pending in it
        if override is not None and override.recipients and received is None:
            self.override = self._qualified(override, sorted(override.recipients), "/markings")
        self.floor = latest_stamp(session)
        self.writer: Writer = writer_for(session)

    def known(self) -> Directory:
        """How recipients' nodes may be written here; read once, when first needed."""
        if self._known is None:
            if hasattr(self, "writer"):
                self.writer.flush()  # the connection is the writer's until its chunk is in
            self._known = node_directory(self.session, self.settings)
        return self._known

    def _qualified(self, markings: Markings, written: list[Any], at: str) -> Markings:
        """``markings`` with its recipients (``written``, as given) stored ``user@CCC``;
        raises InvalidInput naming each one that is not a recipient."""
        named, problems = qualify_all(
            written, self.settings.country, self.known(), f"{at}/recipients"
        )
        if problems:
            raise InvalidInput(problems)
        return replace(markings, recipients=named)

    def prepare(self, obj: Any, at: str) -> Pending | None:
        """Check one object and build its row; None (with problems noted) if it fails."""
        checker = self.checker
        if not checker.check(obj, at):
            return None
        if obj["type"] == "marking-definition":
            self.defined_markings.add(obj["id"])
        version = timestamp_key(obj.get("modified") or obj.get("created") or "")
        key = (obj["id"], version)
        if key in self.seen:
            checker.add(TWICE, f"{at}/id", id=obj["id"])
            return None
        self.seen.add(key)
        kind = kind_of(obj)
        try:
            marked = self._marked(obj, kind, at)
        except InvalidInput as refused:
            for problem in refused.problems:
                checker.add(problem.message, problem.pointer, **problem.params)
            return None
        as_given_hash = ""
        if self.received is None:
            stored_form = obj | marked_properties(obj, marked.tlp_ref, marked.extension)
            if marked.markings.recipients and _recipients_rewritten(obj, marked):
                as_given = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
                as_given_hash = hashlib.sha256(as_given).hexdigest()
        else:
            stored_form = obj  # the originator's object, byte for byte once keys are sorted
        content = orjson.dumps(stored_form, option=orjson.OPT_SORT_KEYS)
        limit = self.settings.limits.max_object_bytes
        if len(content) > limit:
            checker.add(
                N_("The object is {size} bytes; this node accepts at most {limit}."),
                at,
                size=len(content),
                limit=limit,
            )
            return None
        refs = checker.refs or _NO_REFS  # as refs_of() gives them; a fresh list each time
        agency = self.principal.agency
        if self.received is not None:
            agency = AGENCY_BY_IDENTITY.get(obj.get("created_by_ref", ""), "")
        pending = Pending(obj, kind, marked, version, content, refs, agency, at)
        pending.as_given_hash = as_given_hash
        return pending

    def _marked(self, obj: dict[str, Any], kind: str, at: str) -> _Marked:
        tlp, body = markings_from_object(obj)
        if self.received is not None:
            owner = self.received.country
            return self._distinct(originator_markings(tlp, body or {}, owner, self.known))
        if body is None:  # the common case: the same answer for every object of this kind
            cached = self.by_kind.get((kind, tlp))
            if cached is None:
                markings = resolve(tlp, None, kind, self.settings, self.override)
                cached = self.by_kind[(kind, tlp)] = self._distinct(markings)
            return cached
        markings = resolve(tlp, body, kind, self.settings, self.override)
        if markings.recipients:
            where = f"{at}/extensions/{MARKINGS_EXTENSION}"
            markings = self._qualified(markings, list(body["recipients"]), where)
        return self._distinct(markings)

    def _distinct(self, markings: Markings) -> _Marked:
        marked = self.distinct.get(markings)
        if marked is None:
            if len(self.distinct) >= 4096:  # objects with many different markings: stay bounded
                self.distinct.clear()
            marked = self.distinct[markings] = _Marked.of(markings)
        return marked

    def _fold_markings(self) -> None:
        """Keep result.markings short: the most restrictive of everything stored so far."""
        markings = [*self.result.markings, *(marked.markings for marked in self.used)]
        self.used.clear()
        if len(markings) > 64:
            markings = [m for m in [most_restrictive(markings)] if m]
        self.result.markings = markings

    def store(self, rows: list[Pending], lookup: Callable[[], list[Stored]] | None = None) -> None:
        """Insert one chunk's fresh rows, after checking them against stored versions
        (``lookup`` gives them, asked for ahead: :func:`_run_serial`)."""
        if not rows:
            return
        if lookup is None:
            lookup = self.writer.look_up(list({row.stix_id for row in rows}))
        existing: dict[str, list[Stored]] = {}
        for version in lookup():
            existing.setdefault(version.stix_id, []).append(version)
        if existing and self._repeated(rows, existing):
            return
        fresh = self._fresh(rows, existing) if existing else rows
        if self.received is not None:
            self._note_held(rows, fresh, existing)
        _check_authorship(fresh)
        newest: dict[str, str] = {}
        for row in fresh:
            newest[row.stix_id] = max(row.modified_key, newest.get(row.stix_id, ""))
        if len(newest) < len(fresh) or existing:  # versions of one object meet: mark the newest
            for stored in existing.values():
                for version in stored:
                    if version.is_current and version.stix_id in newest:
                        newest[version.stix_id] = max(newest[version.stix_id], version.modified_key)
            for row in fresh:
                row.is_current = row.modified_key == newest[row.stix_id]
        if not fresh:
            return
        self._supersede(existing, newest)
        ids = self.result.ids
        used = self.used
        for row, stamp in zip(fresh, clock.take(len(fresh), self.floor), strict=True):
            row.date_added = stamp
            used[row.marked] = None
            if len(ids) < 2 and (not ids or ids[0] != row.stix_id):
                ids.append(row.stix_id)
        self.hasher.update(
            "".join(
                f"{row.stix_id}|{row.modified_key}|{row.content_hash}\n" for row in fresh
            ).encode()
        )
        self.writer.insert(fresh, self.constants)
        self.result.stored += len(fresh)
        self.result.references += sum(len(row.refs) for row in fresh)
        if len(self.superseded_ids) >= SUPERSEDED_BATCH:
            self.writer.flush()  # the listeners read the new versions
            self.tell_superseded()
        if len(used) > 64:
            self._fold_markings()

    def _note_held(
        self, rows: list[Pending], fresh: list[Pending], existing: dict[str, list[Stored]]
    ) -> None:
        """Note, in order, what a partner's chunk leaves held as that partner's: each row to
        be stored, and the version already held of each unchanged one (held as another
        node's, it is no version of the partner's to acknowledge)."""
        assert self.received is not None
        storing = {id(row) for row in fresh}
        for row in rows:
            if id(row) in storing:
                self.held.append(row)
                continue
            same = next((v for v in existing.get(row.stix_id, ())
                         if v.modified_key == row.modified_key), None)  # fmt: skip
            if same is not None and same.received and same.owner_node == self.received.node_id:
                self.held.append((same.stix_id, same.modified_key, same.content_hash, same.pk))

    def _repeated(self, rows: list[Pending], existing: dict[str, list[Stored]]) -> bool:
        """Note each row that an earlier chunk of this import stored already; whether any."""
        keys = self.writer.keys
        repeated = False
        for row in rows:
            for version in existing.get(row.stix_id, ()):
                if version.modified_key == row.modified_key and version.pk in keys:
                    self.checker.add(TWICE, f"{row.at}/id", id=row.stix_id)
                    repeated = True
        return repeated

    def _fresh(self, rows: list[Pending], existing: dict[str, list[Stored]]) -> list[Pending]:
        """The rows not stored yet; raises if one contradicts or may not follow what is."""
        fresh = []
        for row in rows:
            versions = existing.get(row.stix_id)
            if not versions:
                fresh.append(row)
                continue
            same = next((v for v in versions if v.modified_key == row.modified_key), None)
            if same is not None and same.content_hash in (row.content_hash, row.as_given_hash):
                self.result.unchanged += 1  # the importer already holds this very content
                continue
            if self.received is not None:
                fresh.append(self._from_partner(row, versions, same))
                continue
            if not self._may_see(versions):
                # Nothing about a record the importer may not see: not its owner, not its
                # versions; only that the id cannot be used. That much is a refused read, so
                # it is noted like one (puente.audit.denials; the edge records it).
                denials.note(self.session, self.principal.username, DENIED, row.stix_id)
                raise Forbidden(
                    N_("You may not make new versions of {id}."),
                    pointer=row.at + "/id",
                    id=row.stix_id,
                )
            if same is not None:
                raise Conflict(
                    N_(
                        "A different object with id {id} and the same modified time is "
                        "already stored; change modified to make a new version."
                    ),
                    pointer=row.at + "/modified",
                    id=row.stix_id,
                )
            owner = versions[0]
            current = next((v for v in versions if v.is_current), None)
            if (current is not None and current.revoked and not row.revoked
                    and row.modified_key > current.modified_key):  # fmt: skip
                # STIX 2.1 §3.6: a revoked object takes no new versions (nor is un-revoked).
                raise Conflict(REVOKED, pointer=row.at + "/id")
            if not self._may_write(row, versions, owner):
                raise ownership.refusal(row.stix_id, owner.originating_agency, owner.owner_node,
                                        owner.received, pointer=row.at + "/id")  # fmt: skip
            row.originating_agency = owner.originating_agency
            fresh.append(row)
        return fresh

    def _from_partner(self, row: Pending, versions: list[Stored], same: Stored | None) -> Pending:
        """A new version from the partner that owns the object, and only from it."""
        assert self.received is not None
        if any(not v.received or v.owner_node != self.received.node_id for v in versions):
            raise Forbidden(
                N_("Object {id} belongs to another node; node {node} may not change it."),
                pointer=row.at + "/id",
                id=row.stix_id,
                node=self.received.node_id,
            )
        if same is not None:
            raise Conflict(
                N_(
                    "A different object with id {id} and the same modified time is "
                    "already stored; change modified to make a new version."
                ),
                pointer=row.at + "/modified",
                id=row.stix_id,
            )
        return row

    def _may_write(self, row: Pending, versions: list[Stored], owner: Stored) -> bool:
        """Whether the importer may store ``row`` beside the record's stored versions: its
        originating agency may; an admin only to revoke it (puente.records.ownership)."""
        agency, received, principal = owner.originating_agency, owner.received, self.principal
        if row.type.startswith(ownership.PLAN_TYPE_PREFIX) and not received:
            return True  # the plan's service checked its writer
        return ownership.may_version(principal, agency, received) or (
            ownership.may_revoke(principal, agency, received)
            and self._revokes_current(row, versions)
        )

    def _revokes_current(self, row: Pending, versions: list[Stored]) -> bool:
        """Whether ``row`` only revokes the current version: the same object, markings and
        all, but for ``revoked: true`` and a later ``modified`` (what an admin may write)."""
        current = next((v for v in versions if v.is_current), None)
        if not row.revoked or current is None or row.modified_key <= current.modified_key:
            return False
        record = self.session.get(Record, current.pk)
        if record is None:
            return False
        ignored = ("modified", "revoked")
        before = {k: v for k, v in orjson.loads(record.content).items() if k not in ignored}
        after = {k: v for k, v in orjson.loads(row.content).items() if k not in ignored}
        return before == after

    def _may_see(self, versions: list[Stored]) -> bool:
        """Whether the gate lets the importer see the record's current version."""
        current = next((v for v in versions if v.is_current), versions[0])
        record = self.session.get(Record, current.pk)
        return record is not None and bool(gate.decide(facts_of(record), self.principal.audience))

    def _supersede(self, existing: dict[str, list[Stored]], newest: dict[str, str]) -> None:
        replaced = [
            version
            for versions in existing.values()
            for version in versions
            if version.is_current and newest.get(version.stix_id, "") > version.modified_key
        ]
        superseded = [version.pk for version in replaced]
        if superseded:
            # Through the ORM, so Record objects already loaded in this session see the change.
            self.session.execute(
                update(Record).where(Record.pk.in_(superseded)).values(is_current=False)
            )
            self.result.superseded += len(superseded)
            if self.received is None and events.listening():
                self.superseded_ids.update(version.stix_id for version in replaced)

    def tell_superseded(self) -> None:
        """Tell the listeners (puente.records.events) of the records superseded so far.

        Once a batch, not once per import, so the ids do not pile up over a large import; a
        record superseded again by a later chunk is told again, and judged by its state then
        (a withdrawal of a version it no longer holds only errs toward withholding)."""
        if self.superseded_ids:
            ids, self.superseded_ids = sorted(self.superseded_ids), set()
            events.superseded(self.session, self.settings, self.principal, ids)

    def finish(self) -> IngestResult:
        _check_marking_refs(self.session, self.checker, self.defined_markings)
        if self.checker.problems:
            raise InvalidInput(self.checker.problems)
        result = self.result
        result.digest = self.hasher.hexdigest()
        self._fold_markings()
        # The writer has flushed: every stored row has its key.
        result.held = [held if isinstance(held, tuple) else
                       (held.stix_id, held.modified_key, held.content_hash, held.pk)
                       for held in self.held]  # fmt: skip
        return result


_collector_lock = threading.Lock()
_collector_pauses = 0
_collector_was_enabled = False
_switch_interval_was = 0.0
# How long a thread holds the interpreter before one waiting for it gets a turn, while objects
# are imported. The PostgreSQL writer's thread (records.writers) waits for the server a few
# times a chunk, and each time it wants the interpreter back it waited for Python's default
# 5 ms while this thread checked objects; the server sat idle meanwhile.
SWITCH_INTERVAL_S = 0.0005


@contextmanager
def _importing() -> Iterator[None]:
    """While objects are imported: pause the cyclic garbage collector, and hand the
    interpreter between threads sooner (SWITCH_INTERVAL_S).

    A streamed bundle allocates millions of containers that live for one chunk; the collector
    would walk each of them several times before reference counting frees them, which costs a
    sixth of a large import. The import makes no reference cycles of its own. The collector
    resumes (if it was on) when the last of any concurrent imports ends.
    """
    global _collector_pauses, _collector_was_enabled, _switch_interval_was
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
            _switch_interval_was = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL_S, _switch_interval_was))
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0:
                sys.setswitchinterval(_switch_interval_was)
                if _collector_was_enabled:
                    gc.enable()


def ingest(
    session: Session,
    settings: Settings,
    principal: Principal,
    objects: Iterable[Any],
    *,
    override: Markings | None = None,
    action: str = "records.import",
    base_pointer: str = "/objects",
    progress: Callable[[int], None] | None = None,
    received: ReceivedFrom | None = None,
    parallel: bool = False,
    statistics: bool = True,
    chunk: int | None = None,
) -> IngestResult:
    """Validate and store every object, or raise :class:`InvalidInput` and store nothing.

    The caller owns the transaction: on an exception it must roll back. ``received`` stores
    a partner's objects as they came, under their originator's markings. ``parallel``
    prepares the objects of a large import (more than one chunk) in a worker process while
    this one stores them: for a command-line process reading JSON text (each object travels
    to the worker as JSON), not for a server's request. Without ``statistics`` the caller
    keeps the planner's statistics of what was written (:func:`written`) itself. A smaller
    ``chunk`` overlaps the two halves of a batch of a few thousand objects (a partner's page):
    the database stores one chunk while the next is checked.
    """
    run = _Ingest(session, settings, principal, override, received)
    try:
        with _importing():
            result = _run(run, objects, base_pointer, progress, parallel, chunk)
    finally:
        run.writer.close()
    run.tell_superseded()
    banner = most_restrictive(result.markings)
    audit.append(
        session,
        principal.username,
        action,
        target=result.ids[0] if len(result.ids) == 1 else f"{result.stored} objects",
        marking=banner.banner() if banner else "",
        details={
            "stored": result.stored,
            "unchanged": result.unchanged,
            "superseded": result.superseded,
            "sha256": result.digest,
        },
    )
    if statistics:  # autovacuum may be off: the planner's statistics are kept here
        refresh_statistics(session, written(result))
    return result


def written(result: IngestResult) -> dict[str, int]:
    """The rows an import wrote, by table (for puente.statistics)."""
    return {"records": result.stored + result.superseded, "record_refs": result.references}


def _run(
    run: _Ingest,
    objects: Iterable[Any],
    base_pointer: str,
    progress: Callable[[int], None] | None,
    parallel: bool,
    chunk: int | None = None,
) -> IngestResult:
    chunks = _chunks(objects, chunk or CHUNK)
    first = next(chunks, [])
    if len(first) == CHUNK:  # more may follow: a large import
        run.writer.bulk()
    if parallel and len(first) == CHUNK and _FORK is not None and _cpus() >= PARALLEL_MIN_CPUS:
        _run_parallel(run, itertools.chain([first], chunks), base_pointer, progress)
    else:
        _run_serial(run, itertools.chain([first], chunks), base_pointer, progress)
    run.writer.flush()
    result = run.finish()
    run.writer.settle()
    return result


def _run_serial(
    run: _Ingest,
    chunks: Iterator[list[Any]],
    base_pointer: str,
    progress: Callable[[int], None] | None,
) -> None:
    position = 0
    for chunk in chunks:
        # The database reads the chunk's stored versions while its objects are checked: the
        # ids of those that pass (a superset serves as well: store() reads only its rows').
        lookup = None if run.checker.problems else run.writer.look_up(_ids_of(chunk))
        rows = _prepare_chunk(run, chunk, base_pointer, position)
        position += len(chunk)
        if run.checker.problems:
            if run.checker.full:
                break
            continue  # keep validating the rest to report every problem, store nothing
        run.store(rows, lookup)
        if progress is not None:
            progress(len(chunk))


def _prepare_chunk(
    run: _Ingest, chunk: list[Any], base_pointer: str, position: int
) -> list[Pending]:
    """The rows of one chunk's objects that pass (problems go to run.checker)."""
    checker = run.checker
    run.seen.clear()
    rows: list[Pending] = []
    for obj in chunk:
        row = run.prepare(obj, f"{base_pointer}/{position}")
        position += 1
        if row is not None:
            rows.append(row)
        elif checker.full:
            break
    return rows


# -- validation on a second core ------------------------------------------------------------------
#
# A large import (the command line's) checks and prepares its objects in a worker process
# while this one stores the previous chunk: the worker is a fork of this process made as the
# import starts, holding a copy of the import's state (settings, principal, markings, the
# node directory read beforehand), so it prepares exactly the rows this process would. It
# never touches the database. Chunks go to it as JSON and come back as rows with the problems
# found, in order; the import stays one transaction in this process, and a problem anywhere
# still stores nothing.

_FORK: Any = None
if "fork" in multiprocessing.get_all_start_methods():
    _FORK = multiprocessing.get_context("fork")
AHEAD = 2  # chunks sent to the worker before their rows are needed: it never waits for work
# The worker pays for itself only with a core of its own beside this process and the database
# server's: on two cores (measured, bench/ingest_pg.py) the JSON each chunk travels as costs
# more than the second process gains, and the import is faster without it.
PARALLEL_MIN_CPUS = 4


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


WORKER_POLL_S = 1.0


def _run_parallel(
    run: _Ingest,
    chunks: Iterator[list[Any]],
    base_pointer: str,
    progress: Callable[[int], None] | None,
) -> None:
    checker = run.checker
    run.known()  # read now: the worker has no database
    inbox, outbox = _FORK.Queue(), _FORK.Queue()
    worker = _FORK.Process(target=_worker, args=(run, inbox, outbox, base_pointer, os.getpid()),
                           daemon=True, name="puente-ingest-prepare")  # fmt: skip
    worker.start()
    sizes: collections.deque[int] = collections.deque()
    position = 0

    def send() -> None:
        nonlocal position
        chunk = next(chunks, None)
        if chunk is not None:
            inbox.put((position, _wire(chunk)))
            sizes.append(len(chunk))
            position += len(chunk)

    finished = False
    try:
        for _ in range(AHEAD):
            send()
        while sizes:
            rows, problems, full = _received(outbox, worker)
            size = sizes.popleft()
            for problem in problems:
                checker.add(problem.message, problem.pointer, **problem.params)
            if full or checker.full:
                break
            send()  # the worker prepares the chunk after next while this one is stored
            if not checker.problems:
                run.store(rows)
                if progress is not None:
                    progress(size)
        inbox.put(None)
        while True:  # results of chunks sent after a full list of problems, then the end
            message = _received(outbox, worker)
            if message[0] == "end":
                break
        _, checker.marking_refs, run.defined_markings = message
        finished = True
    finally:
        if finished:
            worker.join(timeout=30)
        if worker.is_alive():  # the import failed here (or the worker hangs): nothing to wait for
            worker.kill()
            worker.join()
        inbox.close()
        outbox.close()


def _wire(chunk: list[Any]) -> bytes | list[Any]:
    """A chunk as the worker receives it: JSON, which orjson writes and reads fastest; the
    objects themselves (pickled) if they hold what JSON cannot (integers past 64 bits)."""
    try:
        return orjson.dumps(chunk)
    except orjson.JSONEncodeError:
        return chunk


def _received(outbox: Any, worker: Any) -> Any:
    while True:
        try:
            message = outbox.get(timeout=WORKER_POLL_S)
        except queue.Empty:
            if not worker.is_alive():
                raise RuntimeError(
                    f"the import's worker process ended ({worker.exitcode})"
                ) from None
            continue
        if message[0] == "crash":
            raise RuntimeError(f"the import's worker process failed:\n{message[1]}")
        return message


def _worker(run: _Ingest, inbox: Any, outbox: Any, base_pointer: str, parent: int) -> None:
    """The worker's loop: prepare each chunk sent, answer with its rows and new problems."""
    _end_with(parent)
    try:
        checker = run.checker
        while (message := inbox.get()) is not None:
            position, payload = message
            chunk = orjson.loads(payload) if isinstance(payload, bytes) else payload
            before = len(checker.problems)
            rows = _prepare_chunk(run, chunk, base_pointer, position)
            # Once anything failed nothing is stored: the rows need not travel.
            outbox.put((rows if not checker.problems else [], checker.problems[before:],
                        checker.full))  # fmt: skip
        outbox.put(("end", checker.marking_refs, run.defined_markings))
    except BaseException:
        outbox.put(("crash", traceback.format_exc()))
    finally:
        outbox.close()
        outbox.join_thread()


def _end_with(parent: int) -> None:
    """End this worker as soon as the import that forked it (``parent``) is gone. A parent
    killed hard leaves it waiting on its queue (it holds that queue's writing end too), and
    holding its copy of the import's database connection: on PostgreSQL the server then
    keeps the import's transaction open, idle, with the node's write lock, for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WORKER_POLL_S / 4)
        os._exit(1)  # no cleanup: what the worker holds is the dead import's

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _check_authorship(rows: list[Pending]) -> None:
    """Refuse an object of this node whose created_by_ref names another agency than the one
    it is stored under: a partner reads a record's originator there, so it would leave under
    that agency's name (puente.records.ownership). A partner's objects are theirs to sign."""
    for row in rows:
        if row.claimed and row.claimed != row.originating_agency:
            raise Forbidden(
                N_("The object names {claimed} as its author, but it would be {agency}'s: "
                   "name {agency} in created_by_ref, or leave it out."),
                pointer=row.at + "/created_by_ref",
                claimed=row.claimed,
                agency=row.originating_agency,
            )  # fmt: skip


def _recipients_rewritten(obj: dict[str, Any], marked: _Marked) -> bool:
    """Whether storing ``obj`` rewrote the named recipients it was given."""
    _, body = markings_from_object(obj)
    return body is not None and body.get("recipients") != marked.extension.get("recipients")


def _ids_of(chunk: list[Any]) -> list[str]:
    """The ids the objects of a chunk give, those that may be STIX ids (no comma)."""
    ids = {obj["id"] for obj in chunk if type(obj) is dict and type(obj.get("id")) is str}
    return [i for i in ids if "," not in i]


def _chunks(objects: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(objects)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _check_marking_refs(session: Session, checker: ObjectChecker, defined: set[str]) -> None:
    unresolved = {ref: at for ref, at in checker.marking_refs.items() if ref not in defined}
    if not unresolved:
        return
    known = set(
        session.execute(
            select(Record.stix_id).where(Record.stix_id.in_(list(unresolved)))
        ).scalars()
    )
    for ref, at in unresolved.items():
        if ref not in known:
            checker.add(
                N_(
                    "Unknown marking definition {ref}: it is neither TLP nor in the bundle nor "
                    "stored here."
                ),
                at,
                ref=ref,
            )


# Puente's objects name their originating agency by its identity (records.builder).
AGENCY_BY_IDENTITY = {agency_identity_id(a.code): a.code for a in CATALOG}
