"""Make the two demo nodes partners of each other, as two operators would by hand."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select, update

from puente.accounts.service import system_principal
from puente.node import Node, public_key_hex
from puente.sharing import partners
from puente.sharing.models import Partner


def pair(first: Node, first_url: str, second: Node, second_url: str) -> None:
    """Each node adds the other (its URL, pinned key, and the secret each one issued).

    Idempotent: a node that already has the other as a partner keeps it, with its URL
    brought up to date (the demo may run on other ports than last time).
    """
    if _partner_of(first, second) and _partner_of(second, first):
        _set_url(first, second, second_url)
        _set_url(second, first, first_url)
        return
    for node, other in ((first, second), (second, first)):  # half-made: start over
        with node.db.session() as session:
            session.execute(delete(Partner).where(Partner.node_id == other.settings.node_id))
    issued_by_first = partners.SECRET_PREFIX + secrets.token_urlsafe(32)
    issued_by_second = partners.SECRET_PREFIX + secrets.token_urlsafe(32)
    _add(first, second, second_url, outbound=issued_by_second, inbound=issued_by_first)
    _add(second, first, first_url, outbound=issued_by_first, inbound=issued_by_second)


def _partner_of(node: Node, other: Node) -> bool:
    with node.db.session() as session:
        return (
            session.execute(
                select(Partner.id).where(Partner.node_id == other.settings.node_id)
            ).first()
            is not None
        )


def _set_url(node: Node, other: Node, url: str) -> None:
    with node.db.session() as session:
        session.execute(
            update(Partner).where(Partner.node_id == other.settings.node_id).values(base_url=url)
        )


def _add(node: Node, other: Node, other_url: str, outbound: str, inbound: str) -> None:
    with node.db.session() as session:
        partners.add_partner(
            session,
            system_principal(node.settings),
            node_id=other.settings.node_id,
            country=other.settings.country,
            display_name=other.settings.display_name,
            base_url=other_url,
            public_key=public_key_hex(other.settings),
            outbound_secret=outbound,
            inbound_secret=inbound,
        )
