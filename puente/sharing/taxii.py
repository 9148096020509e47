"""The TAXII 2.1 server's operations, as services: no HTTP here (see sharing/views.py).

Every operation that returns objects passes its rows through the egress gate
(:func:`puente.policy.gate.release`) after the collection's SQL membership picked them, and
appends one audit entry per response naming the requester, the collection and a SHA-256 over
the object versions released.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.audit import denials
from puente.audit import service as audit
from puente.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, Problem
from puente.node import Node
from puente.policy import gate
from puente.policy.gate import RecordFacts
from puente.policy.markings import most_restrictive
from puente.policy.roles import Principal, require
from puente.records import service as records
from puente.records.definitions import served as served_definitions
from puente.records.models import Record
from puente.records.partial import store_what_passes
from puente.records.rows import (
    GateValues,
    current_gates,
    facts_from,
    governed,
    governed_facts,
    markings_from,
)
from puente.records.validation import is_identifier
from puente.sharing import checkpoints, recalls, receipts, registry
from puente.sharing.collections import (
    STIX_MEDIA_TYPE,
    CollectionSpec,
    Requester,
    collections_for,
    find_collection,
    requester_name,
)
from puente.sharing.models import TaxiiStatus
from puente.sharing.partners import PartnerPrincipal
from puente.sharing.query import (
    UNVERSIONED,
    Filters,
    Page,
    PageRow,
    is_definition,
    page,
    token_key,
    version_key,
    version_of,
)

MEDIA_TYPE = "application/taxii+json;version=2.1"
API_ROOT = "/taxii2/api/"


# -- §4.1 Server Discovery, §4.2 API Root ------------------------------------------------------


def discovery(node: Node) -> dict[str, Any]:
    """§4.1.1 discovery resource: one API Root, on this server."""
    settings = node.settings
    return {
        "title": f"Puente — {settings.display_name}",
        "description": f"Node {settings.node_id} ({settings.country}) of Puente, TAXII 2.1.",
        "default": API_ROOT,
        "api_roots": [API_ROOT],
    }


def api_root(node: Node) -> dict[str, Any]:
    """§4.2.1 api-root resource."""
    return {
        "title": f"Puente — {node.settings.display_name}",
        "description": "Records shared under markings the originator controls.",
        "versions": [MEDIA_TYPE],
        "max_content_length": node.settings.limits.max_request_bytes,
    }


# -- §5.1 Collections, §5.2 Collection ---------------------------------------------------------


def collection_resource(spec: CollectionSpec) -> dict[str, Any]:
    """§5.2.1 collection resource."""
    return {
        "id": spec.id,
        "title": spec.title,
        "description": spec.description,
        "alias": spec.alias,
        "can_read": spec.can_read,
        "can_write": spec.can_write,
        "media_types": [STIX_MEDIA_TYPE],
    }


def collections(session: Session, node: Node, requester: Requester) -> dict[str, Any]:
    """§5.1.1: the requester's collections; an empty list is omitted, not sent empty (§2)."""
    found = [collection_resource(s) for s in collections_for(session, node.settings, requester)]
    return {"collections": found} if found else {}


def collection(
    session: Session, node: Node, requester: Requester, collection_id: str
) -> dict[str, Any]:
    return collection_resource(find_collection(session, node.settings, requester, collection_id))


# -- §5.3 Manifest, §5.4 Objects, §5.6 Object, §5.8 Versions -----------------------------------


@dataclass
class Served:
    """One response's worth of released rows, and the envelope headers (§3.2)."""

    body: bytes
    first: str = ""  # X-TAXII-Date-Added-First
    last: str = ""  # X-TAXII-Date-Added-Last


def _readable(
    session: Session, node: Node, requester: Requester, collection_id: str
) -> CollectionSpec:
    spec = find_collection(session, node.settings, requester, collection_id)
    if not spec.can_read:
        raise Forbidden(N_("You may not read collection {id}."), id=collection_id)
    return spec


def _binding(spec: CollectionSpec, requester: Requester, filters: Filters, scope: str) -> str:
    return "|".join((spec.id, requester_name(requester), scope, filters.digest()))


def _released_page(
    session: Session,
    node: Node,
    requester: Requester,
    spec: CollectionSpec,
    filters: Filters,
    scope: str,
    object_id: str | None = None,
) -> tuple[Page, list[PageRow]]:
    key = token_key(node.settings.key_path)
    found = page(session, spec, filters, key, _binding(spec, requester, filters, scope), object_id)
    stored = [r for r in found.rows if not is_definition(r)]
    # An older version is released only with its current one (DESIGN.md, the first rule).
    currents = current_gates(session, {r.stix_id for r in stored if not r.is_current})

    def gate_values(row: PageRow) -> tuple[GateValues, GateValues | None]:
        return row.gate, None if row.is_current else currents.get(row.stix_id, ())

    def facts(row: PageRow) -> RecordFacts:
        return governed(facts_from(row.stix_id, row.gate), row.is_current, currents)

    released = {r.pk for r in gate.release_by_key(stored, gate_values, facts, spec.audience)}
    # The definitions the objects point at are no record content: every collection serves them
    # (puente.records.definitions), in their place by date_added.
    return found, [r for r in found.rows if r.pk in released or is_definition(r)]


