"""What a partner sent that this node refused to store, as the quarantine page shows it.

Quarantined objects never passed validation: their content is shown only when the object's own
markings, read as the gate reads a received record's, let the reader see it, and unmarked
content only to administrators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import as_utc
from puente.config import COUNTRIES
from puente.policy import gate
from puente.policy.gate import RecordFacts
from puente.policy.markings import (
    CREDIBILITY,
    HANDLING_CODES,
    RELIABILITY,
    Markings,
    markings_from_object,
    most_restrictive,
)
from puente.policy.recipients import Directory, directory
from puente.policy.roles import Principal, require
from puente.records.ingest import AGENCY_BY_IDENTITY
from puente.records.marking import originator_markings
from puente.records.models import Record
from puente.records.rows import facts_of
from puente.sharing.models import Partner, Quarantined
from puente.sharing.partners import get_partner, node_countries

QUARANTINE_PAGE = 25
QUARANTINE_SHOWN = 4000  # characters of a quarantined object shown on the page


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


def _object_facts(
    partner: Partner, entry: Quarantined, known: Callable[[], Directory]
) -> RecordFacts | None:
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
        markings = originator_markings(tlp, body, partner.country, known)
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

    # Named recipients read as a received record's are (puente.records.marking).
    nodes: list[Directory] = []

    def known() -> Directory:
        if not nodes:
            nodes.append(directory(COUNTRIES, node_countries(session)))
        return nodes[0]

    entries: list[QuarantineEntry] = []
    for row in rows:
        facts = _object_facts(partner, row, known)
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
