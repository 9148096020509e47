"""The gate's local-user row, as a SQL condition, so searches page over what a user may see.

This must agree with :func:`puente.policy.gate.decide` for :class:`LocalUser`; the gate still
checks every row that leaves, and a property test holds the two to the same answers.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from puente.policy.gate import LocalUser
from puente.records.models import Record


def _member(column: InstrumentedAttribute[str], value: str) -> ColumnElement[bool]:
    return column.contains(f",{value},", autoescape=True)


def visible_to_user(user: LocalUser) -> ColumnElement[bool]:
    return and_(
        or_(Record.owner_country == user.country, _member(Record.rel_to, user.country)),
        or_(Record.agencies == "", _member(Record.agencies, user.agency)),
        or_(
            Record.tlp != "RED",
            _member(Record.recipients, user.username),
            Record.created_by == user.username,
        ),
        or_(
            Record.tlp != "AMBER+STRICT",
            Record.originating_agency == user.agency,
            _member(Record.agencies, user.agency),
        ),
    )
