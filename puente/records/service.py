"""Records: create, version, revoke, read, search and export, always through the gate.

Every read of record content passes :func:`puente.policy.gate.release` for the reader and
leaves an audit entry; every write is audited in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.orm import Session

from puente.audit import denials
from puente.audit import service as audit
from puente.config import Settings
from puente.errors import N_, Conflict, InvalidInput, NotFound, Problem
from puente.policy import gate
from puente.policy.markings import TLP_LEVELS, Markings, most_restrictive
from puente.policy.roles import Principal, require
from puente.records import builder, finder, ownership
from puente.records.ingest import DENIED as DENIED  # a refused read: record.denied
from puente.records.ingest import IngestResult, ingest
from puente.records.kinds import KINDS
from puente.records.models import Record, RecordCopy, RecordRef
from puente.records.prefilter import visible_to_user
from puente.records.rows import RecordView, facts_of, markings_of
from puente.records.validation import is_identifier, refs_of, timestamp_key

PLAN_TYPE_PREFIX = ownership.PLAN_TYPE_PREFIX


def _release(rows: Iterable[Record], principal: Principal) -> list[Record]:
    return gate.release(rows, facts_of, principal.audience)


def _current(session: Session, stix_id: str) -> Record | None:
    return session.execute(
        select(Record).where(Record.stix_id == stix_id, Record.is_current.is_(True))
    ).scalar_one_or_none()


def create(
    session: Session,
    settings: Settings,
    principal: Principal,
    kind: str,
    fields: dict[str, Any],
    markings: Markings,
    copy_of: str | None = None,
) -> RecordView:
    """Create a record of ``kind`` from form fields, marked with ``markings``; ``copy_of``
    names the record of this node it copies (a recall of that one reaches this one)."""
    require(principal, "records.write")
    obj = builder.build(kind, fields, principal.agency)
    _check_refs_visible(session, principal, obj)
    _check_author_sees(settings, principal, obj, markings, principal.agency)
    _check_recipients_here(session, settings, markings)
    ingest(
        session,
        settings,
        principal,
        [obj],
        override=markings,
        action="record.create",
        base_pointer="",
    )
    if copy_of is not None:
        session.add(RecordCopy(copy_id=obj["id"], original_id=copy_of))
    return get(session, principal, obj["id"], audit_read=False)


def new_version(
    session: Session,
    settings: Settings,
    principal: Principal,
    stix_id: str,
    fields: dict[str, Any],
    markings: Markings,
) -> RecordView:
    """The owner's next version of a record, from edited form fields."""
    require(principal, "records.write")
    row = _current_visible(session, principal, stix_id)
    if not ownership.may_version(principal, row.originating_agency, row.received):
        raise ownership.refusal(stix_id, row.originating_agency, row.owner_node, row.received)
    if row.revoked:  # STIX 2.1 §3.6; an admin's revocation is not undone by a new version
        raise Conflict(N_("This record is revoked; it takes no new versions."))
    previous = orjson.loads(row.content)
    obj = builder.build(row.kind, fields, principal.agency, previous=previous)
    _check_refs_visible(session, principal, obj)
    _check_author_sees(settings, principal, obj, markings, row.originating_agency)
    if markings.recipients != markings_of(row).recipients:
        _check_recipients_here(session, settings, markings)
    ingest(
        session,
        settings,
        principal,
        [obj],
        override=markings,
        action="record.version",
        base_pointer="",
    )
    return get(session, principal, stix_id, audit_read=False)


def revoke(session: Session, settings: Settings, principal: Principal, stix_id: str) -> RecordView:
    """Revoke a record (STIX 2.1 §3.6): a final version with ``revoked: true``."""
    require(principal, "records.write")
    row = owned_current(session, principal, stix_id)
    if row.revoked:
        return get(session, principal, stix_id, audit_read=False)
    obj = orjson.loads(row.content)
    if "created" not in obj:
        return _withdraw_observable(session, principal, row)
    obj["revoked"] = True
    obj["modified"] = builder.later_than(obj.get("modified", obj["created"]), builder.stix_now())
    from puente.records.rows import markings_of

    ingest(
        session,
        settings,
        principal,
        [obj],
        override=markings_of(row),
        action="record.revoke",
        base_pointer="",
    )
    return get(session, principal, stix_id, audit_read=False)