def _audit(
    session: Session,
    requester: Requester,
    action: str,
    spec: CollectionSpec,
    rows: Sequence[PageRow],
) -> None:
    digest = hashlib.sha256(
        "".join(f"{r.stix_id}|{r.modified_key}|{r.content_hash}\n" for r in rows).encode()
    ).hexdigest()
    gates = {r.gate for r in rows if not is_definition(r)}
    banner = most_restrictive({markings_from(gate) for gate in gates})
    audit.append(
        session,
        requester_name(requester),
        action,
        spec.alias,
        marking=banner.banner() if banner else "",
        details={
            "collection": spec.id,
            "count": len(rows),
            "sha256": digest,
            "first": rows[0].date_added if rows else "",
            "last": rows[-1].date_added if rows else "",
        },
    )


def _envelope(found: Page, rows: list[PageRow], key: str, items: bytes) -> Served:
    """§3.7 envelope (or §5.3.1 manifest, §5.8.1 versions): empty lists left out (§2)."""
    if not rows:
        if found.more:  # the gate kept this page's rows back: the reader must page on (§3.5)
            return Served(b'{"more":true,"next":' + orjson.dumps(found.next) + b"}")
        return Served(b"{}")  # "an empty envelope" (§3.7)
    parts = [b"{"]
    if found.more:
        # taxii2-client's as_pages follows next; it must come with every "more": true.
        parts.append(b'"more":true,"next":' + orjson.dumps(found.next) + b",")
    else:
        parts.append(b'"more":false,')
    parts += [b'"', key.encode(), b'":[', items, b"]}"]
    return Served(b"".join(parts), rows[0].date_added, rows[-1].date_added)


def get_objects(
    session: Session, node: Node, requester: Requester, collection_id: str, filters: Filters
) -> Served:
    """§5.4 Get Objects."""
    spec = _readable(session, node, requester, collection_id)
    found, rows = _released_page(session, node, requester, spec, filters, "objects")
    items = _contents(rows)  # before the audit entry: its row lock is held until commit
    _audit(session, requester, "taxii.objects", spec, rows)
    return _envelope(found, rows, "objects", items)


def get_object(
    session: Session,
    node: Node,
    requester: Requester,
    collection_id: str,
    object_id: str,
    filters: Filters,
) -> Served:
    """§5.6 Get an Object: the versions of one object that match (an envelope)."""
    found, rows = _object_page(session, node, requester, collection_id, object_id, filters,
                               "object")  # fmt: skip
    return _envelope(found, rows, "objects", _contents(rows))


def _object_page(
    session: Session,
    node: Node,
    requester: Requester,
    collection_id: str,
    object_id: str,
    filters: Filters,
    scope: str,
) -> tuple[Page, list[PageRow]]:
    """One object's released versions (§5.6, §5.8), audited; 404 if none is in the collection."""
    spec = _readable(session, node, requester, collection_id)
    found, rows = _released_page(session, node, requester, spec, filters, scope, object_id)
    if not rows and not found.more and not _present(session, spec, object_id):
        if isinstance(requester, Principal):  # a user's refused read, as over REST
            denials.note(session, requester.username, records.DENIED, object_id)
        raise NotFound(N_("No object {id} in this collection."), id=object_id)
    _audit(session, requester, f"taxii.{scope}", spec, rows)
    return found, rows


def _present(session: Session, spec: CollectionSpec, object_id: str) -> bool:
    """Whether any version of the object is in the collection (and the gate lets it out)."""
    rows = session.execute(
        select(Record).where(Record.stix_id == object_id, spec.membership(Record)).limit(50)
    ).scalars()
    return any(gate.decide(f, spec.audience) for f in governed_facts(session, rows).values())


def _contents(rows: list[PageRow]) -> bytes:
    """The stored objects, verbatim, comma-separated: one encode for the page."""
    return ",".join(r.content for r in rows).encode()


