"""The gate's rows for local users and partners as SQL conditions, so pages hold what they may see.

These must agree with :func:`puente.policy.gate.decide` for their audiences; the gate still
checks every row that leaves, and a property test holds the two to the same answers.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.util import AliasedClass

from puente.policy.gate import LocalUser, PartnerNode
from puente.records.models import Record

# The records table or an alias of it (a subquery comparing a row with its other versions).
Entity = type[Record] | AliasedClass[Record]


def _member(column: InstrumentedAttribute[str], value: str) -> ColumnElement[bool]:
    return column.contains(f",{value},", autoescape=True)


def visible_to_user(user: LocalUser, entity: Entity = Record) -> ColumnElement[bool]:
    return and_(
        or_(entity.owner_country == user.country, _member(entity.rel_to, user.country)),
        or_(entity.agencies == "", _member(entity.agencies, user.agency)),
        or_(
            and_(entity.tlp != "RED", entity.recipients == ""),
            _member(entity.recipients, f"{user.username}@{user.country}"),
            and_(entity.received.is_(False), entity.created_by == user.username),
        ),
        or_(
            entity.tlp != "AMBER+STRICT",
            entity.originating_agency == user.agency,
            _member(entity.agencies, user.agency),
        ),
    )


def released_to_partner(partner: PartnerNode, entity: Entity = Record) -> ColumnElement[bool]:
    """The gate's partner row as SQL: what a partner's TAXII collection holds."""
    partner_agencies = sorted(
        code for code, country in partner.agency_countries.items() if country == partner.country
    )
    return and_(
        entity.received.is_(False),
        entity.recalled.is_(False),
        _member(entity.rel_to, partner.country),
        entity.tlp != "RED",
        # Named recipients: at least one on the partner's node (stored user@COUNTRY).
        or_(
            entity.recipients == "",
            entity.recipients.contains(f"@{partner.country},", autoescape=True),
        ),
        or_(entity.agencies == "", *(_member(entity.agencies, code) for code in partner_agencies)),
    )