def _withdraw_observable(session: Session, principal: Principal, row: Record) -> RecordView:
    """A cyber-observable has no versions and no ``revoked`` (STIX 2.1 §6.1: no created, no
    modified): it cannot carry its revocation. The row is marked revoked instead, its content
    untouched: it leaves this node's searches and its users' TAXII collection, as a revoked
    record does, and stays in the audit trail."""
    row.revoked = True
    audit.append(
        session,
        principal.username,
        "record.revoke",
        row.stix_id,
        marking=markings_of(row).banner(),
        details={"observable": True, "sha256": row.content_hash},
    )
    return get(session, principal, row.stix_id, audit_read=False)


def owned_current(session: Session, principal: Principal, stix_id: str) -> Record:
    """The current version of a record ``principal`` sees and may revoke or recall: its
    originating agency's users, or an admin of this node (who may not version it)."""
    row = _current_visible(session, principal, stix_id)
    if not ownership.may_revoke(principal, row.originating_agency, row.received):
        raise ownership.refusal(stix_id, row.originating_agency, row.owner_node, row.received)
    return row


def _current_visible(session: Session, principal: Principal, stix_id: str) -> Record:
    row = _current(session, stix_id)
    if row is None or not gate.decide(facts_of(row), principal.audience):
        raise NotFound(N_("No record {id} that you may see."), id=stix_id)
    return row


def _check_refs_visible(session: Session, principal: Principal, obj: dict[str, Any]) -> None:
    from puente.records.validation import refs_of

    problems = []
    for prop, ref in refs_of(obj):
        row = _current(session, ref)
        if row is None or not gate.decide(facts_of(row), principal.audience):
            problems.append(
                Problem(N_("No record {id} that you may see."), f"/{prop}", {"id": ref})
            )
    if problems:
        raise InvalidInput(problems)


def _check_recipients_here(session: Session, settings: Settings, markings: Markings) -> None:
    """Refuse a named recipient of this node who is no active user here: a typo would leave
    the name free for an account made later (by an admin, who sets its password) to claim.
    A partner's users are not known here; their node matches them."""
    from puente.accounts.models import User

    here = {r.rsplit("@", 1)[0] for r in markings.recipients if r.endswith(f"@{settings.country}")}
    if not here:
        return
    known = set(
        session.execute(
            select(User.username).where(User.username.in_(sorted(here)), User.active.is_(True))
        ).scalars()
    )
    message = N_(
        "No active user {name} on this node: name a user who exists (a partner's user is "
        "written user@MEX or user@USA)."
    )
    problems = [
        Problem(message, "/markings/recipients", {"name": name}) for name in sorted(here - known)
    ]
    if problems:
        raise InvalidInput(problems)


def _check_author_sees(
    settings: Settings,
    principal: Principal,
    obj: dict[str, Any],
    markings: Markings,
    originating_agency: str,
) -> None:
    """Refuse markings that would hide a record from the person writing it.

    Listing agencies without one's own would store a record its owner can neither read nor
    version; say so at the field instead of failing later as "not found".
    """
    facts = gate.RecordFacts(
        stix_id=obj["id"],
        owner_country=settings.country,
        owned_here=True,
        originating_agency=originating_agency,
        markings=markings,
        created_by=principal.username,
    )
    if not gate.decide(facts, principal.audience):
        problem = Problem(
            N_("List your own agency {agency} too, or you could not see this record yourself."),
            "/markings/agencies",
            {"agency": principal.agency},
        )
        raise InvalidInput([problem])


def import_objects(
    session: Session,
    settings: Settings,
    principal: Principal,
    objects: Iterable[Any],
    override: Markings | None = None,
    progress: Callable[[int], None] | None = None,
    parallel: bool = False,
) -> IngestResult:
    """Store a bundle's objects atomically (the caller's transaction); ``parallel`` prepares
    a large bundle's objects on a second core (records.ingest)."""
    require(principal, "records.import")
    return ingest(session, settings, principal, _no_new_plan_objects(session, objects),
                  override=override, progress=progress, parallel=parallel)  # fmt: skip


