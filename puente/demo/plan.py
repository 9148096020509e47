"""The demo plan: every record the seed will store, who records it, when, and how marked.

Planning is pure (no database): the same node id, country and day give the same plan, which
is what makes the seed deterministic and lets tests check the data without a node.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from puente.demo.logins import Cast, cast_for
from puente.demo.marks import Palette, meet
from puente.demo.stories import say
from puente.policy import gate
from puente.policy.agencies import BY_CODE
from puente.policy.markings import Markings
from puente.records.kinds import KINDS

NAMESPACE = "puente-demo"
HISTORY_DAYS = 548  # about 18 months of activity


def stable_uuid4(name: str) -> uuid.UUID:
    """A UUID shaped as version 4, as STIX 2.1 §2.9 asks of objects, but drawn from a hash
    of ``name`` so the same demo record gets the same id every time."""
    digest = hashlib.sha256(f"{NAMESPACE}/{name}".encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


@dataclass
class Revision:
    """A later version of an item: new fields, or a revocation."""

    fields: dict[str, Any]
    when: datetime
    revoke: bool = False


@dataclass
class Item:
    key: str
    kind: str
    author: str
    fields: dict[str, Any]
    markings: Markings
    created: datetime
    stix_id: str
    revisions: list[Revision] = field(default_factory=list)


@dataclass
class Plan:
    country: str
    cast: Cast
    items: list[Item]

    @property
    def versions(self) -> int:
        return sum(1 + len(item.revisions) for item in self.items)


class Planner:
    """Accumulates items; the generators in the sibling modules call it."""

    def __init__(self, node_id: str, country: str, today: date) -> None:
        self.node_id = node_id
        self.country = country
        self.partner = "USA" if country == "MEX" else "MEX"
        self.lang = "es" if country == "MEX" else "en"
        self.cast = cast_for(country)
        self.palette = Palette(country, self.partner, self.cast, self.lang)
        self.today = today
        self.rng = random.Random(f"puente-demo/{country}")  # noqa: S311 - repeatable, not secret
        self.items: list[Item] = []
        self.keys: set[str] = set()

    def moment(self, days_ago: int, rng: random.Random | None = None) -> datetime:
        """A working-hours moment ``days_ago`` days before today (never today or later)."""
        draw = rng or self.rng
        day = self.today - timedelta(days=max(1, days_ago))
        clock = time(draw.randrange(7, 20), draw.randrange(60), draw.randrange(60))
        return datetime.combine(day, clock, tzinfo=UTC)

    def add(
        self,
        key: str,
        kind: str,
        author: str,
        fields: dict[str, Any],
        markings: Markings,
        created: datetime,
    ) -> Item:
        if key in self.keys:
            raise ValueError(f"duplicate demo key {key}")
        self.keys.add(key)
        stix_type = KINDS[kind].stix_type
        stix_id = f"{stix_type}--{stable_uuid4(f'{self.node_id}/{key}')}"
        item = Item(key, kind, author, fields, markings, created, stix_id)
        self.items.append(item)
        return item

    def facts(self, item: Item) -> gate.RecordFacts:
        return gate.RecordFacts(
            stix_id=item.stix_id,
            owner_country=self.country,
            owned_here=True,
            originating_agency=self.cast.agency_of(item.author),
            markings=item.markings,
            created_by=item.author,
        )

    def audience(self, username: str) -> gate.LocalUser:
        agency = self.cast.agency_of(username)
        return gate.LocalUser(username, BY_CODE[agency].country, agency)

    def sees(self, username: str, item: Item) -> bool:
        return bool(gate.decide(self.facts(item), self.audience(username)))

    def relate(
        self,
        source: Item,
        relationship_type: str,
        target: Item,
        description_key: str,
        graded: bool = False,
    ) -> Item | None:
        """A relationship recorded by whoever may see both ends, marked no wider than them.

        Returns None (and records nothing) when no one could, or when some login could see
        the link without seeing both ends: the demo never shows a dangling relationship.
        """
        markings = meet(source.markings, target.markings)
        if markings is None:
            return None
        if graded:
            markings = self.palette.grade(markings, self.rng)
        created = max(source.created, target.created) + timedelta(hours=self.rng.randrange(2, 72))
        created = min(created, self.moment(1))
        for author in dict.fromkeys((source.author, target.author)):
            if not (self.sees(author, source) and self.sees(author, target)):
                continue
            key = f"rel/{source.key}/{relationship_type}/{target.key}"
            fields = {
                "source_ref": source.stix_id,
                "relationship_type": relationship_type,
                "target_ref": target.stix_id,
                "description": say(self.lang, description_key),
            }
            link = Item(key, "relationship", author, fields, markings, created, "")
            if all(
                self.sees(login.username, source) and self.sees(login.username, target)
                for login in self.cast.logins
                if self.sees(login.username, link)
            ):
                return self.add(key, "relationship", author, fields, markings, created)
        return None

    def plan(self) -> Plan:
        return Plan(self.country, self.cast, self.items)
