"""The plan's meetings over the REST API: list, read one, record or change them all or
nothing, problems naming the field, and only for those who write the plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from puente.node import Node
from puente.plan import yaml_io
from puente.web.app import create_app
from tests.support.nodes import add_user, token_headers
from tests.support.plan import MEETINGS

SAMPLE = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")
NEW = {
    "code": "SIG-2027-01", "kind": "sig", "date": "2027-01-23", "place": "Washington, D.C.",
    "title": {"en": "Security Implementation Group", "es": "Grupo de Implementación de Seguridad"},
    "participants": [{"name": "Laura Whitman", "role": "Co-chair", "agency": "INL"}],
    "agenda": [{"en": "Assessment of the period", "es": "Evaluación del periodo"}],
    "actions": ["1.1.1.1"],
}  # fmt: skip


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        yaml_io.import_plan(session, node, laura, SAMPLE + MEETINGS)
    with TestClient(create_app(node)) as test_client:
        yield test_client


def _meeting(client: TestClient, headers: dict[str, str], code: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/plan/meetings/{code}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_list_get_and_put_meetings(client: TestClient, node: Node) -> None:
    laura = token_headers(node, "laura2", "INL", "coordinator")
    listed = client.get("/api/v1/plan/meetings", headers=laura).json()
    assert [(m["code"], m["owner_node"], m["date"]) for m in listed] == [
        ("SIG-2026-09", "us-node", "2026-09-18")]  # fmt: skip
    held = _meeting(client, laura, "SIG-2026-09")
    assert held["expectations"] == [{"text": {"en": "Cell fully staffed", "es": "Célula completa"},
                                     "subject": "1.1.1.1", "due_date": "2026-12-31"}]  # fmt: skip
    assert held["id"].startswith("x-puente-plan-meeting--")
    # A new one and a change to the one held (its expectations left out: they stay).
    changed = {k: held[k] for k in ("code", "kind", "title", "date", "agenda", "actions")}
    saved = client.put("/api/v1/plan/meetings", headers=laura,
                       json=[NEW, changed | {"place": "Monterrey"}])  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert saved.json()["ids"][1] == held["id"]
    assert [m["code"] for m in client.get("/api/v1/plan/meetings", headers=laura).json()] == [
        "SIG-2026-09", "SIG-2027-01"]  # fmt: skip
    again = _meeting(client, laura, "SIG-2026-09")
    assert (again["place"], again["expectations"]) == ("Monterrey", held["expectations"])
    new = _meeting(client, laura, "SIG-2027-01")
    assert new["participants"] == NEW["participants"]
    assert new["owner_node"] == "us-node"
    # Expectations given replace those held.
    client.put("/api/v1/plan/meetings", headers=laura, json=[changed | {"expectations": []}])
    assert _meeting(client, laura, "SIG-2026-09")["expectations"] == []
    missing = client.get("/api/v1/plan/meetings/SIG-1999-01", headers=laura)
    assert missing.status_code == 404


def test_bad_meetings_get_problems_naming_the_field_and_nothing_is_saved(
    client: TestClient, node: Node
) -> None:
    laura = token_headers(node, "laura2", "INL", "coordinator")
    bad = NEW | {"code": "SIG-27", "actions": ["1.1.1.1", "1.1.1", "9.9.9.9"]}
    refused = client.put("/api/v1/plan/meetings", headers=laura, json=[NEW | {"code": "WG-2027-02"},
                                                                       bad])  # fmt: skip
    assert refused.status_code == 422
    errors = {e["pointer"]: e["detail"] for e in refused.json()["errors"]}
    assert errors == {
        "/1/code": "A meeting's code is like SIG-2027-01 or MIN-2027-02.",
        "/1/actions/1": "1.1.1 is not an action: a meeting creates or re-assigns actions.",
        "/1/actions/2": "No element 9.9.9.9 in the plan.",
    }
    shape = client.put("/api/v1/plan/meetings", headers=laura,
                       json=[NEW | {"date": "23/01/2027"}])  # fmt: skip
    assert shape.status_code == 422
    assert [e["pointer"] for e in shape.json()["errors"]] == ["/0/date"]
    listed = client.get("/api/v1/plan/meetings", headers=laura).json()
    assert [m["code"] for m in listed] == ["SIG-2026-09"]


def test_an_analyst_reads_the_meetings_but_may_not_write_them(
    client: TestClient, node: Node
) -> None:
    analyst = token_headers(node, "ana", "CBP", "analyst")
    assert client.get("/api/v1/plan/meetings", headers=analyst).status_code == 200
    refused = client.put("/api/v1/plan/meetings", headers=analyst, json=[NEW])
    assert refused.status_code == 403
    listed = client.get("/api/v1/plan/meetings", headers=analyst).json()
    assert [m["code"] for m in listed] == ["SIG-2026-09"]
