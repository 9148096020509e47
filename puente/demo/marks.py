"""The demo's mix of markings: what an agency would really put on each kind of record.

Shares are dealt from a shuffled deck rather than drawn one by one, so every variant the
demo promises (national only, REL TO both countries, AMBER+STRICT to named agencies, RED to
named recipients, H1–H3, graded intelligence) is there whatever the random draw.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace

from puente.demo.logins import Cast
from puente.demo.stories import say
from puente.policy.markings import HANDLING_CODES, TLP_LEVELS, Markings

GRADES = (("B", 2), ("B", 2), ("C", 3), ("B", 3), ("C", 2), ("A", 2), ("F", 6))


def deck(rng: random.Random, count: int, shares: Mapping[str, int]) -> list[str]:
    """``count`` variants in the given proportions (largest remainders), shuffled."""
    total = sum(shares.values())
    exact = {name: count * share / total for name, share in shares.items()}
    cards = {name: int(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda n: exact[n] - cards[n], reverse=True)
    for name in by_remainder[: count - sum(cards.values())]:
        cards[name] += 1
    dealt = [name for name, n in cards.items() for _ in range(n)]
    rng.shuffle(dealt)
    return dealt


@dataclass(frozen=True)
class Palette:
    country: str
    partner: str
    cast: Cast
    lang: str

    @property
    def both(self) -> frozenset[str]:
        return frozenset({self.country, self.partner})

    @property
    def own(self) -> frozenset[str]:
        return frozenset({self.country})

    def grade(self, markings: Markings, rng: random.Random) -> Markings:
        reliability, credibility = rng.choice(GRADES)
        return replace(markings, reliability=reliability, credibility=credibility)

    def public(self) -> Markings:
        return Markings(tlp="CLEAR", rel_to=self.both)

    def partners(self) -> Markings:
        return Markings(tlp="GREEN", rel_to=self.both)

    def variant(self, name: str, author: str, searchable: bool = False) -> Markings:
        """One named variant, as ``author`` would mark it."""
        agency = self.cast.agency_of(author)
        searchable_by = frozenset({self.partner}) if searchable else frozenset()
        base = Markings(tlp="AMBER", rel_to=self.both, searchable_by=searchable_by)
        if name == "green":
            return replace(base, tlp="GREEN")
        if name == "shared":
            return base
        if name == "shared-h1":
            return replace(base, handling="H1")
        if name == "shared-h2":
            return replace(base, handling="H2")
        if name == "national":
            return replace(base, rel_to=self.own)
        if name == "national-h2":
            return replace(base, rel_to=self.own, handling="H2")
        if name == "strict":
            return replace(base, tlp="AMBER+STRICT", rel_to=self.own, handling="H2")
        if name == "strict-team":
            return replace(
                base,
                tlp="AMBER+STRICT",
                rel_to=self.own,
                agencies=frozenset({agency, *self.cast.investigators}),
                handling="H3",
                handling_text=say(self.lang, "handling.investigation", agency=agency),
            )
        if name == "red":
            return replace(
                base,
                tlp="RED",
                rel_to=self.own,
                handling="H3",
                handling_text=say(self.lang, "handling.sealed"),
                recipients=frozenset({self.cast.liaison}),
            )
        raise ValueError(name)


def meet(first: Markings, second: Markings) -> Markings | None:
    """Markings for a record linking two others: no wider than either; None if none fits."""
    rel_to = first.rel_to & second.rel_to
    if first.agencies and second.agencies:
        agencies = first.agencies & second.agencies
        if not agencies:
            return None
    else:
        agencies = first.agencies or second.agencies
    reds = [m for m in (first, second) if m.tlp == "RED"]
    recipients = frozenset.intersection(*(m.recipients for m in reds)) if reds else frozenset()
    if len(reds) == 2 and not recipients:
        return None
    stricter = max(first, second, key=lambda m: HANDLING_CODES.index(m.handling))
    return Markings(
        tlp=max(first.tlp, second.tlp, key=TLP_LEVELS.index),
        rel_to=rel_to,
        agencies=agencies,
        handling=stricter.handling,
        handling_text=stricter.handling_text,
        recipients=recipients,
    )
