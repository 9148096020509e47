"""What the federation pages show of what crossed the border: the sharing ledger per partner
(what this node released to it, and what it acknowledged), receipts, and where a received
record came from.

Every function takes the reader and checks what they may do; anything that names a record
passes the egress gate for that reader, so a page shows only what the reader may see (and
counts the rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, tuple_
from sqlalchemy.orm import Session, aliased

from puente.audit import service as audit
from puente.clock import as_utc, as_utc_or_none
from puente.policy import gate
from puente.policy.markings import (
    Markings,
    most_restrictive,
)
from puente.policy.roles import Principal, require
from puente.records.models import Record
from puente.records.prefilter import released_to_partner, visible_to_user
from puente.records.rows import RecordView, governed_facts
from puente.sharing import receipts as receipts_module
from puente.sharing.models import Acknowledgement, Partner, Receipt, ReceivedVersion
from puente.sharing.partners import PartnerPrincipal, get_partner

LEDGER_PAGE = 50
RECEIPTS_PAGE = 50


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
            acknowledged_at=as_utc_or_none(acks[view.pk][1]),
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
    facts = governed_facts(session, rows)
    return gate.release(rows, lambda row: facts[row.pk], who.audience)


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
                posted_at=as_utc_or_none(r.posted_at),
            )
            for r in rows
        ],
        next_before=rows[-1].id if more and rows else None,
        issued=int(counts.get(receipts_module.ISSUED, 0)),
        held=int(counts.get(receipts_module.HELD, 0)),
    )


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
