"""What the federation pages show: partners and their sync state, the sharing ledger per
partner, receipts, quarantine, and where a received record came from.

Every function takes the reader and checks what they may do; anything that names a record
passes the egress gate for that reader, so a page shows only what the reader may see (and
counts the rest). Quarantined objects never passed validation: their content is shown only
when the object's own markings, read as the gate reads a received record's, let the reader
see it, and unmarked content only to administrators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, exists, func, select, tuple_
from sqlalchemy.orm import Session, aliased

from puente.accounts.service import Principal, as_utc, now, require
from puente.audit import service as audit
from puente.config import Settings
from puente.errors import Conflict, Forbidden, PuenteError, Unavailable
from puente.node import Node
from puente.policy import gate
from puente.policy.gate import RecordFacts
from puente.policy.markings import (
    CREDIBILITY,
    HANDLING_CODES,
    RELIABILITY,
    Markings,
    most_restrictive,
)
from puente.policy.prefilter import released_to_partner, visible_to_user
from puente.records.ingest import AGENCY_BY_IDENTITY, markings_from_object, originator_markings
from puente.records.models import Record
from puente.records.rows import RecordView, facts_of
from puente.sharing import receipts as receipts_module
from puente.sharing import sync as sync_module
from puente.sharing.models import Acknowledgement, Partner, Quarantined, Receipt, ReceivedVersion
from puente.sharing.partners import PartnerPrincipal, get_partner, list_partners

LEDGER_PAGE = 50
RECEIPTS_PAGE = 50
QUARANTINE_PAGE = 25
QUARANTINE_SHOWN = 4000  # characters of a quarantined object shown on the page
LATE_INTERVALS = 3  # a partner not synced for this many intervals is late


# -- partners and their sync state ------------------------------------------------------------


@dataclass(frozen=True)
class PartnerStatus:
    """A partner and how pulling from it goes, as of ``at``."""

    node_id: str
    display_name: str
    country: str
    base_url: str
    key_prefix: str
    enabled: bool
    state: str  # disabled, syncing, failing, never, late, ok
    lag: timedelta | None  # since the last successful sync; None: never synced
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str
    failures: int
    cursor: str
    received_count: int
    quarantined: int
    created_at: datetime
    disabled_at: datetime | None


def _aware(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def _status(partner: Partner, quarantined: int, settings: Settings, at: datetime) -> PartnerStatus:
    last_success = _aware(partner.last_success_at)
    lease_until = _aware(partner.lease_until)
    lag = max(at - last_success, timedelta(0)) if last_success is not None else None
    late_after = timedelta(seconds=settings.sync.interval_seconds * LATE_INTERVALS)
    if not partner.enabled:
        state = "disabled"
    elif partner.lease_owner and lease_until is not None and lease_until > at:
        state = "syncing"
    elif partner.failures:
        state = "failing"
    elif lag is None:
        state = "never"
    elif lag > late_after:
        state = "late"
    else:
        state = "ok"
    return PartnerStatus(
        node_id=partner.node_id,
        display_name=partner.display_name,
        country=partner.country,
        base_url=partner.base_url,
        key_prefix=partner.public_key[:16],
        enabled=partner.enabled,
        state=state,
        lag=lag,
        last_attempt_at=_aware(partner.last_attempt_at),
        last_success_at=last_success,
        next_attempt_at=_aware(partner.next_attempt_at),
        last_error=partner.last_error,
        failures=partner.failures,
        cursor=partner.cursor,
        received_count=partner.received_count,
        quarantined=quarantined,
        created_at=as_utc(partner.created_at),
        disabled_at=_aware(partner.disabled_at),
    )


def _quarantine_counts(session: Session, partner_ids: list[int]) -> dict[int, int]:
    if not partner_ids:
        return {}
    rows = session.execute(
        select(Quarantined.partner_id, func.count())
        .where(Quarantined.partner_id.in_(partner_ids))
        .group_by(Quarantined.partner_id)
    ).all()
    return {int(partner_id): int(count) for partner_id, count in rows}


def partner_statuses(
    session: Session, who: Principal, settings: Settings, at: datetime | None = None
) -> list[PartnerStatus]:
    """Every partner with its sync state and lag, by node id."""
    rows = list_partners(session, who)  # requires records.read
    counts = _quarantine_counts(session, [p.id for p in rows])
    moment = at or now()
    return [_status(p, counts.get(p.id, 0), settings, moment) for p in rows]


def partner_status(
    session: Session, who: Principal, settings: Settings, node_id: str, at: datetime | None = None
) -> PartnerStatus:
    require(who, "records.read")
    partner = get_partner(session, node_id)
    counts = _quarantine_counts(session, [partner.id])
    return _status(partner, counts.get(partner.id, 0), settings, at or now())


def _partner_audience(partner: Partner) -> gate.PartnerNode:
    return PartnerPrincipal(partner.id, partner.node_id, partner.country).audience


# -- the sharing ledger: what this node releases to a partner ---------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    view: RecordView
    banner: str
    receipt_id: str  # the partner's receipt that acknowledged this version; "" if none yet
    acknowledged_at: datetime | None

    @property
    def acknowledged(self) -> bool:
        return bool(self.receipt_id)


@dataclass(frozen=True)
class LedgerPage:
    entries: list[LedgerEntry]
    next_after: int | None  # keyset: the pk of the last row of this page
    released: int  # versions released to the partner's country, in all
    acknowledged: int  # of those, acknowledged by a receipt from the partner
    hidden: int  # of those, versions the reader may not see (counted, never shown)
    withheld: int = 0  # on this page, left out by the gate after the SQL prefilter

    @property
    def banner(self) -> Markings | None:
        return most_restrictive(e.view.markings for e in self.entries)


ACK_FILTERS = ("", "yes", "no")


def ledger(
    session: Session,
    who: Principal,
    node_id: str,
    *,
    after: int | None = None,
    acknowledged: str = "",
    limit: int = LEDGER_PAGE,
) -> LedgerPage:
    """The versions this node releases to ``node_id``, newest date_added first, as the reader
    may see them: a version shows only if the gate releases it and its record's current
    version (whose markings govern the whole record) to the reader.
    """
    require(who, "records.read")
    partner = get_partner(session, node_id)
    released = released_to_partner(_partner_audience(partner), Record)
    ack = aliased(Acknowledgement)
    was_acknowledged = exists(
        select(ack.record_pk).where(ack.partner_id == partner.id, ack.record_pk == Record.pk)
    )
    current = aliased(Record)
    current_visible = exists(
        select(current.pk).where(
            current.stix_id == Record.stix_id,
            current.is_current.is_(True),
            visible_to_user(who.audience, current),
        )
    )
    visible = and_(visible_to_user(who.audience, Record), current_visible)
    filters: list[ColumnElement[bool]] = []
    if acknowledged == "yes":
        filters.append(was_acknowledged)
    elif acknowledged == "no":
        filters.append(~was_acknowledged)

    def count(*conditions: ColumnElement[bool]) -> int:
        query: Select[Any] = select(func.count()).select_from(Record).where(released, *conditions)
        return int(session.execute(query).scalar_one())

    total = count()
    acknowledged_total = count(was_acknowledged)
    hidden = total - count(visible)

    query = (
        select(Record, Acknowledgement.receipt_id, Acknowledgement.acknowledged_at)
        .outerjoin(
            Acknowledgement,
            and_(Acknowledgement.partner_id == partner.id, Acknowledgement.record_pk == Record.pk),
        )
        .where(released, visible, *filters)
    )
    if after is not None:
        position = session.execute(select(Record.date_added).where(Record.pk == after)).scalar()
        if position is not None:
            query = query.where(tuple_(Record.date_added, Record.pk) < tuple_(position, after))
    size = max(1, min(limit, 200))
    rows = session.execute(
        query.order_by(Record.date_added.desc(), Record.pk.desc()).limit(size + 1)
    ).all()
    more = len(rows) > size
    rows = rows[:size]
    acks = {row.pk: (receipt_id, at) for row, receipt_id, at in rows}
    shown = _release_with_current(session, who, [row for row, _, _ in rows])
    views = [RecordView.of(row) for row in shown]
    entries = [
        LedgerEntry(
            view=view,
            banner=view.markings.banner(),
            receipt_id=acks[view.pk][0] or "",
            acknowledged_at=_aware(acks[view.pk][1]),
        )
        for view in views
    ]
    page = LedgerPage(
        entries=entries,
        next_after=rows[-1][0].pk if more and rows else None,
        released=total,
        acknowledged=acknowledged_total,
        hidden=hidden,
        withheld=len(rows) - len(shown),
    )
    worst = page.banner
    audit.append(
        session,
        who.username,
        "partner.ledger",
        partner.node_id,
        marking=worst.banner() if worst else "",
        details={"results": len(entries), "ids": [e.view.stix_id for e in entries]},
    )
    return page


def _release_with_current(session: Session, who: Principal, rows: list[Record]) -> list[Record]:
    """The rows the gate releases to ``who``, whose record's current version it releases too."""
    stale = sorted({r.stix_id for r in rows if not r.is_current})
    current_ok: set[str] = {r.stix_id for r in rows if r.is_current}
    if stale:
        currents = session.execute(
            select(Record).where(Record.stix_id.in_(stale), Record.is_current.is_(True))
        ).scalars()
        current_ok |= {r.stix_id for r in currents if gate.decide(facts_of(r), who.audience)}
    return gate.release([r for r in rows if r.stix_id in current_ok], facts_of, who.audience)


