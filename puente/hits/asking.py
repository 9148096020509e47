"""The asking side of hit/no-hit: what a query must give, and the queries an analyst sent
(the exchange with the partner is :mod:`puente.hits.transport`).

The query is kept and audited here in full, subjects included, so that its asker can read it
again (:func:`sent_query`) and follow a hit up with a request for information; the asked node
keeps only its metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puente.audit import denials
from puente.audit import service as audit
from puente.clock import now
from puente.errors import (
    N_,
    InvalidInput,
    NotFound,
    Problem,
    QuotaExceeded,
)
from puente.hits.answering import SENT
from puente.hits.keys import MatchKey, Warning
from puente.hits.models import HitQuery
from puente.hits.subjects import Subject, check
from puente.node import Node
from puente.policy.roles import Principal, require
from puente.sharing.models import Partner


@dataclass
class SubjectAnswer:
    """One subject asked about: the key types of its that hit (none: no hit), and what was odd
    about its input."""

    subject: Subject
    matched: list[str] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    @property
    def hit(self) -> bool:
        return bool(self.matched)

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject.as_dict(), "matched": self.matched,
                "warnings": [{"message": w.message, "value": w.value} for w in self.warnings]}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubjectAnswer:
        # Stored by this node from a checked subject: read back without checking again.
        return cls(Subject.stored(data["subject"]), list(data.get("matched", [])),
                   [Warning(w["message"], w["value"]) for w in data.get("warnings", [])])  # fmt: skip


@dataclass
class Answer:
    """What an analyst learns: per subject and per category asked, whether it hit and through
    which keys."""

    query_id: str
    partner: str
    key_count: int
    matched: dict[str, list[str]] = field(default_factory=dict)  # category -> key types
    subjects: list[SubjectAnswer] = field(default_factory=list)
    case_reference: str = ""
    legal_basis: str = ""
    created_at: datetime | None = None
    spec_version: int = 1  # the match-key spec version the keys followed

    def hit(self, category: str) -> bool:
        return bool(self.matched.get(category))


@dataclass
class SentQuery(Answer):
    """A query this node sent, as its asker reads it again."""

    username: str = ""


def request_problems(case_reference: str, legal_basis: str) -> list[Problem]:
    """What is missing from a query's justification (the edges show it with other problems)."""
    problems = []
    if not case_reference.strip():
        problems.append(Problem(N_("A case reference is required."), "/case_reference"))
    elif len(case_reference.strip()) > 200:
        problems.append(Problem(N_("At most {limit} characters."), "/case_reference",
                                {"limit": 200}))  # fmt: skip
    if not legal_basis.strip():
        problems.append(Problem(N_("A legal basis is required."), "/legal_basis"))
    elif len(legal_basis.strip()) > 500:
        problems.append(Problem(N_("At most {limit} characters."), "/legal_basis",
                                {"limit": 500}))  # fmt: skip
    return problems


def check_request(
    node: Node, subjects: list[Subject], keys: set[MatchKey], case_reference: str, legal_basis: str
) -> None:
    problems = request_problems(case_reference, legal_basis)
    for index, subject in enumerate(subjects):
        problems += check(subject, f"/subjects/{index}")
    if not keys and not problems:
        problems.append(Problem(N_("Nothing to ask: the input gives no match key."), "/subjects"))
    limit = node.settings.hits.max_keys_per_query
    if len(keys) > limit:
        problems.append(Problem(N_("A query may hold at most {limit} keys, not {count}."),
                                "/subjects", {"limit": limit, "count": len(keys)}))  # fmt: skip
    if problems:
        raise InvalidInput(problems)


def check_quota(session: Session, node: Node, principal: Principal) -> None:
    limit = node.settings.hits.queries_per_user_per_day
    asked = session.execute(
        select(func.count()).where(
            HitQuery.direction == SENT,
            HitQuery.username == principal.username,
            HitQuery.created_at >= now() - timedelta(days=1),
        )
    ).scalar_one()
    if asked >= limit:
        raise QuotaExceeded(N_("You have used your {limit} queries for the last 24 hours."),
                            limit=limit)  # fmt: skip


def _sent(row: HitQuery, partner_node_id: str) -> SentQuery:
    stored = orjson.loads(row.subjects or "[]")
    return SentQuery(
        query_id=row.id,
        partner=partner_node_id,
        key_count=row.key_count,
        matched=orjson.loads(row.hits) if row.hits else {},
        subjects=[SubjectAnswer.from_dict(item) for item in stored],
        case_reference=row.case_reference,
        legal_basis=row.legal_basis,
        created_at=row.created_at,
        spec_version=row.spec_version,
        username=row.username,
    )


def sent_query(session: Session, principal: Principal, query_id: str) -> SentQuery:
    """A query its asker sent, with the subjects and what hit; only its asker may read it.

    ``subjects[i]`` is the subject a follow-up refers to as ``subject=<i>``.
    """
    require(principal, "hits.query")
    found = session.execute(
        select(HitQuery, Partner.node_id)
        .join(Partner, Partner.id == HitQuery.partner_id)
        .where(HitQuery.id == query_id, HitQuery.direction == SENT)
    ).one_or_none()
    # Another user's query reads as a missing one: its id tells nobody else anything.
    if found is None or found[0].username != principal.username:
        denials.note(session, principal.username, "hits.denied", query_id)
        raise NotFound(N_("No query {id} of yours."), id=query_id)
    sent = _sent(found[0], found[1])
    audit.append(session, principal.username, "hits.read", query_id,
                 details={"partner": sent.partner, "case_reference": sent.case_reference,
                          "hits": sent.matched})  # fmt: skip
    return sent


def sent_queries(session: Session, principal: Principal, limit: int = 20) -> list[SentQuery]:
    """The user's own most recent queries, newest first."""
    require(principal, "hits.query")
    rows = session.execute(
        select(HitQuery, Partner.node_id)
        .join(Partner, Partner.id == HitQuery.partner_id)
        .where(HitQuery.direction == SENT, HitQuery.username == principal.username)
        .order_by(HitQuery.created_at.desc(), HitQuery.id)
        .limit(max(1, min(limit, 200)))
    ).all()
    sent = [_sent(row, node_id) for row, node_id in rows]
    if sent:  # what hit, for each: a read of the answers like hits.read
        audit.append(session, principal.username, "hits.list", f"{len(sent)} queries",
                     details={"ids": [q.query_id for q in sent]})  # fmt: skip
    return sent


@dataclass(frozen=True)
class PartnerChoice:
    node_id: str
    display_name: str
    country: str


def askable_partners(session: Session, principal: Principal) -> list[PartnerChoice]:
    """The enabled partners an analyst may ask."""
    require(principal, "hits.query")
    rows = session.execute(
        select(Partner).where(Partner.enabled.is_(True)).order_by(Partner.node_id)
    ).scalars()
    return [PartnerChoice(p.node_id, p.display_name, p.country) for p in rows]
