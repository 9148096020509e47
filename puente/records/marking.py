"""What a record is marked with when it is stored: its own markings, else what the writer
gives, else the node's defaults for its kind; and a partner's, exactly as they came."""

from __future__ import annotations

from typing import Any

from puente.config import Settings
from puente.policy.markings import Markings


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
    else:
        markings = Markings.from_extension(tlp or default_markings(settings, kind).tlp, body)
    if settings.country not in markings.rel_to:
        markings = Markings(**{**markings.__dict__, "rel_to": markings.rel_to | {settings.country}})
    return markings


def originator_markings(tlp: str | None, body: dict[str, Any]) -> Markings:
    """The markings a partner's object carries, exactly: no defaults, nothing added."""
    return Markings.from_extension(tlp or "AMBER", body)
