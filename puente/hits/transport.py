"""Asking the partner over HTTP: hit/no-hit by private set intersection (a job: it opens its
own units of work and calls the partner, never inside a caller's transaction).

:func:`ask` brings this node's copy of the partner's published index up to date (only what
changed since the last time, :func:`refresh_copy`, which also runs after every pull), sends
the blinded keys in a query signed with this node's key under the analyst's agency, case
reference and legal basis, unblinds the answers and looks them up. The answer is hit or no hit
per subject asked about (and per category), with the key types that matched: nothing of the
partner's records crosses.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any, cast

import httpx
import orjson
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import now
from puente.errors import N_, Forbidden, PuenteError, QuotaExceeded, Unavailable
from puente.hits import psi
from puente.hits.answering import QUERY_TYPE, SENT
from puente.hits.asking import Answer, SubjectAnswer, check_quota, check_request
from puente.hits.keys import Keys, MatchKey
from puente.hits.models import HitQuery, PartnerPrint, PartnerPrintState
from puente.hits.subjects import Subject
from puente.node import Node
from puente.policy.roles import Principal, require
from puente.records.builder import stix_now
from puente.sharing import signing
from puente.sharing.client import partner_client
from puente.sharing.partners import get_partner

INDEX_PATH = "/api/v1/hits/index"  # the asked node's endpoints, for partner nodes only
QUERY_PATH = "/api/v1/hits/query"
LOOKUP_BATCH = 500


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
    check_request(node, subjects, keys, case_reference, legal_basis)
    with node.db.session() as session:
        check_quota(session, node, principal)
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
