"""The asking side of hit/no-hit: an analyst's keys, blinded, answered, looked up.

:func:`ask` brings this node's copy of the partner's published index up to date (only what
changed since the last time), sends the blinded keys in a query signed with this node's key
under the analyst's agency, case reference and legal basis, unblinds the answers and looks
them up. The answer is hit or no hit per subject asked about (and per category), with the key
types that matched: nothing of the partner's records crosses. The query is kept and audited
here in full, subjects included, so that its asker can read it again (:func:`sent_query`) and
follow a hit up with a request for information; the asked node keeps only its metadata.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
import orjson
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from puente.accounts.service import Principal, now, require
from puente.audit import service as audit
from puente.errors import (
    N_,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    PuenteError,
    QuotaExceeded,
    Unavailable,
)
from puente.hits import psi
from puente.hits.answering import QUERY_TYPE, SENT
from puente.hits.keys import Keys, MatchKey, Warning
from puente.hits.models import HitQuery, PartnerPrint, PartnerPrintState
from puente.hits.subjects import Subject, check
from puente.node import Node
from puente.records.builder import stix_now
from puente.sharing import signing
from puente.sharing.client import partner_client
from puente.sharing.models import Partner
from puente.sharing.partners import get_partner

INDEX_PATH = "/api/v1/hits/index"  # the asked node's endpoints, for partner nodes only
QUERY_PATH = "/api/v1/hits/query"
LOOKUP_BATCH = 500


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


def _check(
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


def _check_quota(session: Session, node: Node, principal: Principal) -> None:
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


def _partner_error(response: httpx.Response, partner: str) -> PuenteError:
    try:
        detail = str(orjson.loads(response.content).get("detail", ""))
    except (orjson.JSONDecodeError, AttributeError):
        detail = response.text[:200]
    if response.status_code == 429:
        return QuotaExceeded(N_("{node} refused the query: {reason}"), node=partner, reason=detail)
    return Unavailable(N_("Could not query {node}: {reason}"), node=partner,
                       reason=f"HTTP {response.status_code} {detail}".strip())  # fmt: skip


def _split(blob: str) -> list[bytes]:
    raw = base64.b64decode(blob)
    size = psi.FINGERPRINT_BYTES
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def refresh_copy(node: Node, partner_id: int, partner_node_id: str, http: httpx.Client) -> int:
    """Bring this node's copy of the partner's published index up to date; its size."""
    with node.db.session() as session:
        state = session.get(PartnerPrintState, partner_id)
        since = state.seq if state is not None else 0
    response = http.get(INDEX_PATH, params={"since": since}, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise _partner_error(response, partner_node_id)
    body: dict[str, Any] = orjson.loads(response.content)
    added, removed = _split(body["added"]), _split(body["removed"])
    with node.db.session() as session:
        state = session.get(PartnerPrintState, partner_id)
        if state is None:
            state = PartnerPrintState(partner_id=partner_id, seq=0, key_count=0)
            session.add(state)
        connection = session.connection()
        count = 0 if body["full"] else state.key_count
        if body["full"]:
            connection.execute(delete(PartnerPrint).where(PartnerPrint.partner_id == partner_id))
        for start in range(0, len(removed), LOOKUP_BATCH):
            result = connection.execute(
                delete(PartnerPrint).where(
                    PartnerPrint.partner_id == partner_id,
                    PartnerPrint.fingerprint.in_(removed[start : start + LOOKUP_BATCH]),
                )
            )
            count -= int(getattr(result, "rowcount", 0) or 0)
        if added:
            fresh = set(added)
            if not body["full"]:  # a fingerprint two records share may already be here
                fresh -= _held(session, partner_id, list(fresh))
            if fresh:
                rows = [{"partner_id": partner_id, "fingerprint": f} for f in fresh]
                connection.execute(insert(cast(Table, PartnerPrint.__table__)), rows)
            count += len(fresh)
        state.seq = int(body["seq"])
        state.key_count = count  # kept as it changes: counting a million rows costs a query
        state.fetched_at = now()
        return state.key_count


def _held(session: Session, partner_id: int, prints: list[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    for start in range(0, len(prints), LOOKUP_BATCH):
        found |= set(
            session.execute(
                select(PartnerPrint.fingerprint).where(
                    PartnerPrint.partner_id == partner_id,
                    PartnerPrint.fingerprint.in_(prints[start : start + LOOKUP_BATCH]),
                )
            ).scalars()
        )
    return found


def ask(
    node: Node,
    principal: Principal,
    partner_node_id: str,
    subjects: list[Subject],
    *,
    case_reference: str,
    legal_basis: str,
) -> Answer:
    """Ask the partner whether it holds records of these subjects; hit or no hit for each.

    Opens its own units of work and calls the partner over HTTP: never call it while holding
    a transaction (on SQLite, the request's would keep the write lock from it).
    A refusal, here or by the partner, is audited (in a transaction of its own) and raised.
    """
    require(principal, "hits.query")
    subject_keys = [subject.keys() for subject in subjects]
    keys: set[MatchKey] = set()
    for found in subject_keys:
        keys |= found.keys  # a key two subjects share is asked once
    try:
        return _ask(node, principal, partner_node_id, subjects, subject_keys, keys,
                    case_reference, legal_basis)  # fmt: skip
    except PuenteError as exc:
        with node.db.session() as session:
            audit.append(session, principal.username, "hits.refused", partner_node_id,
                         details={"kind": exc.kind, "reason": exc.problems[0].message,
                                  "case_reference": case_reference[:200],
                                  "subjects": len(subjects), "keys": len(keys)})  # fmt: skip
        raise


def _ask(
    node: Node,
    principal: Principal,
    partner_node_id: str,
    subjects: list[Subject],
    subject_keys: list[Keys],
    keys: set[MatchKey],
    case_reference: str,
    legal_basis: str,
) -> Answer:
    _check(node, subjects, keys, case_reference, legal_basis)
    with node.db.session() as session:
        _check_quota(session, node, principal)
        partner = get_partner(session, partner_node_id)
        if not partner.enabled:
            raise Forbidden(N_("Partner {node} is disabled."), node=partner_node_id)
        partner_id = partner.id
    ordered: list[MatchKey] = sorted(keys)
    blinding = psi.Blinding()
    body: dict[str, Any] = {
        "type": QUERY_TYPE,
        "id": str(uuid.uuid4()),
        "created": stix_now(),
        "asking_node": node.settings.node_id,
        "asked_node": partner_node_id,
        "agency": principal.agency,
        "case_reference": case_reference.strip(),
        "legal_basis": legal_basis.strip(),
        "points": [base64.b64encode(blinding.blind(k.encode())).decode() for k in ordered],
    }
    signed = signing.sign(node.settings.key_path, body)
    try:
        with partner_client(node, partner_id) as http:
            refresh_copy(node, partner_id, partner_node_id, http)
            response = http.post(QUERY_PATH, content=orjson.dumps(signed),
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/json"})  # fmt: skip
    except httpx.HTTPError as exc:
        raise Unavailable(N_("Could not query {node}: {reason}"), node=partner_node_id,
                          reason=str(exc) or type(exc).__name__) from None  # fmt: skip
    if response.status_code != 200:
        raise _partner_error(response, partner_node_id)
    answers = orjson.loads(response.content).get("answers", [])
    if not isinstance(answers, list) or len(answers) != len(ordered):
        raise Unavailable(N_("Could not query {node}: {reason}"), node=partner_node_id,
                          reason="the answer does not match the query")  # fmt: skip
    prints = [blinding.unblind(base64.b64decode(a)) for a in answers]
    asked = list(zip(subjects, subject_keys, strict=True))
    return _record(node, principal, partner_id, partner_node_id, signed, asked, ordered, prints)


def _record(
    node: Node,
    principal: Principal,
    partner_id: int,
    partner_node_id: str,
    signed: dict[str, Any],
    asked: list[tuple[Subject, Keys]],
    ordered: list[MatchKey],
    prints: list[bytes],
) -> Answer:
    with node.db.session() as session:
        held = _held(session, partner_id, prints)
        hits = {key for key, fingerprint in zip(ordered, prints, strict=True)
                if fingerprint in held}  # fmt: skip
        answer = Answer(str(signed["id"]), partner_node_id, len(ordered),
                        case_reference=signed["case_reference"],
                        legal_basis=signed["legal_basis"], created_at=now())  # fmt: skip
        for category in sorted({k.category for k in ordered}):
            answer.matched[category] = sorted({k.type for k in hits if k.category == category})
        for subject, keys in asked:
            matched = sorted({k.type for k in keys.keys & hits})
            answer.subjects.append(SubjectAnswer(subject, matched, list(keys.warnings)))
        session.add(HitQuery(
            id=answer.query_id, direction=SENT, partner_id=partner_id,
            username=principal.username, agency=principal.agency,
            case_reference=signed["case_reference"], legal_basis=signed["legal_basis"],
            key_count=len(ordered), categories=",".join(answer.matched),
            hits=orjson.dumps(answer.matched).decode(),
            subjects=orjson.dumps([s.as_dict() for s in answer.subjects]).decode(),
            created_at=answer.created_at,
        ))  # fmt: skip
        # The audit log names the key types, never the subjects: the query row holds those.
        audit.append(session, principal.username, "hits.ask", answer.query_id,
                     details={"partner": partner_node_id, "case_reference":
                              signed["case_reference"], "legal_basis": signed["legal_basis"],
                              "subjects": len(asked), "keys": len(ordered),
                              "key_types": sorted({k.type for k in ordered}),
                              "hit_subjects": [i for i, s in enumerate(answer.subjects) if s.hit],
                              "matched": answer.matched})  # fmt: skip
    return answer


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
        raise NotFound(N_("No query {id} of yours."), id=query_id)
    return _sent(found[0], found[1])


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
    return [_sent(row, node_id) for row, node_id in rows]


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
