"""The partner endpoints over HTTP: who may call them, problem details, refusals audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.accounts import service as accounts
from puente.audit.models import AuditEntry
from puente.node import Node
from puente.policy.roles import Principal
from puente.web.app import create_app
from tests.support.linked import Linked
from tests.support.nodes import add_user
from tests.support.partners import add_partner, basic


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
        "seq": 0, "full": True, "fingerprint_bytes": 8, "added": "", "removed": "", "next": "",
        "spec_version": 1, "spec_versions": [1, 2],
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


# --- An analyst's queries ----------------------------------------------------------------------


@pytest.fixture
def mx_api(linked: Linked) -> Iterator[tuple[TestClient, dict[str, str]]]:
    fer = add_user(linked.mx, "fer", "FGR", ["analyst"])
    with linked.mx.db.session() as session:
        issued = accounts.create_token(session, fer, "fer", "tests", 1)
    with TestClient(create_app(linked.mx)) as test_client:
        yield test_client, {"Authorization": f"Bearer {issued.token}"}


ASK = {"partner": "us-node", "case_reference": "FGR/0042", "legal_basis": "TAJM art. 1"}


def test_an_analyst_asks_through_the_api_and_reads_the_query_again(
    mx_api: tuple[TestClient, dict[str, str]], linked: Linked
) -> None:
    client, token = mx_api
    body = ASK | {"subjects": [
        {"given_names": "Pepe", "paternal_surname": "Hernandez", "date_of_birth": "1984-03-12"},
        {"category": "vehicle", "vin": "1HGCM82633A004353"},
    ]}  # fmt: skip
    response = client.post("/api/v1/hits/ask", json=body, headers=token)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["partner"] == "us-node"
    assert answer["matched"]["vehicle"] == []
    assert "person.name-dob" in answer["matched"]["person"]
    person, vehicle = answer["subjects"]
    assert (person["index"], person["label"], person["hit"]) == (
        0, "Pepe Hernandez, 1984-03-12", True)  # fmt: skip
    assert "person.name-dob" in person["matched"]
    assert (vehicle["hit"], vehicle["matched"]) == (False, [])
    assert vehicle["warnings"] == ["1HGCM82633A004353: the VIN's check digit does not match."]
    for held in (*linked.held, "José Luis", "Peña"):
        assert held not in response.text
    listed = client.get("/api/v1/hits/queries", headers=token)
    assert [q["query_id"] for q in listed.json()] == [answer["query_id"]]
    again = client.get(f"/api/v1/hits/queries/{answer['query_id']}", headers=token).json()
    assert again["subjects"] == answer["subjects"]
    assert answer["spec_version"] == again["spec_version"] == 2  # both nodes serve 1 and 2


def test_a_person_known_by_other_dates_of_birth_is_asked_about_them(
    mx_api: tuple[TestClient, dict[str, str]],
) -> None:
    client, token = mx_api
    person = {"given_names": "Pepe", "paternal_surname": "Hernandez",
              "other_dates_of_birth": ["1984-03-12", "1985"]}  # fmt: skip
    response = client.post("/api/v1/hits/ask", json=ASK | {"subjects": [person]}, headers=token)
    assert response.status_code == 200, response.text
    (answer,) = response.json()["subjects"]
    assert (answer["label"], answer["hit"]) == ("Pepe Hernandez, 1984-03-12 / 1985", True)
    assert answer["subject"] == {"category": "person", **person}
    query_id = response.json()["query_id"]
    again = client.get(f"/api/v1/hits/queries/{query_id}", headers=token).json()
    assert again["subjects"] == response.json()["subjects"]
    person["other_dates_of_birth"] = ["1984-03-12", "12/03/1984"]
    refused = client.post("/api/v1/hits/ask", json=ASK | {"subjects": [person]}, headers=token)
    assert [e["pointer"] for e in refused.json()["errors"]] == [
        "/subjects/0/other_dates_of_birth/1"
    ]


def test_a_csv_body_is_answered_per_row(mx_api: tuple[TestClient, dict[str, str]]) -> None:
    client, token = mx_api
    listed = "manufacturer,serial\nGlock,BKRT512\nColt,X1\nGlock,ZZZ9\n"
    response = client.post("/api/v1/hits/ask", json=ASK | {"csv": listed}, headers=token)
    assert response.status_code == 200, response.text
    assert [s["hit"] for s in response.json()["subjects"]] == [True, False, False]


def test_problems_point_into_the_body_all_at_once(
    mx_api: tuple[TestClient, dict[str, str]],
) -> None:
    client, token = mx_api
    body = ASK | {"case_reference": "", "subjects": [{"category": "firearm", "serial": "1"}]}
    refused = client.post("/api/v1/hits/ask", json=body, headers=token)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert {e["pointer"] for e in refused.json()["errors"]} == {
        "/case_reference", "/subjects/0/manufacturer"}  # fmt: skip
    listed = ASK | {"csv": "serial,manufacturer\n1,\n"}
    refused = client.post("/api/v1/hits/ask", json=listed, headers=token)
    assert [e["pointer"] for e in refused.json()["errors"]] == ["/csv/2/manufacturer"]
    both = client.post("/api/v1/hits/ask", json=listed | {"subjects": []}, headers=token)
    assert "either subjects or csv" in both.json()["detail"]


def test_an_unknown_partner_is_404_and_a_spent_quota_429(
    mx_api: tuple[TestClient, dict[str, str]], linked: Linked
) -> None:
    client, token = mx_api
    subject = {"subjects": [{"manufacturer": "Colt", "serial": "X1"}]}
    missing = client.post("/api/v1/hits/ask", json=ASK | subject | {"partner": "xx"},
                          headers=token)  # fmt: skip
    assert missing.status_code == 404
    linked.mx.settings.hits.queries_per_user_per_day = 1
    assert client.post("/api/v1/hits/ask", json=ASK | subject, headers=token).status_code == 200
    spent = client.post("/api/v1/hits/ask", json=ASK | subject, headers=token)
    assert spent.status_code == 429
    assert client.post("/api/v1/hits/ask", json=ASK | subject).status_code == 401


def test_only_analysts_ask_and_only_their_own_queries_read(
    mx_api: tuple[TestClient, dict[str, str]], linked: Linked
) -> None:
    client, token = mx_api
    asked = client.post("/api/v1/hits/ask", headers=token,
                        json=ASK | {"subjects": [{"vin": "1HGCM82633A004352"}]}).json()  # fmt: skip
    otto = add_user(linked.mx, "otto", "FGR", ["auditor"])
    with linked.mx.db.session() as session:
        other = {"Authorization": "Bearer "
                 + accounts.create_token(session, otto, "otto", "t", 1).token}  # fmt: skip
    refused = client.post("/api/v1/hits/ask", json=ASK | {"csv": "vin\n1HGCM82633A004352\n"},
                          headers=other)  # fmt: skip
    assert refused.status_code == 403
    lupe = add_user(linked.mx, "lupe", "FGR", ["analyst"])
    with linked.mx.db.session() as session:
        peer = {"Authorization": "Bearer "
                + accounts.create_token(session, lupe, "lupe", "t", 1).token}  # fmt: skip
    assert client.get(f"/api/v1/hits/queries/{asked['query_id']}", headers=peer).status_code == 404
    assert client.get("/api/v1/hits/queries", headers=peer).json() == []