def _no_new_plan_objects(session: Session, objects: Iterable[Any]) -> Iterator[Any]:
    """The objects as they stream, refusing the plan's that this node does not hold: the plan
    is written through its own service, which checks the coordinator's permission and the
    plan's rules; imported as records, its objects would bypass both. A version held already
    passes (ingest finds it unchanged, or refuses different content under it), so an export
    of this node reads back. Refused mid-stream, the import stores nothing."""
    for index, obj in enumerate(objects):
        if (isinstance(obj, dict) and str(obj.get("type", "")).startswith(PLAN_TYPE_PREFIX)
                and not _holds_version(session, obj)):  # fmt: skip
            raise InvalidInput([Problem(N_("{type} is part of the joint action plan: write it "
                                           "through the plan (its pages, its API or its "
                                           "file)."), f"/objects/{index}/type",
                                        {"type": obj["type"]})])  # fmt: skip
        yield obj


def _holds_version(session: Session, obj: dict[str, Any]) -> bool:
    stix_id, modified = obj.get("id"), obj.get("modified")
    if not (isinstance(stix_id, str) and isinstance(modified, str) and modified.endswith("Z")):
        return False
    found = session.execute(select(Record.pk).where(
        Record.stix_id == stix_id, Record.modified_key == timestamp_key(modified)).limit(1))  # fmt: skip
    return found.first() is not None


def get(
    session: Session,
    principal: Principal,
    stix_id: str,
    version: str | None = None,
    audit_read: bool = True,
) -> RecordView:
    require(principal, "records.read")
    if not is_identifier(stix_id):
        raise _denied(session, principal, stix_id, audit_read)
    query = select(Record).where(Record.stix_id == stix_id)
    if version:
        # The originator's newest markings govern the whole record: tightening them must
        # also hide the versions that were marked more widely.
        _require_current_visible(session, principal, stix_id)
        query = query.where(Record.modified_key == timestamp_key(version))
    else:
        query = query.where(Record.is_current.is_(True))
    rows = _release(session.execute(query).scalars(), principal)
    if not rows:
        raise _denied(session, principal, stix_id, audit_read)
    view = RecordView.of(rows[0])
    if audit_read:
        audit.append(
            session,
            principal.username,
            "record.read",
            stix_id,
            marking=view.markings.banner(),
            details={"version": view.modified},
        )
    return view


def _denied(session: Session, principal: Principal, stix_id: str, audited: bool = True) -> NotFound:
    """The 404 for a record the reader may not see (or that does not exist: they read alike),
    its refusal noted for the audit log (puente.audit.denials) when the read is audited."""
    if audited:
        denials.note(session, principal.username, DENIED, stix_id)
    return NotFound(N_("No record {id} that you may see."), id=stix_id)


def _require_current_visible(session: Session, principal: Principal, stix_id: str) -> None:
    current = _current(session, stix_id)
    if current is None or not gate.decide(facts_of(current), principal.audience):
        raise _denied(session, principal, stix_id)


def versions(session: Session, principal: Principal, stix_id: str) -> list[RecordView]:
    require(principal, "records.read")
    _require_current_visible(session, principal, stix_id)
    rows = session.execute(
        select(Record).where(Record.stix_id == stix_id).order_by(Record.modified_key.desc())
    ).scalars()
    released = [RecordView.of(r) for r in _release(rows, principal)]
    if not released:
        raise _denied(session, principal, stix_id)
    audit.append(
        session,
        principal.username,
        "record.versions",
        stix_id,
        marking=_banner(v.markings for v in released),
        details={"count": len(released)},
    )
    return released


