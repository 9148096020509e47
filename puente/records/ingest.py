"""Storing objects: validation, markings, versions and the bulk insert, in the caller's
transaction so a rejected bundle stores nothing.

Objects arrive as an iterable (a parsed bundle, or a stream read from a file) and are
handled in chunks, so memory stays flat however large the bundle.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from puente.accounts.service import Principal
from puente.audit import service as audit
from puente.config import Settings
from puente.errors import Conflict, Forbidden, InvalidInput, N_, Problem
from puente.policy.markings import (
    MARKINGS_EXTENSION, TLP_BY_MARKING_ID, TLP_MARKING_IDS, Markings, most_restrictive,
)
from puente.records.kinds import display_name, kind_of
from puente.records.models import Record, RecordRef
from puente.records.rows import as_column, markings_of
from puente.records.text import search_text
from puente.records.validation import ObjectChecker, refs_of, timestamp_key

CHUNK = 2000


class _Clock:
    """Strictly increasing date_added stamps (microseconds) within this process."""

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> str:
        now = time.time_ns() // 1000
        self.last = max(now, self.last + 1)
        moment = datetime.fromtimestamp(self.last / 1_000_000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


clock = _Clock()


@dataclass
class IngestResult:
    stored: int = 0
    unchanged: int = 0
    superseded: int = 0
    ids: list[str] = field(default_factory=list)
    markings: list[Markings] = field(default_factory=list)
    digest: str = ""


def markings_from_object(obj: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    tlp = next((TLP_BY_MARKING_ID[r] for r in obj.get("object_marking_refs") or []
                if r in TLP_BY_MARKING_ID), None)
    body = (obj.get("extensions") or {}).get(MARKINGS_EXTENSION)
    return tlp, body if isinstance(body, dict) else None


def apply_markings(obj: dict[str, Any], markings: Markings) -> None:
    """Write ``markings`` into the object: its TLP reference and the markings extension."""
    refs = [r for r in obj.get("object_marking_refs") or [] if r not in TLP_BY_MARKING_ID]
    obj["object_marking_refs"] = [TLP_MARKING_IDS[markings.tlp], *refs]
    extensions = dict(obj.get("extensions") or {})
    extensions[MARKINGS_EXTENSION] = markings.extension()
    obj["extensions"] = extensions


_defaults_cache: dict[tuple[int, str], Markings] = {}


def default_markings(settings: Settings, kind: str) -> Markings:
    key = (id(settings), kind)
    cached = _defaults_cache.get(key)
    if cached is None:
        d = settings.markings_for(kind)
        cached = Markings(tlp=d.tlp, rel_to=frozenset(d.rel_to), handling=d.handling,
                          searchable_by=frozenset(d.searchable_by))
        if len(_defaults_cache) > 1000:
            _defaults_cache.clear()
        _defaults_cache[key] = cached
    return cached


def resolve_markings(
    obj: dict[str, Any], settings: Settings, override: Markings | None
) -> Markings:
    """What the object is marked with: its own markings, else the override, else defaults."""
    tlp, body = markings_from_object(obj)
    if body is None:
        markings = override if override is not None else default_markings(settings, kind_of(obj))
        if tlp and override is None:
            markings = Markings(**{**markings.__dict__, "tlp": tlp})
    else:
        markings = Markings(
            tlp=tlp or default_markings(settings, kind_of(obj)).tlp,
            rel_to=frozenset(body.get("rel_to") or []),
            agencies=frozenset(body.get("agencies") or []),
            handling=body.get("handling", "H0"),
            handling_text=body.get("handling_text", ""),
            searchable_by=frozenset(body.get("searchable_by") or []),
            reliability=body.get("source_reliability"),
            credibility=body.get("information_credibility"),
            recipients=frozenset(body.get("recipients") or []),
        )
    if settings.country not in markings.rel_to:
        markings = Markings(**{**markings.__dict__, "rel_to": markings.rel_to | {settings.country}})
    return markings


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
) -> IngestResult:
    """Validate and store every object, or raise :class:`InvalidInput` and store nothing.

    The caller owns the transaction: on an exception it must roll back.
    """
    checker = ObjectChecker()
    result = IngestResult()
    seen: set[tuple[str, str]] = set()
    defined_markings: set[str] = set()
    hasher = hashlib.sha256()
    position = 0
    for chunk in _chunks(objects, CHUNK):
        rows: list[dict[str, Any]] = []
        refs: list[list[tuple[str, str]]] = []
        for obj in chunk:
            at = f"{base_pointer}/{position}"
            position += 1
            if not checker.check(obj, at):
                if checker.full:
                    break
                continue
            if obj["type"] == "marking-definition":
                defined_markings.add(obj["id"])
            version = timestamp_key(obj.get("modified") or obj.get("created") or "")
            key = (obj["id"], version)
            if key in seen:
                checker.add(N_("The object {id} appears twice in the bundle."), f"{at}/id", id=obj["id"])
                continue
            seen.add(key)
            row = _row(obj, settings, principal, override, version, at, checker)
            if row is not None:
                rows.append(row)
                refs.append(list(refs_of(obj)))
        if checker.problems:
            if checker.full:
                break
            continue  # keep validating the rest to report every problem, store nothing
        _store(session, principal, rows, refs, result, hasher, checker)
        if progress is not None:
            progress(len(chunk))
    _check_marking_refs(session, checker, defined_markings)
    if checker.problems:
        raise InvalidInput(checker.problems)
    result.digest = hasher.hexdigest()
    banner = most_restrictive(result.markings)
    audit.append(
        session, principal.username, action,
        target=result.ids[0] if len(result.ids) == 1 else f"{len(result.ids)} objects",
        marking=banner.banner() if banner else "",
        details={"stored": result.stored, "unchanged": result.unchanged,
                 "superseded": result.superseded, "sha256": result.digest},
    )
    return result


def _chunks(objects: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(objects)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _row(
    obj: dict[str, Any], settings: Settings, principal: Principal, override: Markings | None,
    version: str, at: str, checker: ObjectChecker,
) -> dict[str, Any] | None:
    markings = resolve_markings(obj, settings, override)
    apply_markings(obj, markings)
    content = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    if len(content) > settings.limits.max_object_bytes:
        checker.add(N_("The object is {size} bytes; this node accepts at most {limit}."), at,
                    size=len(content), limit=settings.limits.max_object_bytes)
        return None
    return {
        "stix_id": obj["id"], "type": obj["type"], "kind": kind_of(obj),
        "modified_key": version, "created_key": timestamp_key(obj.get("created", "")) if obj.get("created") else version,
        "date_added": "", "is_current": True, "revoked": bool(obj.get("revoked")),
        "recalled": False, "owner_node": settings.node_id, "owner_country": settings.country,
        "received": False, "originating_agency": principal.agency,
        "created_by": principal.username, "tlp": markings.tlp,
        "rel_to": as_column(markings.rel_to), "agencies": as_column(markings.agencies),
        "handling": markings.handling, "handling_text": markings.handling_text,
        "searchable_by": as_column(markings.searchable_by),
        "reliability": markings.reliability or "", "credibility": markings.credibility or 0,
        "recipients": as_column(markings.recipients), "name": display_name(obj)[:300],
        "search_text": search_text(obj), "content": content.decode(),
        "content_hash": hashlib.sha256(content).hexdigest(), "_markings": markings,
        "_at": at,
    }


def _store(
    session: Session, principal: Principal, rows: list[dict[str, Any]],
    refs: list[list[tuple[str, str]]], result: IngestResult, hasher: Any,
    checker: ObjectChecker,
) -> None:
    if not rows:
        return
    ids = {r["stix_id"] for r in rows}
    existing: dict[str, list[Record]] = {}
    for record in session.execute(
        select(Record).where(Record.stix_id.in_(ids))
    ).scalars():
        existing.setdefault(record.stix_id, []).append(record)
    fresh: list[dict[str, Any]] = []
    fresh_refs: list[list[tuple[str, str]]] = []
    newest: dict[str, str] = {}
    for row, row_refs in zip(rows, refs, strict=True):
        versions = existing.get(row["stix_id"], [])
        same = next((v for v in versions if v.modified_key == row["modified_key"]), None)
        if same is not None:
            if same.content_hash != row["content_hash"]:
                raise Conflict(N_("A different object with id {id} and the same modified time is already stored; change modified to make a new version."),
                               pointer=row["_at"] + "/modified", id=row["stix_id"])
            result.unchanged += 1
            continue
        if versions:
            owner = versions[0]
            if owner.received or (
                owner.originating_agency != principal.agency and "admin" not in principal.roles
            ):
                raise Forbidden(N_("Only {agency} on node {node}, which owns {id}, may make new versions of it."),
                                pointer=row["_at"] + "/id", agency=owner.originating_agency,
                                node=owner.owner_node, id=row["stix_id"])
            row["originating_agency"] = owner.originating_agency
        current = max([v.modified_key for v in versions if v.is_current] or [""])
        best = max(current, newest.get(row["stix_id"], ""))
        newest[row["stix_id"]] = max(best, row["modified_key"])
        fresh.append(row)
        fresh_refs.append(row_refs)
    if not fresh:
        return
    for row in fresh:
        row["is_current"] = row["modified_key"] == newest[row["stix_id"]]
        row["date_added"] = clock.next()
        result.markings.append(row.pop("_markings"))
        row.pop("_at")
        hasher.update(f"{row['stix_id']}|{row['modified_key']}|{row['content_hash']}\n".encode())
        if len(result.ids) < 1:
            result.ids.append(row["stix_id"])
        elif len(result.ids) == 1 and result.ids[0] != row["stix_id"]:
            result.ids.append(row["stix_id"])
    superseded = [v.pk for vs in existing.values() for v in vs
                  if v.is_current and newest.get(v.stix_id, "") > v.modified_key]
    if superseded:
        session.execute(update(Record).where(Record.pk.in_(superseded)).values(is_current=False))
        result.superseded += len(superseded)
    connection = session.connection()
    if any(fresh_refs):
        pks = connection.execute(
            insert(Record.__table__).returning(Record.__table__.c.pk, sort_by_parameter_order=True),
            fresh,
        ).scalars().all()
        links = [
            {"record_pk": pk, "source_id": row["stix_id"], "prop": prop, "target_id": target}
            for pk, row, row_refs in zip(pks, fresh, fresh_refs, strict=True)
            for prop, target in row_refs
        ]
        if links:
            connection.execute(insert(RecordRef.__table__), links)
    else:
        connection.execute(insert(Record.__table__), fresh)
    result.stored += len(fresh)
    if len(result.markings) > 64:
        result.markings = [m for m in [most_restrictive(result.markings)] if m is not None]


def _check_marking_refs(session: Session, checker: ObjectChecker, defined: set[str]) -> None:
    unresolved = {ref: at for ref, at in checker.marking_refs.items() if ref not in defined}
    if not unresolved:
        return
    known = set(session.execute(
        select(Record.stix_id).where(Record.stix_id.in_(list(unresolved)))
    ).scalars())
    for ref, at in unresolved.items():
        if ref not in known:
            checker.add(N_("Unknown marking definition {ref}: it is neither TLP nor in the bundle nor stored here."),
                        at, ref=ref)


def problems_to_text(problems: list[Problem]) -> str:
    return "; ".join(f"{p.pointer}: {p.message.format(**p.params)}" for p in problems)
