"""What the layers above records hear of when this node's own records change.

Records sits below sharing; when a new version supersedes one of this node's records, sharing
must decide whether a partner that may hold the older version is still allowed it (and, if
not, send a withdrawal). Sharing registers here (:func:`puente.domains.install`) instead of
records importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from puente.config import Settings
    from puente.policy.roles import Principal

# (session, settings, the writer, ids of this node's records that have a new current version)
Superseded = Callable[["Session", "Settings", "Principal", list[str]], object]
_listeners: list[Superseded] = []


def on_superseded(listener: Superseded) -> None:
    """Be told, in the writer's transaction, of own records given a new current version."""
    if listener not in _listeners:
        _listeners.append(listener)


def listening() -> bool:
    return bool(_listeners)


def superseded(session: Session, settings: Settings, writer: Principal, ids: list[str]) -> None:
    for listener in _listeners:
        listener(session, settings, writer, ids)