def related(session: Session, principal: Principal, stix_id: str) -> list[RecordView]:
    """Current records linked to ``stix_id`` (either direction), as the reader may see them."""
    require(principal, "records.read")
    ids = _visible_related_ids(session, principal, stix_id)
    rows = session.execute(
        select(Record)
        .where(Record.stix_id.in_(ids), Record.is_current.is_(True))
        .where(visible_to_user(principal.audience))
        .order_by(Record.type, Record.name)
        .limit(200)
    ).scalars()
    released = [RecordView.of(r) for r in _release(rows, principal)]
    # Related records are record content too: their read is audited like any other.
    audit.append(
        session,
        principal.username,
        "record.related",
        stix_id,
        marking=_banner(v.markings for v in released),
        details={"count": len(released), "ids": [v.stix_id for v in released]},
    )
    return released


RELATED_LIMIT = 2000


def _visible_related_ids(session: Session, principal: Principal, stix_id: str) -> set[str]:
    """Ids linked to ``stix_id`` through records the reader may see, and nothing else.

    A link is only followed through an object the gate releases to the reader: the record
    itself (its own references), or a relationship, note or report that points at it. A
    hidden relationship must not reveal that its two ends are connected.
    """
    anchor = _current(session, stix_id)
    if anchor is None or not gate.decide(facts_of(anchor), principal.audience):
        raise _denied(session, principal, stix_id)
    linked = {target for _prop, target in refs_of(orjson.loads(anchor.content))}
    referrers = session.execute(
        select(Record)
        .join(RecordRef, RecordRef.record_pk == Record.pk)
        .where(RecordRef.target_id == stix_id, Record.is_current.is_(True))
        .where(visible_to_user(principal.audience))
        .limit(RELATED_LIMIT)
    ).scalars()
    for referrer in _release(referrers, principal):
        linked.add(referrer.stix_id)
        if referrer.type == "relationship":
            content = orjson.loads(referrer.content)
            linked.update(str(content.get(end, "")) for end in ("source_ref", "target_ref"))
    linked.discard(stix_id)
    return linked


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    kinds: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    tlp: tuple[str, ...] = ()
    owner_node: str = ""
    received: bool | None = None
    modified_from: str = ""
    modified_to: str = ""
    related_to: str = ""
    include_revoked: bool = False
    after: int | None = None  # keyset: the last pk of the previous page
    limit: int = 25


@dataclass
class SearchPage:
    items: list[RecordView]
    next_after: int | None
    banner: Markings | None = None
    filters: dict[str, Any] = field(default_factory=dict)