def get_manifest(
    session: Session, node: Node, requester: Requester, collection_id: str, filters: Filters
) -> Served:
    """§5.3 Get Object Manifests: one manifest-record per object version that matches."""
    spec = _readable(session, node, requester, collection_id)
    found, rows = _released_page(session, node, requester, spec, filters, "manifest")
    _audit(session, requester, "taxii.manifest", spec, rows)
    items = orjson.dumps(
        [
            {
                "id": r.stix_id,
                "date_added": r.date_added,
                "version": version_of(r),
                "media_type": STIX_MEDIA_TYPE,
            }
            for r in rows
        ]
    )[1:-1]  # the list's items, for the envelope
    return _envelope(found, rows, "objects", items)


def get_versions(
    session: Session,
    node: Node,
    requester: Requester,
    collection_id: str,
    object_id: str,
    filters: Filters,
) -> Served:
    """§5.8 Get Object Versions: every version of the object, oldest added first."""
    found, rows = _object_page(session, node, requester, collection_id, object_id, filters,
                               "versions")  # fmt: skip
    items = orjson.dumps([version_of(r) for r in rows])[1:-1]
    return _envelope(found, rows, "versions", items)


# -- §5.5 Add Objects, §4.3 Status -------------------------------------------------------------


def _writable(
    session: Session, node: Node, requester: Requester, collection_id: str
) -> CollectionSpec:
    spec = find_collection(session, node.settings, requester, collection_id)
    if not spec.can_write:
        raise Forbidden(N_("You may not add objects to collection {id}."), id=collection_id)
    return spec


def _detail(obj: Any, message: str = "", added: dict[str, str] | None = None) -> dict[str, str]:
    """§4.3.1 status-details: the object's id and version (modified, else created; else the
    date it was added, as manifests and match[version] give it: see query.version_of)."""
    body = obj if isinstance(obj, dict) else {}
    stix_id = str(body.get("id", ""))
    version = body.get("modified") or body.get("created") or (added or {}).get(stix_id, "")
    detail = {"id": stix_id, "version": str(version)}
    if message:
        detail["message"] = message
    return detail


def _unversioned_added(session: Session, objects: list[Any]) -> dict[str, str]:
    """The date_added of each stored object that has neither modified nor created."""
    ids = [o["id"] for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)
           and not (o.get("modified") or o.get("created"))]  # fmt: skip
    if not ids:
        return {}
    found = session.execute(
        select(Record.stix_id, Record.date_added).where(
            Record.stix_id.in_(ids[:1000]), Record.modified_key == UNVERSIONED
        )
    )
    return dict(found.tuples().all())


def add_objects(
    session: Session,
    node: Node,
    requester: Requester,
    collection_id: str,
    envelope: Any,
    translate: Callable[..., str],
) -> dict[str, Any]:
    """§5.5 Add Objects: store what passes, report each object; exact duplicates succeed."""
    spec = _writable(session, node, requester, collection_id)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects", []), list):
        raise InvalidInput(
            [Problem(N_("The body must be a TAXII envelope with a list of objects."), "/objects")]
        )
    objects: list[Any] = envelope.get("objects") or []
    if isinstance(requester, PartnerPrincipal):
        failures = _accept_receipts(session, node, requester, objects, translate)
    else:
        require(requester, "records.import")
        failures = _import(session, node, requester, objects, translate)
    added = _unversioned_added(session, [o for i, o in enumerate(objects) if i not in failures])
    successes = [_detail(objects[i], "", added) for i in range(len(objects)) if i not in failures]
    failed = [_detail(objects[i], failures[i]) for i in sorted(failures)]
    status = TaxiiStatus(
        id=str(uuid.uuid4()),
        requester=requester_name(requester),
        collection_id=spec.id,
        request_timestamp=audit.now_iso(),
        total_count=len(objects),
        details=orjson.dumps({"successes": successes, "failures": failed}).decode(),
    )
    session.add(status)
    session.flush()
    return status_resource(status)


def _accept_receipts(
    session: Session,
    node: Node,
    partner: PartnerPrincipal,
    objects: list[Any],
    translate: Callable[..., str],
) -> dict[int, str]:
    """A partner's inbox: receipts, recall acknowledgements, audit checkpoints and what the
    domains above take there (:mod:`puente.sharing.registry`), each checked on its own."""
    failures: dict[int, str] = {}
    for index, obj in enumerate(objects):
        kind = obj.get("type") if isinstance(obj, dict) else None
        accept = registry.inbox_handler(kind) if isinstance(kind, str) else None
        if accept is not None:  # e.g. a message about a request for information
            with session.begin_nested() as savepoint:
                problem = accept(session, node, partner, obj)
                if problem is not None:
                    savepoint.rollback()
            if problem is not None:
                failures[index] = translate(problem.message, **problem.params)
                audit.append(session, partner.name, "rfi.message-refused", str(obj.get("id", "")),
                             details={"rfi": str(obj.get("rfi_id", "")),
                                      "reason": failures[index]})  # fmt: skip
            continue
        with session.begin_nested() as savepoint:
            if kind == recalls.ACK_TYPE:
                refused = recalls.accept_ack(session, partner, obj)
            elif kind == checkpoints.CHECKPOINT_TYPE:
                refused = checkpoints.accept(session, partner, obj)
            else:
                refused = receipts.accept(session, node, partner, obj)
            if refused:
                failures[index] = translate(refused)
                savepoint.rollback()
    return failures


