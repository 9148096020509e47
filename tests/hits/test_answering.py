"""The asked node answers only well-formed, fresh, signed queries within its partner's quota;
every refusal says what is wrong and where, and nothing of a refused query is kept."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from puente.clock import now
from puente.errors import Conflict, InvalidInput, QuotaExceeded, Unauthenticated
from puente.hits import answering, psi
from puente.hits.models import HitQuery
from puente.node import Node
from puente.policy.roles import Principal
from puente.sharing import signing
from puente.sharing.models import Partner
from puente.sharing.partners import PartnerPrincipal
from tests.support.partners import add_keyed_partner


@pytest.fixture
def mexico(node: Node, admin: Principal, tmp_path: Path) -> tuple[PartnerPrincipal, Path]:
    key_path = add_keyed_partner(node, admin, tmp_path)
    with node.db.session() as session:
        partner = session.execute(select(Partner)).scalar_one()
        return PartnerPrincipal(partner.id, partner.node_id, partner.country), key_path


def _query(node: Node, key_path: Path, **changes: Any) -> dict[str, Any]:
    blinding = psi.Blinding()
    body: dict[str, Any] = {
        "type": answering.QUERY_TYPE, "id": str(uuid.uuid4()),
        "created": now().isoformat().replace("+00:00", "Z"), "asking_node": "mx-node",
        "asked_node": node.settings.node_id, "agency": "FGR", "case_reference": "C-1",
        "legal_basis": "TAJM art. 1",
        "points": [base64.b64encode(blinding.blind(b"1|vehicle.vin|X")).decode()],
    }  # fmt: skip
    body.update(changes)
    return signing.sign(key_path, body)


def _answer(node: Node, who: PartnerPrincipal, body: Any) -> dict[str, Any]:
    with node.db.session() as session:
        return answering.answer(session, node, who, body)


def _kept(node: Node) -> int:
    with node.db.session() as session:
        return int(session.execute(select(func.count()).select_from(HitQuery)).scalar_one())


def test_a_good_query_is_answered_once(node: Node, mexico: tuple[PartnerPrincipal, Path]) -> None:
    who, key_path = mexico
    body = _query(node, key_path)
    assert len(_answer(node, who, body)["answers"]) == 1
    with pytest.raises(Conflict):
        _answer(node, who, body)
    assert _kept(node) == 1


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"case_reference": " "}, "/case_reference"),
        ({"legal_basis": None}, "/legal_basis"),
        ({"asked_node": "somebody-else"}, "/asked_node"),
        ({"created": "2020-01-01T00:00:00Z"}, "/created"),
        ({"created": "yesterday"}, "/created"),
        ({"id": "not-a-uuid"}, "/id"),
        ({"points": []}, "/points"),
        ({"points": ["not base64!"]}, "/points/0"),
        ({"points": [base64.b64encode(b"short").decode()]}, "/points/0"),
        ({"spec_version": 3}, "/spec_version"),
        ({"spec_version": "2"}, "/spec_version"),
        ({"spec_version": True}, "/spec_version"),
    ],
)
def test_a_malformed_query_is_refused_with_where(
    node: Node, mexico: tuple[PartnerPrincipal, Path], changes: dict[str, Any], pointer: str
) -> None:
    who, key_path = mexico
    with pytest.raises(InvalidInput) as refused:
        _answer(node, who, _query(node, key_path, **changes))
    assert pointer in [p.pointer for p in refused.value.problems]
    assert _kept(node) == 0


def test_an_oversized_query_and_a_point_of_small_order_are_refused(
    node: Node, mexico: tuple[PartnerPrincipal, Path]
) -> None:
    who, key_path = mexico
    point = base64.b64encode(bytes(32)).decode()  # u = 0: a point of small order
    with pytest.raises(InvalidInput):
        _answer(node, who, _query(node, key_path, points=[point]))
    too_many = [point] * (node.settings.hits.max_keys_per_query + 1)
    with pytest.raises(InvalidInput) as refused:
        _answer(node, who, _query(node, key_path, points=too_many))
    assert "at most" in refused.value.problems[0].message
    assert _kept(node) == 0


def test_a_query_not_signed_by_the_partner_is_refused(
    node: Node, mexico: tuple[PartnerPrincipal, Path]
) -> None:
    who, key_path = mexico
    body = _query(node, key_path)
    body["case_reference"] = "changed after signing"
    with pytest.raises(Unauthenticated):
        _answer(node, who, body)
    with pytest.raises(InvalidInput):
        _answer(node, who, ["not", "a", "query"])


def test_the_partner_quota_answers_429_until_the_day_has_passed(
    node: Node, mexico: tuple[PartnerPrincipal, Path]
) -> None:
    who, key_path = mexico
    node.settings.hits.queries_per_partner_per_day = 2
    _answer(node, who, _query(node, key_path))
    _answer(node, who, _query(node, key_path))
    with pytest.raises(QuotaExceeded):
        _answer(node, who, _query(node, key_path))
    with node.db.session() as session:
        for query in session.execute(select(HitQuery)).scalars():
            query.created_at = now() - timedelta(days=1, minutes=1)
    assert _answer(node, who, _query(node, key_path))["answers"]


def test_a_query_is_answered_with_the_secret_of_its_spec_versions_index(
    node: Node, mexico: tuple[PartnerPrincipal, Path]
) -> None:
    """Each version's index has its own secret: the same point gets another answer in each.
    A query that names no version (a node from before versions) is answered in version 1."""
    who, key_path = mexico
    point = base64.b64encode(psi.Blinding().blind(b"1|vehicle.vin|X")).decode()
    answers = {
        version: _answer(node, who, _query(node, key_path, points=[point], **named))
        for version, named in ((1, {}), (2, {"spec_version": 2}))
    }
    assert {version: answer["spec_version"] for version, answer in answers.items()} == {1: 1, 2: 2}
    assert answers[1]["answers"] != answers[2]["answers"]
    with node.db.session() as session:
        versions = sorted(session.execute(select(HitQuery.spec_version)).scalars())
    assert versions == [1, 2]


def test_a_version_no_longer_served_is_refused_naming_those_served(
    node: Node, mexico: tuple[PartnerPrincipal, Path]
) -> None:
    who, key_path = mexico
    node.settings.hits.spec_versions = [2]
    with pytest.raises(InvalidInput) as refused:
        _answer(node, who, _query(node, key_path))  # no spec_version: version 1
    (problem,) = refused.value.problems
    assert (problem.pointer, problem.params["served"]) == ("/spec_version", "2")
    with node.db.session() as session, pytest.raises(answering.UnservedVersion) as unserved:
        answering.index_changes(session, who, 0, version=1, served=[2])
    assert unserved.value.served == [2]
    assert _kept(node) == 0


def test_a_delta_reads_the_removed_entries_through_their_own_index(node: Node) -> None:
    """On SQLite, approximate statistics once sent the removed page walking the whole
    fingerprint index (a second a query at a million keys): its index is named."""
    with node.db.session() as session:
        if session.get_bind().dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL's statistics know how few entries are removed")
        plan = " ".join(
            str(row[-1]) for row in session.execute(
                text(f"EXPLAIN QUERY PLAN {answering._REMOVED_PAGE_SQLITE.text}"),
                {"partner": 1, "version": 1, "since": 1, "after": b"", "limit": 10},
            )
        )  # fmt: skip
    assert (
        "ix_hit_index_entries_index_removed (partner_id=? AND spec_version=? AND removed_seq>?)"
        in plan
    )
