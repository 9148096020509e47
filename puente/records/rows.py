"""Between a stored row and what the rest of the node needs: markings, gate facts, views."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.orm import Session

from puente.db import batches, one_of
from puente.policy.gate import RecordFacts
from puente.policy.markings import Markings
from puente.records.models import Record


def as_set(text: str) -> frozenset[str]:
    return frozenset(part for part in text.split(",") if part)


def as_column(values: frozenset[str] | set[str] | list[str]) -> str:
    return "," + ",".join(sorted(values)) + "," if values else ""


# What the egress gate reads of a row besides its id, in this order: selected together, a page
# of rows (which shares a handful of distinct combinations) is decided once per combination.
MARKING_COLUMNS = (
    Record.tlp, Record.rel_to, Record.agencies, Record.handling, Record.handling_text,
    Record.searchable_by, Record.reliability, Record.credibility, Record.recipients,
)  # fmt: skip
GATE_COLUMNS = (
    Record.owner_country, Record.received, Record.originating_agency, Record.created_by,
    Record.recalled, *MARKING_COLUMNS,
)  # fmt: skip
GateValues = tuple[Any, ...]  # one row's GATE_COLUMNS
# Markings no audience passes: what governs a version whose record has no current version.
_NOBODY = Markings(tlp="RED", rel_to=frozenset(), agencies=frozenset({"-"}))


def facts_from(stix_id: str, gate: GateValues) -> RecordFacts:
    """The gate's facts from a row's GATE_COLUMNS values."""
    owner_country, received, originating_agency, created_by, recalled = gate[:5]
    return RecordFacts(
        stix_id=stix_id,
        owner_country=owner_country,
        owned_here=not received,
        originating_agency=originating_agency,
        markings=_markings(*gate[5:]),
        created_by=created_by,
        recalled=recalled,
    )


def current_gates(session: Session, stix_ids: Iterable[str]) -> dict[str, GateValues]:
    """The GATE_COLUMNS of these records' current versions, by id: what governs their older
    versions (DESIGN.md, "The current version governs the record")."""
    ids = sorted(set(stix_ids))
    connection = session.connection()
    found: dict[str, GateValues] = {}
    for batch in batches(session, ids):
        query = select(Record.stix_id, *GATE_COLUMNS).where(
            one_of(session, Record.stix_id, batch), Record.is_current.is_(True)
        )
        found.update((row[0], tuple(row[1:])) for row in connection.execute(query).all())
    return found


def governed(
    facts: RecordFacts, is_current: bool, currents: Mapping[str, GateValues]
) -> RecordFacts:
    """A version's facts, an older version's carrying its current version's (from ``currents``,
    by :func:`current_gates`). An older version whose record has no current version (a damaged
    store) is governed by markings no audience passes: it is never released."""
    if is_current:
        return facts
    current = currents.get(facts.stix_id)
    if current is None:
        return replace(facts, current=replace(facts, markings=_NOBODY, recalled=True))
    return replace(facts, current=facts_from(facts.stix_id, current))


def governed_facts(session: Session, rows: Iterable[Record]) -> dict[int, RecordFacts]:
    """The gate's facts for each row (by pk), an older version's carrying its current one's."""
    listed = list(rows)
    currents = current_gates(session, {r.stix_id for r in listed if not r.is_current})
    return {r.pk: governed(facts_of(r), r.is_current, currents) for r in listed}


def markings_from(gate: GateValues) -> Markings:
    return _markings(*gate[5:])


class VersionRow(NamedTuple):
    """A stored version without its content: what checks of receipts and provenance need."""

    pk: int
    stix_id: str
    modified_key: str
    content_hash: str
    gate: GateValues


VERSION_COLUMNS = (Record.pk, Record.stix_id, Record.modified_key, Record.content_hash,
                   *GATE_COLUMNS)  # fmt: skip
LOOKUP_BATCH = 500  # ids per IN (...): well under every backend's parameter limit


def stored_versions(
    session: Session, keys: Iterable[tuple[str, str]], *conditions: ColumnElement[bool]
) -> list[VersionRow]:
    """The stored versions with these (stix id, modified key) pairs that meet ``conditions``.

    Plain Core rows read by position: a receipt lists a thousand versions, and ORM rows cost
    several times as much per row.
    """
    wanted = set(keys)
    ids = sorted({stix_id for stix_id, _ in wanted})
    connection = session.connection()
    found: list[VersionRow] = []
    for batch in batches(session, ids):
        query = select(*VERSION_COLUMNS).where(one_of(session, Record.stix_id, batch), *conditions)
        for row in connection.execute(query).all():
            if (row[1], row[2]) in wanted:
                found.append(VersionRow(row[0], row[1], row[2], row[3], row[4:]))
    return found


def markings_of(row: Record | Row[Any]) -> Markings:
    return _markings(
        row.tlp, row.rel_to, row.agencies, row.handling, row.handling_text,
        row.searchable_by, row.reliability, row.credibility, row.recipients,
    )  # fmt: skip


@lru_cache(maxsize=4096)
def _markings(
    tlp: str,
    rel_to: str,
    agencies: str,
    handling: str,
    handling_text: str,
    searchable_by: str,
    reliability: str,
    credibility: int,
    recipients: str,
) -> Markings:
    # A page of rows shares a handful of distinct markings: each is parsed once.
    return Markings(
        tlp=tlp,
        rel_to=as_set(rel_to),
        agencies=as_set(agencies),
        handling=handling,
        handling_text=handling_text,
        searchable_by=as_set(searchable_by),
        reliability=reliability or None,
        credibility=credibility or None,
        recipients=as_set(recipients),
    )


def facts_of(row: Record | Row[Any]) -> RecordFacts:
    return RecordFacts(
        stix_id=row.stix_id,
        owner_country=row.owner_country,
        owned_here=not row.received,
        originating_agency=row.originating_agency,
        markings=markings_of(row),
        created_by=row.created_by,
        recalled=row.recalled,
    )


@dataclass(frozen=True)
class RecordView:
    """A record version as shown to someone the gate let see it."""

    pk: int
    stix_id: str
    type: str
    kind: str
    name: str
    modified: str
    date_added: str
    is_current: bool
    revoked: bool
    received: bool
    owner_node: str
    owner_country: str
    originating_agency: str
    created_by: str
    markings: Markings
    content: dict[str, Any]
    recalled: bool = False

    @classmethod
    def of(cls, row: Record) -> RecordView:
        return cls(
            pk=row.pk,
            stix_id=row.stix_id,
            type=row.type,
            kind=row.kind,
            name=row.name,
            modified=row.modified_key,
            date_added=row.date_added,
            is_current=row.is_current,
            revoked=row.revoked,
            received=row.received,
            owner_node=row.owner_node,
            owner_country=row.owner_country,
            originating_agency=row.originating_agency,
            created_by=row.created_by,
            markings=markings_of(row),
            content=orjson.loads(row.content),
            recalled=row.recalled,
        )