def _import(
    session: Session,
    node: Node,
    requester: Principal,
    objects: list[Any],
    translate: Callable[..., str],
) -> dict[int, str]:
    """This node's records: what passes is imported as the user; each refusal reported."""
    refused = store_what_passes(
        session,
        objects,
        lambda passing: records.import_objects(session, node.settings, requester, passing),
    )
    return {i: translate(p.message, **p.params) for i, p in refused.items()}


def status_resource(status: TaxiiStatus) -> dict[str, Any]:
    """§4.3.1 status resource; every count present, empty lists left out (§2)."""
    details = orjson.loads(status.details)
    body: dict[str, Any] = {
        "id": status.id,
        "status": "complete",
        "request_timestamp": status.request_timestamp,
        "total_count": status.total_count,
        "success_count": len(details["successes"]),
        "failure_count": len(details["failures"]),
        "pending_count": 0,
    }
    for name in ("successes", "failures"):
        if details[name]:
            body[name] = details[name]
    return body


def get_status(session: Session, requester: Requester, status_id: str) -> dict[str, Any]:
    """§4.3 Get Status: only the requester's own requests."""
    status = session.get(TaxiiStatus, status_id)
    if status is None or status.requester != requester_name(requester):
        raise NotFound(N_("No status {id}."), id=status_id)
    return status_resource(status)


# -- §5.7 Delete an Object ---------------------------------------------------------------------


def delete_object(
    session: Session,
    node: Node,
    requester: Requester,
    collection_id: str,
    object_id: str,
    filters: Filters,
) -> None:
    """§5.7: deleting from this node's records revokes the object (STIX 2.1 §3.6).

    Records are never erased (the audit trail must hold); a revoked object leaves the
    collection, so later reads answer 404 as the section requires. match[version] may name
    every version the collection holds (all, or each of them): that deletes the object. A
    record keeps every version it had, and its current one governs the others (DESIGN.md,
    "Records and markings"), so some versions alone cannot leave: that is refused, and nothing
    is deleted.
    """
    spec = find_collection(session, node.settings, requester, collection_id)
    if not (spec.can_read and spec.can_write):
        if not spec.can_read and not spec.can_write:
            raise NotFound(N_("No collection {id} that you may use."), id=collection_id)
        raise Forbidden(N_("You may not delete from collection {id}."), id=collection_id)
    if not isinstance(requester, Principal) or not is_identifier(object_id):
        raise NotFound(N_("No object {id} in this collection."), id=object_id)
    if any(d.stix_id == object_id for d in served_definitions(session)):
        raise Forbidden(N_("Object {id} is published by every Puente node; it cannot be "
                           "deleted."), id=object_id)  # fmt: skip
    held = _versions_held(session, spec, object_id)
    chosen = _matching(held, filters)
    if not chosen:
        if held:  # its versions are there, not the ones asked for
            raise NotFound(N_("No such version of object {id} in this collection."), id=object_id)
        raise NotFound(N_("No object {id} in this collection."), id=object_id)
    if len(chosen) < len(held):
        raise Conflict(
            N_("Object {id} keeps every version it had: delete all of its versions (leave out "
               "match[version], or send match[version]=all) to revoke it."),
            pointer="match[version]", id=object_id,
        )  # fmt: skip
    records.revoke(session, node.settings, requester, object_id)


def _versions_held(session: Session, spec: CollectionSpec, object_id: str) -> list[Record]:
    """Every version of the object in the collection that the gate lets out, oldest first."""
    rows = list(
        session.execute(
            select(Record)
            .where(Record.stix_id == object_id, spec.membership(Record))
            .order_by(Record.modified_key)
        ).scalars()
    )
    facts = governed_facts(session, rows)
    return [r for r in rows if gate.decide(facts[r.pk], spec.audience)]


def _matching(held: list[Record], filters: Filters) -> list[Record]:
    """The versions match[version] and match[spec_version] pick among ``held`` (§3.4.1)."""
    if not held or (filters.spec_versions and "2.1" not in filters.spec_versions):
        return []
    if "all" in filters.versions:
        return held
    wanted = set(filters.versions)
    return [
        row
        for index, row in enumerate(held)
        if ("first" in wanted and index == 0)
        or ("last" in wanted and row.is_current)
        or version_key(row) in wanted
    ]
