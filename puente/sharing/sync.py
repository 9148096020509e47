"""Pulling from a partner: incremental, resumable, idempotent, with receipts.

One sync asks the partner's collection for what it added after the cursor (TAXII 2.1 §3.4,
``added_after`` is exclusive), a page at a time. Each page is stored in one transaction
together with the new cursor (the partner's X-TAXII-Date-Added-Last, never this node's
clock), its provenance, the objects quarantined from it and the receipt signed for it. A sync
killed at any point resumes from the last committed page: no gap, no duplicate, and a page
delivered twice changes nothing. Receipts are posted after the commit; those not yet posted
go out at the start of the next sync.

Only one worker pulls a partner at a time: it holds a lease on the partner's row.
"""

from __future__ import annotations

import json
import logging
import os
import reprlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from queue import Empty, Full, Queue
from typing import Any, cast
from urllib.parse import urljoin

import httpx
import orjson
from sqlalchemy import CursorResult, Table, select, update
from sqlalchemy.orm import Session

from puente.accounts.service import system_principal
from puente.activity import give_way
from puente.audit import scheduled
from puente.audit import service as audit
from puente.clock import now
from puente.db import batches, one_of
from puente.errors import N_, Conflict, Forbidden, Problem, PuenteError, Unavailable, counted
from puente.i18n import DEFAULT_LOCALE, translate
from puente.node import Node
from puente.policy.markings import markings_from_object
from puente.policy.roles import Principal, require
from puente.records.definitions import is_published
from puente.records.ingest import TWICE, ReceivedFrom, ingest, written
from puente.records.partial import store_what_passes
from puente.records.validation import (
    MAX_DEPTH,
    NOT_JSON,
    shape_problem,
    shown_text,
    timestamp_key,
    well_formed,
)
from puente.records.writers import bulk_insert
from puente.sharing import checkpoints, recalls, receipts, registry
from puente.sharing.client import partner_client
from puente.sharing.models import Partner, Quarantined, RecallNotice, Receipt, ReceivedVersion
from puente.sharing.partners import get_partner
from puente.sharing.status import PartnerStatus, partner_status
from puente.statistics import RUN_BASE, refresh_statistics

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/taxii+json;version=2.1"
PAGE_SIZE = 1000
LEASE = timedelta(minutes=5)
ATTEMPTS = 3  # per request, within one sync, before the sync gives up
# A page is stored a quarter at a time: PostgreSQL stores one quarter while the next is
# checked (puente.records.ingest), where a whole page would keep each side waiting for the other.
STORE_CHUNK = PAGE_SIZE // 4
RECEIPTS_EVERY = 10  # pages between two posts of receipts
QUARANTINE_KEEP = 65536  # characters of a quarantined object kept for the record


@dataclass
class SyncReport:
    partner: str
    pages: int = 0
    stored: int = 0
    unchanged: int = 0
    quarantined: int = 0
    receipts_posted: int = 0
    quarantine_reason: str = ""  # the first quarantined object's, as the quarantine keeps it


def summary(report: SyncReport) -> Problem:
    """What a pull did, to show its user (each count in the reader's language and number)."""
    return Problem(N_("Synced with {node}: {stored}, {unchanged}, {quarantined}, {pages}, "
                      "{receipts}."), "", {
        "node": report.partner,
        "stored": counted("{count} stored", "{count} stored", report.stored),
        "unchanged": counted("{count} already held", "{count} already held", report.unchanged),
        "quarantined": counted("{count} quarantined", "{count} quarantined", report.quarantined),
        "pages": counted("{count} page", "{count} pages", report.pages),
        "receipts": counted("{count} receipt delivered", "{count} receipts delivered",
                            report.receipts_posted),
    })  # fmt: skip


