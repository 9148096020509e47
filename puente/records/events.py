"""What the layers above records hear of when this node's own records change.

Records sits below sharing and hits; when a new version supersedes one of this node's records,
sharing must decide whether a partner that may hold the older version is still allowed it
(and, if not, send a withdrawal), and hits must take the record's keys out of the indexes of
the partners that may no longer search it. A recall (sharing) flags every version of a record
without writing a new one; hits hears of that too. The domains register here
(:func:`puente.domains.install`) instead of records or sharing importing them. Listeners run in
the writer's transaction: what they change commits, or rolls back, with the write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from puente.config import Settings
    from puente.policy.roles import Principal

# (session, settings, the writer, ids of this node's records the change is about)
Changed = Callable[["Session", "Settings", "Principal", list[str]], object]
_listeners: list[Changed] = []
_recalled: list[Changed] = []


def on_superseded(listener: Changed) -> None:
    """Be told, in the writer's transaction, of own records given a new current version."""
    if listener not in _listeners:
        _listeners.append(listener)


def on_recalled(listener: Changed) -> None:
    """Be told, in the writer's transaction, of own records just recalled (every version
    flagged, no new one written)."""
    if listener not in _recalled:
        _recalled.append(listener)


def listening() -> bool:
    """Whether anyone listens for new versions (an import collects their ids only then)."""
    return bool(_listeners)


def superseded(session: Session, settings: Settings, writer: Principal, ids: list[str]) -> None:
    for listener in _listeners:
        listener(session, settings, writer, ids)


def recalled(session: Session, settings: Settings, writer: Principal, ids: list[str]) -> None:
    for listener in _recalled:
        listener(session, settings, writer, ids)
