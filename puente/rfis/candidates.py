"""A request that follows a hit: what the analyst asked about, and which records hit.

On the asking node, a request from a hit takes its partner, case reference, legal basis,
subject and matched key types from the query the analyst sent (never from the form, which
could say otherwise). On the asked node, the liaison sees which of this node's records match
the subject: its keys, fingerprinted with the secret of that partner's index, looked up in
that index. Only records the partner could search are found, the ones that made the hit.
The partner has an index in each spec version this node serves: the subject is looked up in
the version the query followed when this node answered it, else in every version served.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from puente.errors import N_, InvalidInput, NotFound, Problem
from puente.hits import asking, psi
from puente.hits.answering import RECEIVED
from puente.hits.asking import SubjectAnswer
from puente.hits.models import HitIndexEntry, HitIndexState, HitQuery
from puente.hits.subjects import Subject
from puente.node import Node
from puente.policy import gate
from puente.policy.markings import Markings
from puente.policy.roles import Principal
from puente.records.models import Record
from puente.records.rows import facts_of, markings_of
from puente.rfis import release
from puente.rfis.models import Rfi
from puente.rfis.service import NewRequest


def _subject(session: Session, who: Principal, query_id: str, index: str) -> tuple[Any, int]:
    sent = asking.sent_query(session, who, query_id)
    # isascii: str.isdigit() takes "²" for a digit, which int() then refuses (a 500).
    number = int(index) if index.isascii() and index.isdigit() and len(index) < 7 else -1
    if not 0 <= number < len(sent.subjects):
        raise NotFound(N_("Query {id} has no subject {number}."), id=query_id, number=index)
    return sent, number


def prefill(session: Session, who: Principal, query_id: str, index: str) -> dict[str, Any]:
    """The request form's values for a follow-up to subject ``index`` of a query."""
    sent, number = _subject(session, who, query_id, index)
    asked: SubjectAnswer = sent.subjects[number]
    return {
        "partner": sent.partner,
        "case_reference": sent.case_reference,
        "legal_basis": sent.legal_basis,
        "title": asked.subject.label(),
        "hit_query_id": query_id,
        "subject_index": str(number),
        "subject_label": asked.subject.label(),
        "category": asked.subject.category,
        "matched": asked.matched,
    }


def attach_hit(session: Session, who: Principal, new: NewRequest, index: str) -> None:
    """Fill in what the request says about the hit from the query itself."""
    sent, number = _subject(session, who, new.hit_query_id, index)
    if new.partner != sent.partner:
        raise InvalidInput([Problem(N_("The hit came from {node}: ask that partner."),
                                    "/partner", {"node": sent.partner})])  # fmt: skip
    asked: SubjectAnswer = sent.subjects[number]
    new.category = asked.subject.category
    new.subject = asked.subject.as_dict()
    new.matched = list(asked.matched)


@dataclass
class Candidate:
    stix_id: str
    kind: str
    label: str
    markings: Markings
    approver: str = ""  # the agency whose approval its release would need, if any


def matching_records(session: Session, node: Node, who: Principal, rfi: Rfi) -> list[Candidate]:
    """This node's current records that match the request's subject, as ``who`` may see them."""
    if not rfi.subject:
        return []
    served = node.settings.hits.spec_versions
    answered = session.get(HitQuery, (rfi.hit_query_id, RECEIVED)) if rfi.hit_query_id else None
    if (
        answered is not None
        and answered.partner_id == rfi.partner_id
        and answered.spec_version in served
    ):
        served = [answered.spec_version]
    states = session.execute(
        select(HitIndexState).where(
            HitIndexState.partner_id == rfi.partner_id, HitIndexState.spec_version.in_(served)
        )
    ).scalars()
    subject = Subject.stored(orjson.loads(rfi.subject))
    found = []
    for state in states:
        secret = psi.IndexSecret(state.secret)
        prints = [secret.fingerprint(key) for key in subject.keys(state.spec_version).encoded()]
        if prints:
            found.append(
                select(HitIndexEntry.record_pk).where(
                    HitIndexEntry.partner_id == rfi.partner_id,
                    HitIndexEntry.spec_version == state.spec_version,
                    HitIndexEntry.fingerprint.in_(prints),
                    HitIndexEntry.removed_seq.is_(None),
                )
            )
    if not found:
        return []
    ids = select(Record.stix_id).where(Record.pk.in_(union_all(*found)))
    rows = session.execute(
        select(Record)
        .where(Record.stix_id.in_(ids), Record.is_current.is_(True), Record.revoked.is_(False))
        .order_by(Record.name)
    ).scalars()
    to = release.audience(session, node, who, rfi)
    return [
        Candidate(
            r.stix_id,
            r.kind,
            r.name or r.stix_id,
            markings_of(r),
            r.originating_agency if release.why_approval(r, to) else "",
        )
        for r in gate.release(rows, facts_of, who.audience)
    ]