def search(session: Session, principal: Principal, q: SearchQuery) -> SearchPage:
    """Current records matching ``q`` that the gate lets ``principal`` see, newest first."""
    require(principal, "records.read")
    problems = []
    for index, level in enumerate(q.tlp):
        if level not in TLP_LEVELS:
            problems.append(
                Problem(N_("Unknown TLP level {value}."), f"/tlp/{index}", {"value": level})
            )
    for name, value in (("modified_from", q.modified_from), ("modified_to", q.modified_to)):
        if value and not _is_date(value):
            problems.append(
                Problem(
                    N_("{field} must be a date such as 2025-01-31."), f"/{name}", {"field": name}
                )
            )
    if q.related_to and not is_identifier(q.related_to):
        problems.append(
            Problem(N_("{value} is not a record id."), "/related_to", {"value": q.related_to})
        )
    if problems:
        raise InvalidInput(problems)
    # The candidates: conditions on a row's own columns (see records.finder), first those
    # the index by kind and TLP answers alone.
    indexed: list[ColumnElement[bool]] = [Record.is_current.is_(True)]
    if q.kinds:
        indexed.append(Record.kind.in_(q.kinds))
    if q.tlp:
        indexed.append(Record.tlp.in_(q.tlp))
    conditions: list[ColumnElement[bool]] = []
    if q.types:
        conditions.append(Record.type.in_(q.types))
    if q.owner_node:
        conditions.append(Record.owner_node == q.owner_node)
    if q.received is not None:
        conditions.append(Record.received.is_(q.received))
    if q.modified_from:
        conditions.append(Record.modified_key >= q.modified_from[:10])
    if q.modified_to:
        conditions.append(Record.modified_key < q.modified_to[:10] + "T99")
    if not q.include_revoked:
        conditions.append(Record.revoked.is_(False))
    gate_conditions = [visible_to_user(principal.audience)]
    if q.related_to:
        gate_conditions.append(
            Record.stix_id.in_(_visible_related_ids(session, principal, q.related_to))
        )
    limit = max(1, min(q.limit, 200))
    rows = finder.newest(
        session, indexed, conditions, finder.words(q.text), gate_conditions, q.after, limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    released = [RecordView.of(r) for r in _release(rows, principal)]
    audit.append(
        session,
        principal.username,
        "records.search",
        q.text[:200],
        marking=_banner(v.markings for v in released),
        details={
            "results": len(released),
            "ids": [v.stix_id for v in released],
            "kinds": list(q.kinds),
            "tlp": list(q.tlp),
        },
    )
    return SearchPage(
        released,
        rows[-1].pk if more and rows else None,
        most_restrictive(v.markings for v in released),
    )


def _is_date(value: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def _banner(markings: Iterable[Markings]) -> str:
    worst = most_restrictive(markings)
    return worst.banner() if worst else ""


def export(
    session: Session, principal: Principal, q: SearchQuery | None = None, batch: int = 1000
) -> Iterator[dict[str, Any]]:
    """Every current record the gate releases to ``principal`` (matching ``q``), as STIX.

    The caller must exhaust the iterator inside its transaction; the audit entry is written
    when it ends.
    """
    # Checked now, not at the first object: a streamed response has started by then.
    require(principal, "records.export")
    return _export(session, principal, q or SearchQuery(), batch)


def _export(
    session: Session, principal: Principal, q: SearchQuery, batch: int
) -> Iterator[dict[str, Any]]:
    conditions: list[ColumnElement[bool]] = [
        Record.is_current.is_(True),
        visible_to_user(principal.audience),
    ]
    if q.kinds:
        conditions.append(Record.kind.in_(q.kinds))
    if q.tlp:
        conditions.append(Record.tlp.in_(q.tlp))
    last = 0
    count = 0
    seen_markings: list[Markings] = []
    # What left, provably: the digest of every released version, in order.
    released = hashlib.sha256()
    yield from preamble()
    while True:
        rows = list(
            session.execute(
                select(Record).where(*conditions, Record.pk > last).order_by(Record.pk).limit(batch)
            ).scalars()
        )
        if not rows:
            break
        last = rows[-1].pk
        for row in _release(rows, principal):
            count += 1
            released.update(f"{row.stix_id}|{row.modified_key}|{row.content_hash}\n".encode())
            seen_markings.append(facts_of(row).markings)
            if len(seen_markings) > 64:
                seen_markings = [m for m in [most_restrictive(seen_markings)] if m]
            yield orjson.loads(row.content)
        session.expunge_all()
    audit.append(
        session,
        principal.username,
        "records.export",
        f"{count} objects",
        marking=_banner(seen_markings),
        details={
            "count": count,
            "sha256": released.hexdigest(),
            "kinds": list(q.kinds),
            "tlp": list(q.tlp),
        },
    )


def preamble() -> list[dict[str, Any]]:
    """The definitions every export carries before its records: Puente's extension definitions,
    the TLP 2.0 marking definitions and the agencies' identities (none of them record content)."""
    from puente.records.definitions import published

    return published()


STATS_CAP = 1_000


def stats(session: Session, principal: Principal, cap: int = STATS_CAP) -> dict[str, int]:
    """Counts by kind of the current records this principal may see (the dashboard), each
    counted up to ``cap`` + 1: more than ``cap`` reads as "more than". An exact count reads
    every record the principal may see, each checked against the gate: 2 to 3 s a dashboard
    at 10M records, on every visit."""
    counts: dict[str, int] = {}
    for kind in (*KINDS, "other"):
        visible = (
            select(literal(1))
            .where(
                Record.is_current.is_(True),
                Record.kind == kind,
                Record.revoked.is_(False),
                visible_to_user(principal.audience),
            )
            .limit(cap + 1)
            .subquery()
        )
        found = session.execute(select(func.count()).select_from(visible)).scalar_one()
        if found:
            counts[kind] = int(found)
    return counts