def sync(
    node: Node,
    partner_node_id: str,
    *,
    progress: Callable[[int], None] | None = None,
    worker: str = "cli",
    page_size: int = PAGE_SIZE,
) -> SyncReport:
    """Pull everything new from the partner; raises :class:`Unavailable` if it cannot."""
    owner = f"{worker}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    hooks = registry.installed()
    with node.db.session() as session:
        partner = get_partner(session, partner_node_id)
        if not partner.enabled:
            raise Forbidden(N_("Partner {node} is disabled."), node=partner_node_id)
        partner_id = partner.id
    report = SyncReport(partner_node_id)
    with _lease(node, partner_id, owner):
        try:
            with partner_client(node, partner_id) as http:
                scheduled.checkpoint(node)  # if one is due, the partner gets it now
                report.receipts_posted += post_pending_receipts(node, partner_id, http)
                pull_url = discover(node, partner_id, http)
                with node.db.session() as session:
                    cursor = get_partner(session, partner_node_id).cursor
                # The next page downloads (and the partner serves it) while this one is
                # stored: the two nodes work at the same time.
                pages = _prefetched(_fetch_pages(http, pull_url, cursor, page_size))
                # Receipts go back in batches (they are stored already) on a thread of their
                # own, every RECEIPTS_EVERY pages, and the rest when the pull ends.
                poster = _ReceiptPoster(node, partner_id, http)
                unanalyzed: dict[str, int] = {}  # rows written since the last ANALYZE
                try:
                    for fetched in pages:
                        _store_fetched(node, partner_id, pull_url, fetched, report, owner,
                                       unanalyzed)  # fmt: skip
                        give_way(node)  # people first (puente.activity): a pull is bulk
                        if report.pages % RECEIPTS_EVERY == 0:
                            poster.nudge()
                        if progress is not None:
                            progress(report.stored + report.unchanged + report.quarantined)
                finally:
                    report.receipts_posted += poster.finish()
                    _refresh_statistics(node, unanalyzed)
                report.receipts_posted += post_pending_receipts(node, partner_id, http)
                for name, job in hooks.after_pull:
                    _after_pull(name, job, node, partner_id, partner_node_id, http)
        except Exception as exc:  # every failure is the partner's record; none stops a worker
            kind, reason = _failure(exc)
            _failed(node, partner_id, kind, reason)
            if isinstance(exc, PuenteError):
                raise
            failed = Unavailable(N_("Could not sync with {node}: {reason}"),
                                 node=partner_node_id, reason=reason)  # fmt: skip
            # The cause is kept for an error of this node's own (its traceback is logged).
            raise failed from (exc if kind == INTERNAL else None)
    _succeeded(node, partner_id, report)
    return report


# What went wrong in a pull, as the partner row records it (Partner.last_error_kind; the
# partners pages and `puente partner` read them through status.FAILURE_LABELS).
UNREACHABLE, HTTP, PAGE, QUARANTINE, INTERNAL = (
    "unreachable", "http", "page", "quarantine", "internal")  # fmt: skip


def _failure(exc: BaseException) -> tuple[str, str]:
    """The kind of a failed pull, and its detail as the partner row keeps it."""
    reason = shown_text(str(exc) or type(exc).__name__, 2000)
    if isinstance(exc, httpx.HTTPStatusError):
        return HTTP, reason
    if isinstance(exc, httpx.HTTPError):
        return UNREACHABLE, reason
    if isinstance(exc, ValueError):  # orjson's JSONDecodeError too
        return PAGE, reason
    if isinstance(exc, PuenteError):
        return INTERNAL, shown_text(translate(DEFAULT_LOCALE, exc.message, **exc.params), 2000)
    return INTERNAL, shown_text(f"{type(exc).__name__}: {exc}", 2000)