# -- receipts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptEntry:
    id: str
    direction: str  # "issued": signed here for what this node stored; "held": signed by them
    collection_id: str
    object_count: int
    first_date_added: str
    last_date_added: str
    created_at: datetime
    posted_at: datetime | None


@dataclass(frozen=True)
class ReceiptsPage:
    entries: list[ReceiptEntry]
    next_before: str | None  # keyset: the id of the last receipt of this page
    issued: int
    held: int


def receipts(
    session: Session,
    who: Principal,
    node_id: str,
    *,
    before: str = "",
    limit: int = RECEIPTS_PAGE,
) -> ReceiptsPage:
    """The receipts exchanged with a partner, newest first (counts and dates, no content)."""
    require(who, "records.read")
    partner = get_partner(session, node_id)
    counts = dict(
        session.execute(
            select(Receipt.direction, func.count())
            .where(Receipt.partner_id == partner.id)
            .group_by(Receipt.direction)
        ).all()
    )
    query = select(Receipt).where(Receipt.partner_id == partner.id)
    if before:
        position = session.execute(
            select(Receipt.created_at).where(Receipt.id == before, Receipt.partner_id == partner.id)
        ).scalar()
        if position is not None:
            query = query.where(tuple_(Receipt.created_at, Receipt.id) < tuple_(position, before))
    size = max(1, min(limit, 200))
    rows = list(
        session.execute(
            query.order_by(Receipt.created_at.desc(), Receipt.id.desc()).limit(size + 1)
        ).scalars()
    )
    more = len(rows) > size
    rows = rows[:size]
    return ReceiptsPage(
        entries=[
            ReceiptEntry(
                id=r.id,
                direction=r.direction,
                collection_id=r.collection_id,
                object_count=r.object_count,
                first_date_added=r.first_date_added,
                last_date_added=r.last_date_added,
                created_at=as_utc(r.created_at),
                posted_at=_aware(r.posted_at),
            )
            for r in rows
        ],
        next_before=rows[-1].id if more and rows else None,
        issued=int(counts.get(receipts_module.ISSUED, 0)),
        held=int(counts.get(receipts_module.HELD, 0)),
    )


