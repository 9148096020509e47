"""The partner endpoints over HTTP: who may call them, problem details, refusals audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.accounts.service import Principal
from puente.audit.models import AuditEntry
from puente.node import Node
from puente.web.app import create_app
from tests.sharing.test_taxii import add_partner, basic


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


def test_only_partner_nodes_call_the_endpoints(
    client: TestClient, node: Node, admin: Principal
) -> None:
    assert client.get("/api/v1/hits/index").status_code == 401
    secret = add_partner(node, admin)
    partner = basic("mx-node", secret) | {"Accept": "application/json"}
    index = client.get("/api/v1/hits/index", headers=partner)
    assert index.status_code == 200
    assert index.json() | {"added": "", "removed": ""} == {
        "seq": 0, "full": True, "fingerprint_bytes": 8, "added": "", "removed": ""
    }  # fmt: skip


def test_a_refused_query_gets_problem_details_and_an_audit_entry(
    client: TestClient, node: Node, admin: Principal
) -> None:
    secret = add_partner(node, admin)
    headers = basic("mx-node", secret) | {"Accept": "application/json",
                                           "Content-Type": "application/json"}  # fmt: skip
    broken = client.post("/api/v1/hits/query", content=b'{"type": ', headers=headers)
    assert broken.status_code == 422
    assert "Malformed JSON" in broken.json()["detail"]
    wrong = client.post("/api/v1/hits/query", json={"type": "x-puente-hit-query", "id": "q-1"},
                        headers=headers)  # fmt: skip
    assert wrong.status_code == 401  # not signed by the partner's pinned key
    with node.db.session() as session:
        refused = list(session.execute(
            select(AuditEntry).where(AuditEntry.action == "hits.refused").order_by(AuditEntry.seq)
        ).scalars())  # fmt: skip
    assert [(e.actor, e.target) for e in refused] == [("partner:mx-node", ""),
                                                      ("partner:mx-node", "q-1")]  # fmt: skip
