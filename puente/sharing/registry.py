"""What the domains above sharing ask of it, registered when the node's app or command line
starts (:func:`puente.domains.install`).

Sharing is transport only: it pulls and serves STIX objects, signs receipts and recalls. How a
partner's object of another domain's type is checked and projected, what a partner may post
to this node's inbox, what else runs after each pull and on the scheduler's every tick: each
domain registers it here, so sharing never imports the domains above it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from puente.errors import Problem

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.orm import Session

    from puente.node import Node
    from puente.sharing.partners import PartnerPrincipal

log = logging.getLogger(__name__)

# A partner's object → why it may not be stored (None: it may, or it is not this domain's).
Check = Callable[[Any], Problem | None]
# After a page from a partner is stored: (session, the objects kept, the partner's node id).
Stored = Callable[["Session", list[Any], str], object]
# A partner posts an object of this type to the inbox: why it is refused (None: accepted).
Inbox = Callable[["Session", "Node", "PartnerPrincipal", dict[str, Any]], Problem | None]
# After each pull from a partner: (node, the partner's row id, its node id, its client).
AfterPull = Callable[["Node", int, str, "httpx.Client"], object]
# On each tick of the scheduler in `puente serve` (at most once per sync interval).
Tick = Callable[["Node"], object]


@dataclass
class Registry:
    checks: list[Check] = field(default_factory=list)
    stored: list[Stored] = field(default_factory=list)
    inbox: dict[str, Inbox] = field(default_factory=dict)
    after_pull: list[tuple[str, AfterPull]] = field(default_factory=list)
    ticks: list[tuple[str, Tick]] = field(default_factory=list)
    installed: bool = False


_registry = Registry()


def receive(check: Check, stored: Stored) -> None:
    """A domain whose objects arrive with a partner's pages: checked, then projected."""
    if check not in _registry.checks:  # registering again (a retried install) changes nothing
        _registry.checks.append(check)
    if stored not in _registry.stored:
        _registry.stored.append(stored)


def inbox(stix_type: str, accept: Inbox) -> None:
    """A type a partner may post to this node's inbox (besides receipts and acknowledgements)."""
    _registry.inbox[stix_type] = accept


def after_pull(name: str, job: AfterPull) -> None:
    """Work that follows each pull from a partner; its failure does not fail the pull."""
    if (name, job) not in _registry.after_pull:
        _registry.after_pull.append((name, job))


def every_tick(name: str, job: Tick) -> None:
    """Work the scheduler runs once per sync interval."""
    if (name, job) not in _registry.ticks:
        _registry.ticks.append((name, job))


def mark_installed() -> None:
    _registry.installed = True


def installed() -> Registry:
    """The registry, once the domains have registered: sharing never runs without them (a
    partner's plan objects would be stored unchecked)."""
    if not _registry.installed:
        raise RuntimeError(
            "the domains have not registered with sharing: call puente.domains.install()"
        )
    return _registry


def refusal(obj: Any) -> Problem | None:
    """Why a partner's object may not be stored, by the first domain that refuses it."""
    for check in installed().checks:
        found = check(obj)
        if found is not None:
            return found
    return None


def project(session: Session, objects: Iterable[Any], partner_node_id: str) -> None:
    kept = list(objects)
    for stored in installed().stored:
        stored(session, kept, partner_node_id)


def inbox_handler(stix_type: str) -> Inbox | None:
    return installed().inbox.get(stix_type)
