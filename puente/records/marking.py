"""What a record is marked with when it is stored: its own markings, else what the writer
gives, else the node's defaults for its kind; and a partner's, exactly as they came."""

from __future__ import annotations

from typing import Any

from puente.config import Settings
from puente.policy.markings import Markings, markings_from_object
from puente.records.kinds import kind_of

_defaults_cache: dict[tuple[int, str], Markings] = {}


def default_markings(settings: Settings, kind: str) -> Markings:
    key = (id(settings), kind)
    cached = _defaults_cache.get(key)
    if cached is None:
        d = settings.markings_for(kind)
        cached = Markings(
            tlp=d.tlp,
            rel_to=frozenset(d.rel_to),
            handling=d.handling,
            searchable_by=frozenset(d.searchable_by),
        )
        if len(_defaults_cache) > 1000:
            _defaults_cache.clear()
        _defaults_cache[key] = cached
    return cached


def resolve_markings(
    obj: dict[str, Any], settings: Settings, override: Markings | None
) -> Markings:
    """What the object is marked with: its own markings, else the override, else defaults."""
    tlp, body = markings_from_object(obj)
    return resolve(tlp, body, kind_of(obj), settings, override)


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