def _after_pull(name: str, job: registry.AfterPull, node: Node, partner_id: int,
                partner_node_id: str, http: httpx.Client) -> None:  # fmt: skip
    """What a domain runs after each pull (requests' messages, the hit/no-hit index copy). A
    partner that cannot do it does not fail the pull; the next one tries again."""
    try:
        job(node, partner_id, partner_node_id, http)
    except (PuenteError, httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("%s with %s not done: %s", name, partner_node_id, exc)


# -- lease, client, discovery ------------------------------------------------------------------


@contextmanager
def _lease(node: Node, partner_id: int, owner: str) -> Iterator[None]:
    with node.db.session() as session:
        moment = now()
        result = session.execute(
            update(Partner)
            .where(
                Partner.id == partner_id,
                (Partner.lease_until.is_(None))
                | (Partner.lease_until < moment)
                | (Partner.lease_owner == owner),
            )
            .values(lease_owner=owner, lease_until=moment + LEASE, last_attempt_at=moment)
        )
        taken = cast(CursorResult[Any], result).rowcount
    if not taken:
        raise Conflict(N_("Another worker is syncing with this partner now; try again later."))
    try:
        yield
    finally:
        with node.db.session() as session:
            session.execute(
                update(Partner)
                .where(Partner.id == partner_id, Partner.lease_owner == owner)
                .values(lease_owner="", lease_until=None)
            )


def _request(http: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request, retried with backoff when the partner is down or failing (5xx)."""
    for attempt in range(ATTEMPTS):
        try:
            response = http.request(method, url, **kwargs)
            if response.status_code < 500:
                response.raise_for_status()
                return response
        except httpx.TransportError:
            if attempt == ATTEMPTS - 1:
                raise
        time.sleep(0.5 * 2**attempt)
    response.raise_for_status()
    return response


def discover(node: Node, partner_id: int, http: httpx.Client) -> str:
    """The partner's collection for this node (§4.1, §5.1), found once and remembered."""
    with node.db.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        if partner.pull_url:
            return partner.pull_url
    discovery = _request(http, "GET", "/taxii2/").json()
    root_url = urljoin(
        str(http.base_url) + "/", discovery.get("default") or discovery["api_roots"][0]
    )
    found = _request(http, "GET", urljoin(root_url, "collections/")).json()
    pull = push = ""
    for collection in found.get("collections", []):
        url = urljoin(root_url, f"collections/{collection['id']}/objects/")
        if collection.get("can_read") and not pull:
            pull = url
        elif collection.get("can_write") and not push:
            push = url
    if not pull:
        raise ValueError("the partner offers this node no collection to read")
    with node.db.session() as session:
        session.execute(
            update(Partner).where(Partner.id == partner_id).values(pull_url=pull, push_url=push)
        )
    return pull


# -- one page ----------------------------------------------------------------------------------


class _ReceiptPoster:
    """Posts pending receipts when nudged, beside the pull; a failure waits for the next try."""

    def __init__(self, node: Node, partner_id: int, http: httpx.Client) -> None:
        self.node, self.partner_id, self.http = node, partner_id, http
        self.posted = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sync-receipts", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                self.posted += post_pending_receipts(self.node, self.partner_id, self.http)
            except (httpx.HTTPError, ValueError) as exc:  # posted again at the end, or next sync
                log.warning("posting receipts: %s", exc)

    def finish(self) -> int:
        """Stop after any post under way; how many receipts went."""
        self._stopping = True
        self._wake.set()
        self._thread.join()
        return self.posted


@dataclass
class _Fetched:
    objects: list[Any]
    first: str  # X-TAXII-Date-Added-First
    last: str  # X-TAXII-Date-Added-Last: the cursor once this page is stored
    more: bool


def _fetch_pages(
    http: httpx.Client, pull_url: str, cursor: str, page_size: int
) -> Iterator[_Fetched]:
    """The partner's pages after ``cursor``, in order, each asked for after the one before."""
    while True:
        params = {"limit": str(page_size), "match[version]": "all"}
        if cursor:
            params["added_after"] = cursor
        response = _request(http, "GET", pull_url, params=params)
        body = _envelope(response.content)
        objects = body.get("objects") or []
        if not isinstance(objects, list):
            raise ValueError("the partner's page has no list of objects (TAXII 2.1 §3.7)")
        if not objects:
            return
        first = response.headers.get("X-TAXII-Date-Added-First", "")
        last = response.headers.get("X-TAXII-Date-Added-Last", "")
        if not last or (cursor and last <= cursor):
            raise ValueError("the partner's page has no X-TAXII-Date-Added-Last past the cursor")
        more = bool(body.get("more"))
        yield _Fetched(objects, first, last, more)
        if not more:
            return
        cursor = last


def _envelope(raw: bytes) -> dict[str, Any]:
    """A page as served: a TAXII envelope (§3.7). JSON that RFC 8259 allows but orjson refuses
    (a lone surrogate escaped in a string) is read by Python's parser instead, so only the
    objects holding it are quarantined (records.validation), not the page and all after it."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            body = json.loads(raw)
        except (RecursionError, UnicodeDecodeError) as exc:
            raise ValueError(f"the partner's page cannot be read: {type(exc).__name__}") from None
    if not isinstance(body, dict):
        raise ValueError("the partner's page is not a TAXII envelope (TAXII 2.1 §3.7)")
    return body


_DONE = object()


def _prefetched(pages: Iterator[_Fetched], depth: int = 4) -> Iterator[_Fetched]:
    """``pages``, fetched on a thread of their own up to ``depth`` pages ahead."""
    queue: Queue[object] = Queue(maxsize=depth)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        queue.put(page, timeout=0.2)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put(exc)

    worker = threading.Thread(target=fetch, name="sync-fetch", daemon=True)
    worker.start()
    try:
        while True:
            item = queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, _Fetched)
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # let a blocked put finish, then the thread ends
            try:
                queue.get(timeout=0.2)
            except Empty:
                continue
        worker.join()


def _refresh_statistics(node: Node, unanalyzed: dict[str, int]) -> None:
    """As a run ends (or fails), the statistics of what it wrote (puente.statistics)."""
    if not any(unanalyzed.values()):
        return
    try:
        with node.db.session() as session:
            refresh_statistics(session, unanalyzed)
    except Exception:  # statistics are an optimization: never the run's failure
        log.warning("could not refresh the planner's statistics after a sync", exc_info=True)


def _store_fetched(
    node: Node,
    partner_id: int,
    pull_url: str,
    fetched: _Fetched,
    report: SyncReport,
    owner: str,
    unanalyzed: dict[str, int] | None = None,
) -> None:
    """Store one fetched page, with the cursor it moves to, in one transaction."""
    with node.db.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        if partner.lease_owner != owner:
            raise ValueError("the lease on this partner was lost")
        stored = store_page(session, node, partner, pull_url, fetched.objects, fetched.first,
                            fetched.last, unanalyzed)  # fmt: skip
        partner.lease_until = now() + LEASE
    report.pages += 1
    report.stored += stored.stored
    report.unchanged += stored.unchanged
    report.quarantined += stored.quarantined
    report.quarantine_reason = report.quarantine_reason or stored.reason


@dataclass
class StoredPage:
    stored: int
    unchanged: int
    quarantined: int
    receipt_id: str
    reason: str = ""  # the first quarantined object's


def store_page(
    session: Session,
    node: Node,
    partner: Partner,
    pull_url: str,
    objects: list[Any],
    first: str,
    last: str,
    unanalyzed: dict[str, int] | None = None,
) -> StoredPage:
    """Store one page from ``partner``: verbatim, with provenance, a receipt and the cursor.

    ``unanalyzed`` (a sync run's) counts the rows written since each table's statistics were
    refreshed; the run analyzes a table as it doubles, and as the run ends (puente.statistics).
    Without it the page is a write of its own, refreshed as one."""
    rows: dict[str, int] = {} if unanalyzed is None else unanalyzed
    origin = ReceivedFrom(partner.node_id, partner.country)
    collection = pull_url.rstrip("/").split("/")[-2]
    seen: dict[tuple[str, str], int] = {}  # (id, version) -> where on the page it came first
    candidates: list[int] = []
    refused: dict[int, Problem] = {}
    for index, obj in enumerate(objects):
        if is_published(obj):
            continue  # a definition every node publishes (this one has its own): no record
        key = _duplicate_key(obj)
        if key is not None:
            if key in seen:
                if obj == objects[seen[key]]:
                    continue  # the same version twice in a page: once is enough
                # The same version with other content (other markings, say): the first is
                # stored, and this one is quarantined, not dropped without a word.
                candidates.append(index)
                refused[index] = Problem(TWICE, f"/objects/{index}/id", {"id": key[0]})
                continue
            seen[key] = index
        candidates.append(index)
        # First its shape (JSON values, valid text, not too deep): what follows reads it.
        if isinstance(obj, dict) and not well_formed(obj):
            refused[index] = shape_problem(obj, f"/objects/{index}") or Problem(NOT_JSON, "")
            continue
        refusal = _refusal(obj)
        if not refusal and isinstance(obj, dict) and obj.get("type") == recalls.RECALL_TYPE:
            refusal = recalls.refusal(partner, obj)
        if refusal:
            refused[index] = Problem(refusal, f"/objects/{index}")
        elif (unfit := registry.refusal(obj)) is not None:
            refused[index] = Problem(unfit.message, f"/objects/{index}{unfit.pointer}",
                                     unfit.params)  # fmt: skip
    keep = [i for i in candidates if i not in refused]
    counts = {"stored": 0, "unchanged": 0}
    now_held: list[tuple[str, str, str, int]] = []  # (id, version key, sha256, pk): receipt

    def store(passing: list[Any]) -> None:
        result = ingest(session, node.settings, system_principal(node.settings), passing,
                        action="sync.receive", received=origin, statistics=False,
                        chunk=STORE_CHUNK)  # fmt: skip
        for table, count in written(result).items():
            rows[table] = rows.get(table, 0) + count
        counts["stored"] += result.stored
        counts["unchanged"] += result.unchanged
        now_held.extend(result.held)

    later = store_what_passes(session, [objects[i] for i in keep], store, precheck=False)
    refused.update({keep[i]: problem for i, problem in later.items()})
    kept = [objects[i] for i in keep if i not in refused]
    for obj in kept:
        if obj.get("type") == recalls.RECALL_TYPE:
            recalls.apply_received(session, node, partner, obj)
    registry.project(session, kept, partner.node_id)  # e.g. the partner's plan elements
    versions = _as_served(now_held, kept)
    moment = now()
    quarantined = [_quarantined(partner, objects[i], problem, last, moment)
                   for i, problem in sorted(refused.items())]  # fmt: skip
    session.add_all(_not_yet_quarantined(session, partner, quarantined))
    receipt = receipts.issue(
        session, node, partner, collection, [(i, v, h) for i, v, h, _ in versions], first, last,
        [{"id": q.object_id, "version": q.version, "reason": q.reason} for q in quarantined],
    )  # fmt: skip
    connection = session.connection()  # Core, not ORM objects: a page holds thousands
    held: set[int] = set()
    if counts["unchanged"]:  # a version stored just now has a new pk: no provenance yet
        for batch in batches(session, [pk for *_, pk in versions]):
            held.update(
                connection.execute(
                    select(ReceivedVersion.record_pk).where(
                        one_of(session, ReceivedVersion.record_pk, batch)
                    )
                ).scalars()
            )
    provenance = [
        {"record_pk": pk, "partner_id": partner.id, "collection_id": collection,
         "date_added": last, "received_at": moment, "receipt_id": receipt.id}
        for *_, pk in versions if pk not in held
    ]  # fmt: skip
    if provenance:
        bulk_insert(session, cast(Table, ReceivedVersion.__table__), provenance)
        rows["received_versions"] = rows.get("received_versions", 0) + len(provenance)
    if unanalyzed is None:
        refresh_statistics(session, rows)
    else:
        for table in refresh_statistics(session, rows, scale=1.0, base=RUN_BASE, quick=True):
            rows[table] = 0
    if quarantined:
        audit.append(session, f"partner:{partner.node_id}", "sync.quarantine", partner.node_id,
                     details={"count": len(quarantined),
                              "ids": [q.object_id for q in quarantined][:50]})  # fmt: skip
    partner.cursor = last
    partner.received_count += counts["stored"]
    first = quarantined[0].reason if quarantined else ""
    return StoredPage(counts["stored"], counts["unchanged"], len(quarantined), receipt.id, first)


def _not_yet_quarantined(
    session: Session, partner: Partner, entries: list[Quarantined]
) -> list[Quarantined]:
    """Leave out what is already in quarantine: a page delivered twice changes nothing."""
    if not entries:
        return []
    held = set(
        session.execute(
            select(Quarantined.object_id, Quarantined.version, Quarantined.reason,
                   Quarantined.content).where(
                Quarantined.partner_id == partner.id,
                Quarantined.date_added == entries[0].date_added,  # the page's: one for all
                Quarantined.object_id.in_({q.object_id for q in entries}),
            )
        ).all()
    )  # fmt: skip
    # The same page again, that is. The content too: objects without an id (or that are no
    # object at all) are told apart by it.
    return [q for q in entries if (q.object_id, q.version, q.reason, q.content) not in held]


def _version_key(obj: Any) -> tuple[str, str]:
    if not isinstance(obj, dict):
        return ("", "")
    version = obj.get("modified") or obj.get("created") or ""
    return (str(obj.get("id", "")), str(version))


def _duplicate_key(obj: Any) -> tuple[str, str] | None:
    """(id, version) of an object that names both as text; None for one that does not (it is
    no duplicate of anything, however like another it looks: each is quarantined)."""
    if not isinstance(obj, dict):
        return None
    stix_id, version = obj.get("id"), obj.get("modified") or obj.get("created")
    if type(stix_id) is not str or type(version) is not str:
        return None
    return (stix_id, version)


def _quarantined(
    partner: Partner, obj: Any, problem: Problem, date_added: str, moment: datetime
) -> Quarantined:
    """The quarantine row for a refused object: whatever it holds, every text in the row can
    be stored, signed and shown (no lone surrogate, cut to its column)."""
    stix_id, version = (obj.get("id"), obj.get("modified") or obj.get("created")) if isinstance(
        obj, dict) else (None, None)  # fmt: skip
    content, size = _kept(obj)
    params = {k: shown_text(v, 200) if isinstance(v, str) else v for k, v in problem.params.items()}
    return Quarantined(
        partner_id=partner.id,
        object_id=shown_text(stix_id, 300) if isinstance(stix_id, str) else "",
        version=shown_text(version, 40) if isinstance(version, str) else "",
        reason=shown_text(translate(DEFAULT_LOCALE, problem.message, **params), 2000),
        content=content,
        size=size,
        date_added=date_added,
        received_at=moment,
    )


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = MAX_DEPTH, 1000, 200


def _kept(obj: Any) -> tuple[str, int]:
    """What the quarantine keeps of an object (its start, QUARANTINE_KEEP characters), and the
    size it was served at; an object JSON cannot write again (nested too deep, broken text) is
    kept as Python's encoder writes it, escaped, or failing that, its start as text."""
    try:
        text = orjson.dumps(obj).decode()
    except TypeError:
        try:
            text = json.dumps(obj, ensure_ascii=True)
        except (RecursionError, ValueError, TypeError):
            text = shown_text(_SHORT.repr(obj), QUARANTINE_KEEP)
    return text[:QUARANTINE_KEEP], len(text.encode())


def _refusal(obj: Any) -> str:
    """Why a served object may not be stored, before the usual checks; "" if none."""
    # Size is checked by the store itself (records.ingest), which serializes the object anyway.
    if isinstance(obj, dict):
        tlp, body = markings_from_object(obj)
        if tlp is None or body is None:
            return N_("The object carries no Puente markings (a TLP and the markings extension).")
    return ""


def _as_served(
    held: list[tuple[str, str, str, int]], kept: list[Any]
) -> list[tuple[str, str, str, int]]:
    """(id, version, content sha256, pk) of each kept object this node now holds as the
    partner's, its version written as the partner served it (the receipt names it so)."""
    served = {(str(o["id"]), timestamp_key(_version_key(o)[1])): _version_key(o)[1] for o in kept}
    return [(stix_id, served[(stix_id, key)], digest, pk) for stix_id, key, digest, pk in held]


# -- receipts out ------------------------------------------------------------------------------


def post_pending_receipts(node: Node, partner_id: int, http: httpx.Client) -> int:
    """Post every receipt and recall acknowledgement not yet delivered, and this node's audit
    checkpoints the partner does not hold yet; how many receipts and acknowledgements went."""
    with node.db.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        push_url = partner.push_url
        pending_receipts = session.execute(
            select(Receipt.id, Receipt.body)
            .where(
                Receipt.partner_id == partner_id,
                Receipt.direction == receipts.ISSUED,
                Receipt.posted_at.is_(None),
            )
            .order_by(Receipt.created_at)
            .limit(100)
        ).all()
        pending_acks = session.execute(
            select(RecallNotice.id, RecallNotice.ack_body).where(
                RecallNotice.partner_id == partner_id,
                RecallNotice.direction == recalls.RECEIVED,
                RecallNotice.ack_posted_at.is_(None),
            )
        ).all()
        pending_checkpoints = checkpoints.pending(session, partner)
    if not push_url or not (pending_receipts or pending_acks or pending_checkpoints):
        return 0
    bodies = [body for _, body in pending_receipts] + [body for _, body in pending_acks]
    bodies += [body for _, body in pending_checkpoints]
    envelope = b'{"objects":[' + b",".join(body.encode() for body in bodies) + b"]}"
    response = _request(http, "POST", push_url, content=envelope,
                        headers={"Content-Type": MEDIA_TYPE})  # fmt: skip
    status = response.json()
    accepted = {s["id"] for s in status.get("successes", [])}
    acks = {orjson.loads(body)["id"]: recall_id for recall_id, body in pending_acks}
    moment = now()
    with node.db.session() as session:
        session.execute(
            update(Receipt)
            .where(Receipt.id.in_([i for i, _ in pending_receipts if i in accepted]))
            .values(posted_at=moment)
        )
        session.execute(
            update(RecallNotice)
            .where(
                RecallNotice.partner_id == partner_id,
                RecallNotice.id.in_([acks[i] for i in accepted if i in acks]),
            )
            .values(ack_posted_at=moment)
        )
        if pending_checkpoints:  # a refused one is not posted again: its refusal is audited
            session.execute(
                update(Partner)
                .where(Partner.id == partner_id)
                .values(checkpoint_posted=pending_checkpoints[-1][0])
            )
        for failure in status.get("failures", []):
            audit.append(session, "system", "sync.post-refused", failure.get("id", ""),
                         details={"message": failure.get("message", "")})  # fmt: skip
    posted = {orjson.loads(body)["id"] for _, body in pending_checkpoints}
    return len(accepted - posted)


# -- the partner's sync state --------------------------------------------------------------------


def _succeeded(node: Node, partner_id: int, report: SyncReport) -> None:
    """The pull went through: no backoff. Objects it quarantined are recorded as a failure,
    but the last error of an earlier pull is kept, with its time, until a new one replaces it."""
    moment = now()
    values: dict[str, Any] = {"last_success_at": moment, "failures": 0, "next_attempt_at": None}
    if report.quarantined:
        values.update(failure_count=Partner.failure_count + 1, last_error_kind=QUARANTINE,
                      last_error=report.quarantine_reason, last_error_at=moment)  # fmt: skip
    with node.db.session() as session:
        session.execute(update(Partner).where(Partner.id == partner_id).values(**values))


def _failed(node: Node, partner_id: int, kind: str, reason: str) -> None:
    with node.db.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        partner.failures += 1
        partner.failure_count += 1
        partner.last_error = reason[:2000]
        partner.last_error_kind = kind
        partner.last_error_at = now()
        # 30 s, 1 min, 2 min ... at most 30 min between tries while the partner is down.
        partner.next_attempt_at = now() + timedelta(
            seconds=min(1800, 30 * 2 ** (partner.failures - 1))
        )
        audit.append(session, "system", "sync.failed", partner.node_id,
                     details={"reason": partner.last_error})  # fmt: skip


# -- pulling now, from the partners page -------------------------------------------------------


@dataclass(frozen=True)
class SyncOutcome:
    report: SyncReport | None
    error: PuenteError | None
    status: PartnerStatus  # after the attempt


def sync_now(node: Node, who: Principal, node_id: str) -> SyncOutcome:
    """Pull from a partner now, as `puente sync` does; a refusal or failure is returned.

    It opens its own units of work, as the sync does: the caller must hold no transaction
    (on SQLite that would hold the only write lock the sync needs).
    """
    require(who, "records.write")
    with node.db.session() as session:
        get_partner(session, node_id)  # unknown: NotFound, raised
    report: SyncReport | None = None
    error: PuenteError | None = None
    try:
        report = sync(node, node_id, worker="web", page_size=node.settings.sync.page_size)
    except (Unavailable, Conflict, Forbidden) as exc:
        error = exc
    details: dict[str, Any] = (
        {"stored": report.stored, "unchanged": report.unchanged,
         "quarantined": report.quarantined, "pages": report.pages}
        if report is not None
        else {"error": str(error)}
    )  # fmt: skip
    with node.db.session() as session:
        audit.append(session, who.username, "partner.sync-now", node_id, details=details)
        status = partner_status(session, who, node.settings, node_id)
    return SyncOutcome(report, error, status)