# -- quarantine -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantineEntry:
    id: int
    object_id: str  # "" when it has none, or withheld (below)
    id_withheld: bool  # it names a record held here that the reader may not see
    version: str
    reason: str
    size: int
    date_added: str
    received_at: datetime
    content: str | None  # None: withheld from this reader
    cut: bool  # the content shown is the start of what was served
    markings: Markings | None  # the object's own markings, when it carries readable ones


@dataclass(frozen=True)
class QuarantinePage:
    entries: list[QuarantineEntry]
    next_before: int | None
    total: int

    @property
    def banner(self) -> Markings | None:
        return most_restrictive(
            e.markings for e in self.entries if e.content is not None and e.markings is not None
        )


def _readable(content: str) -> str:
    """The object indented when it is whole JSON; as kept otherwise (cut, or not JSON)."""
    try:
        return orjson.dumps(orjson.loads(content), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return content


def _well_formed(m: Markings) -> bool:
    """Markings the page can print and compare (a refused object's may be anything)."""
    sets = (m.rel_to, m.agencies, m.searchable_by, m.recipients)
    return (
        m.handling in HANDLING_CODES
        and isinstance(m.handling_text, str)
        and all(isinstance(v, str) for values in sets for v in values)
        and (m.reliability is None or m.reliability in RELIABILITY)
        and (m.credibility is None or m.credibility in CREDIBILITY)
    )


def _object_facts(partner: Partner, entry: Quarantined) -> RecordFacts | None:
    """The gate's facts for a quarantined object from its own markings, if it has them."""
    try:
        obj = orjson.loads(entry.content)
    except orjson.JSONDecodeError:  # cut at QUARANTINE_KEEP, or not JSON at all
        return None
    if not isinstance(obj, dict):
        return None
    tlp, body = markings_from_object(obj)
    if tlp is None or body is None:
        return None
    try:
        markings = originator_markings(tlp, body)
    except (TypeError, ValueError, AttributeError):
        return None
    if not _well_formed(markings):
        return None
    agency = AGENCY_BY_IDENTITY.get(str(obj.get("created_by_ref", "")), "")
    facts = RecordFacts(
        stix_id=entry.object_id,
        owner_country=partner.country,
        owned_here=False,
        originating_agency=agency,
        markings=markings,
        created_by=f"partner:{partner.node_id}",
    )
    return facts


def quarantine(
    session: Session,
    who: Principal,
    node_id: str,
    *,
    before: int | None = None,
    limit: int = QUARANTINE_PAGE,
) -> QuarantinePage:
    """What a partner served that failed validation, newest first.

    The content shows when the object's own markings let the reader see it (as the gate
    would for a received record), or, for an object with no readable markings, to an
    administrator; an id that names a record held here which the reader may not see is
    withheld with the content.
    """
    require(who, "records.read")
    partner = get_partner(session, node_id)
    total = int(
        session.execute(
            select(func.count())
            .select_from(Quarantined)
            .where(Quarantined.partner_id == partner.id)
        ).scalar_one()
    )
    query = select(Quarantined).where(Quarantined.partner_id == partner.id)
    if before is not None:
        query = query.where(Quarantined.id < before)
    size = max(1, min(limit, 200))
    rows = list(session.execute(query.order_by(Quarantined.id.desc()).limit(size + 1)).scalars())
    more = len(rows) > size
    rows = rows[:size]

    # A partner may serve an object under the id of a record held here (refused as
    # "belongs to another node"): the id is shown only to those who may see that record.
    named = sorted({r.object_id for r in rows if r.object_id})
    held_rows = (
        list(
            session.execute(
                select(Record).where(Record.stix_id.in_(named), Record.is_current.is_(True))
            ).scalars()
        )
        if named
        else []
    )
    seen = {r.stix_id for r in gate.release(held_rows, facts_of, who.audience)}
    masked = {r.stix_id for r in held_rows} - seen

    entries: list[QuarantineEntry] = []
    for row in rows:
        facts = _object_facts(partner, row)
        hidden_id = row.object_id in masked
        if hidden_id:
            content_visible = False
        elif facts is not None:
            content_visible = bool(gate.release([facts], lambda f: f, who.audience))
        else:
            content_visible = who.can("accounts.admin")
        text = _readable(row.content) if content_visible else ""
        entries.append(
            QuarantineEntry(
                id=row.id,
                object_id="" if hidden_id else row.object_id,
                id_withheld=hidden_id,
                version=row.version,
                reason=row.reason,
                size=row.size,
                date_added=row.date_added,
                received_at=as_utc(row.received_at),
                content=text[:QUARANTINE_SHOWN] if content_visible else None,
                # Less than was served: kept only in part (QUARANTINE_KEEP), or shown so.
                cut=len(text) > QUARANTINE_SHOWN or len(row.content.encode()) < row.size,
                markings=facts.markings if facts is not None else None,
            )
        )
    page = QuarantinePage(entries, rows[-1].id if more and rows else None, total)
    shown = [e for e in entries if e.content is not None]
    if shown:
        worst = page.banner
        audit.append(
            session,
            who.username,
            "partner.quarantine",
            partner.node_id,
            marking=worst.banner() if worst else "",
            details={"shown": len(shown), "ids": [e.object_id for e in shown][:50]},
        )
    return page


# -- provenance of a received record ----------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    partner_node_id: str
    partner_name: str
    partner_country: str
    collection_id: str
    date_added: str  # the partner's date_added for the page that brought it
    received_at: datetime
    receipt_id: str  # the receipt this node signed for it


def provenance(session: Session, who: Principal, view: RecordView) -> Provenance | None:
    """Where a received version came from; ``view`` must be one the gate released to ``who``."""
    require(who, "records.read")
    if not view.received:
        return None
    found = session.execute(
        select(ReceivedVersion, Partner)
        .join(Partner, Partner.id == ReceivedVersion.partner_id)
        .where(ReceivedVersion.record_pk == view.pk)
    ).first()
    if found is None:
        return None
    received, partner = found
    return Provenance(
        partner_node_id=partner.node_id,
        partner_name=partner.display_name,
        partner_country=partner.country,
        collection_id=received.collection_id,
        date_added=received.date_added,
        received_at=as_utc(received.received_at),
        receipt_id=received.receipt_id,
    )


# -- sync now ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncOutcome:
    report: sync_module.SyncReport | None
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
    report: sync_module.SyncReport | None = None
    error: PuenteError | None = None
    try:
        report = sync_module.sync(
            node, node_id, worker="web", page_size=node.settings.sync.page_size
        )
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
