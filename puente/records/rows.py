"""Between a stored row and what the rest of the node needs: markings, gate facts, views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from puente.policy.gate import RecordFacts
from puente.policy.markings import Markings
from puente.records.models import Record


def as_set(text: str) -> frozenset[str]:
    return frozenset(part for part in text.split(",") if part)


def as_column(values: frozenset[str] | set[str] | list[str]) -> str:
    return "," + ",".join(sorted(values)) + "," if values else ""


def markings_of(row: Record) -> Markings:
    return Markings(
        tlp=row.tlp,
        rel_to=as_set(row.rel_to),
        agencies=as_set(row.agencies),
        handling=row.handling,
        handling_text=row.handling_text,
        searchable_by=as_set(row.searchable_by),
        reliability=row.reliability or None,
        credibility=row.credibility or None,
        recipients=as_set(row.recipients),
    )


def facts_of(row: Record) -> RecordFacts:
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
