"""What a record is marked with when it is stored: its own markings, else what the writer
gives, else the node's defaults for its kind; and a partner's, exactly as they came.

Named recipients are stored ``username@CCC`` (:mod:`puente.policy.recipients`); the nodes a
writer may name them by are this node and its partners, which sharing knows and registers
here (:func:`puente.domains.install`), so records never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from puente.config import COUNTRIES, Settings
from puente.policy import recipients
from puente.policy.markings import TLP_LEVELS, Markings

# The partners' (node id, country) pairs, read in the caller's session.
PartnerNodes = Callable[[Session], Iterable[tuple[str, str]]]
_partner_nodes: list[PartnerNodes] = []


def partner_nodes(lookup: PartnerNodes) -> None:
    """Register how to list the partners' nodes (sharing does, at install)."""
    if lookup not in _partner_nodes:
        _partner_nodes.append(lookup)


def node_directory(session: Session, settings: Settings) -> dict[str, str]:
    """How a recipient's node may be written here: the countries, this node's id and its
    partners' (:func:`puente.policy.recipients.directory`)."""
    nodes: list[tuple[str, str]] = [(settings.node_id, settings.country)]
    for lookup in _partner_nodes:
        nodes.extend(lookup(session))
    return recipients.directory(COUNTRIES, nodes)


def default_markings(settings: Settings, kind: str) -> Markings:
    """The node's defaults for a new record of ``kind`` (its own country always in REL TO).

    Read from ``settings`` each time, never cached by the settings object's identity: one
    process may open several nodes (the demo, the tests), and a freed settings object's id
    is handed to the next one. An import reads them once per kind and markings anyway."""
    d = settings.markings_for(kind)
    return Markings(
        tlp=d.tlp,
        rel_to=frozenset(d.rel_to),
        handling=d.handling,
        searchable_by=frozenset(d.searchable_by),
    )


def resolve(
    tlp: str | None,
    body: dict[str, Any] | None,
    kind: str,
    settings: Settings,
    override: Markings | None,
) -> Markings:
    if body is None:
        markings = override if override is not None else default_markings(settings, kind)
        if tlp and override is None:
            markings = Markings(**{**markings.__dict__, "tlp": tlp})
        elif tlp and TLP_LEVELS.index(tlp) > TLP_LEVELS.index(markings.tlp):
            # The writer's markings are for what carries none: never below the TLP the
            # object itself carries (a standard TLP marking from another tool).
            markings = replace(markings, tlp=tlp)
    else:
        markings = Markings.from_extension(tlp or default_markings(settings, kind).tlp, body)
    if settings.country not in markings.rel_to:
        markings = Markings(**{**markings.__dict__, "rel_to": markings.rel_to | {settings.country}})
    return markings


def originator_markings(
    tlp: str | None,
    body: dict[str, Any],
    owner_country: str,
    known: Callable[[], recipients.Directory],
) -> Markings:
    """The markings a partner's object carries: no defaults, nothing added; its named
    recipients as this node reads them (a bare name is a user of the owner's node)."""
    markings = Markings.from_extension(tlp or "AMBER", body)
    if not markings.recipients:
        return markings
    named = recipients.received_as(markings.recipients, owner_country, known())
    return replace(markings, recipients=named)
