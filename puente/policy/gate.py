"""The egress gate (DESIGN.md, "Records and markings", the decision table).

One function, :func:`decide`, says whether a record may be disclosed to an audience. Every
path that lets record content leave the node calls :func:`release` (or :func:`decide`
through it), which also tells any registered observer which record ids were released; the
route test uses that to prove no route returns a record the gate did not see.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from puente.errors import N_
from puente.policy.markings import Markings
from puente.policy.recipients import country_of


@dataclass(frozen=True)
class RecordFacts:
    """What the gate needs to know about one record version."""

    stix_id: str
    owner_country: str
    owned_here: bool
    originating_agency: str
    markings: Markings
    created_by: str = ""
    recalled: bool = False
    # The record's current version, when this is an older one: its markings govern the whole
    # record (DESIGN.md, "The current version governs the record").
    current: RecordFacts | None = None


@dataclass(frozen=True)
class PartnerNode:
    """A partner government's node pulling over federation."""

    country: str
    agency_countries: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalUser:
    """A signed-in user of this node."""

    username: str
    country: str
    agency: str


@dataclass(frozen=True)
class HitIndex:
    """The hit/no-hit index built for a partner country: match keys only."""

    country: str


@dataclass(frozen=True)
class PublicPage:
    """Anyone, without signing in."""


Audience = PartnerNode | LocalUser | HitIndex | PublicPage


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True, N_("released"))


def decide(record: RecordFacts, audience: Audience) -> Decision:
    """Apply the decision table row for ``audience`` to ``record``: to an older version, only
    when the current version is released to the same audience too."""
    if record.current is not None and not decide(record.current, audience):
        return Decision(False, N_("the record's current version is not released to this reader"))
    m = record.markings
    if isinstance(audience, PartnerNode):
        if not record.owned_here:
            return Decision(False, N_("received records are never re-exported"))
        if record.recalled:
            return Decision(False, N_("the record was recalled"))
        if audience.country not in m.rel_to:
            return Decision(False, N_("the partner's country is not in REL TO"))
        if m.tlp == "RED":
            return Decision(False, N_("TLP:RED never leaves the node"))
        if m.recipients and not any(country_of(r) == audience.country for r in m.recipients):
            return Decision(False, N_("no named recipient is a user of the partner's country"))
        if m.agencies and not any(
            audience.agency_countries.get(a) == audience.country for a in m.agencies
        ):
            return Decision(False, N_("no listed agency belongs to the partner's country"))
        return ALLOW
    if isinstance(audience, LocalUser):
        if audience.country != record.owner_country and audience.country not in m.rel_to:
            return Decision(False, N_("the user's country is not in REL TO"))
        if m.agencies and audience.agency not in m.agencies:
            return Decision(False, N_("the user's agency is not among the listed agencies"))
        if m.tlp == "RED" and not _named(record, audience):
            return Decision(False, N_("TLP:RED is for named recipients only"))
        if m.recipients and not _named(record, audience):
            return Decision(False, N_("the record is for its named recipients only"))
        if (
            m.tlp == "AMBER+STRICT"
            and audience.agency != record.originating_agency
            and audience.agency not in m.agencies
        ):
            return Decision(False, N_("TLP:AMBER+STRICT stays within the named agencies"))
        return ALLOW
    if isinstance(audience, HitIndex):
        if audience.country not in m.searchable_by:
            return Decision(False, N_("the country is not in SEARCHABLE BY"))
        return ALLOW
    if m.tlp != "CLEAR":
        return Decision(False, N_("only TLP:CLEAR is public"))
    if not record.owned_here:
        return Decision(False, N_("only this node's own records are public"))
    return ALLOW


def _named(record: RecordFacts, user: LocalUser) -> bool:
    """Whether ``user`` is a named recipient of ``record``: named ``username@COUNTRY`` with
    this node's country (puente.policy.recipients; never by a bare name, which a partner's
    namesake could match), or the creator of a record here, its first recipient."""
    return f"{user.username}@{user.country}" in record.markings.recipients or (
        record.owned_here and user.username == record.created_by
    )


Observer = Callable[[str, Audience], None]
_observers: list[Observer] = []


def observe(observer: Observer) -> Callable[[], None]:
    """Register a callback told of every released record id; returns its remover."""
    _observers.append(observer)
    return lambda: _observers.remove(observer)


T = TypeVar("T")


def release(items: Iterable[T], facts: Callable[[T], RecordFacts], audience: Audience) -> list[T]:
    """Keep only the items the gate lets ``audience`` see, telling observers of each release."""
    kept: list[T] = []
    for item in items:
        record = facts(item)
        if decide(record, audience):
            for observer in _observers:
                observer(record.stix_id, audience)
            kept.append(item)
    return kept


def release_by_key(
    items: Iterable[T],
    key: Callable[[T], Hashable],
    facts: Callable[[T], RecordFacts],
    audience: Audience,
) -> list[T]:
    """:func:`release`, deciding once per distinct ``key(item)``.

    ``key`` must determine everything :func:`decide` reads but the record id (a page of a
    thousand rows carries a handful of distinct markings): the answer is the same as
    :func:`release`'s, and observers still hear of every released id.
    """
    decided: dict[Hashable, bool] = {}
    kept: list[T] = []
    for item in items:
        k = key(item)
        allowed = decided.get(k)
        if allowed is None:
            allowed = decided[k] = bool(decide(facts(item), audience))
        if allowed:
            if _observers:
                stix_id = facts(item).stix_id
                for observer in _observers:
                    observer(stix_id, audience)
            kept.append(item)
    return kept
