"""The plan over the REST API: write elements, record progress, read the tree, move the file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from puente.node import Node
from puente.web.app import create_app
from tests.support.nodes import token_headers

SAMPLE = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client


def test_a_coordinator_writes_the_plan_and_records_progress(client: TestClient, node: Node) -> None:
    laura = token_headers(node, "laura", "INL", "coordinator")
    imported = client.post("/api/v1/plan/import", content=SAMPLE.encode(),
                           headers=laura | {"Content-Type": "application/yaml"})  # fmt: skip
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 4
    added = client.put("/api/v1/plan/elements", headers=laura, json=[{
        "code": "1.1.1.2", "level": "action", "parent": "1.1.1",
        "title": {"en": "Port scanners", "es": "Escáneres en puertos"},
        "leads": {"USA": ["CBP"]}, "due_date": "2026-06-30"}])  # fmt: skip
    assert added.status_code == 200, added.text
    update = client.post("/api/v1/plan/elements/1.1.1.2/updates", headers=laura,
                         json={"text": "Two scanners installed", "status": "delayed",
                               "progress": 20, "date": "2026-11-01"})  # fmt: skip
    assert update.status_code == 201
    (goal,) = client.get("/api/v1/plan", headers=laura).json()
    actions = goal["children"][0]["children"][0]["children"]
    assert [(a["code"], a["status"], a["progress"]) for a in actions] == [
        ("1.1.1.1", "on_track", 45), ("1.1.1.2", "delayed", 20)]  # fmt: skip
    assert actions[1]["overdue"] is True  # due 2026-06-30, not completed
    exported = client.get("/api/v1/plan/export", headers=laura)
    assert exported.headers["content-type"].startswith("application/yaml")
    assert "Escáneres en puertos" in exported.text


def test_bad_elements_get_problem_details_with_pointers(client: TestClient, node: Node) -> None:
    laura = token_headers(node, "laura", "INL", "coordinator")
    refused = client.put("/api/v1/plan/elements", headers=laura | {"Accept-Language": "es"},
                         json=[{"code": "1.1.1.1", "level": "action", "parent": "1.1.1",
                                "title": {"en": "X", "es": "X"}},
                               {"code": "1.2", "level": "action", "parent": "1.1.1",
                                "title": {"en": "Y", "es": "Y"}}])  # fmt: skip
    assert refused.status_code == 422
    errors = {e["pointer"]: e["detail"] for e in refused.json()["errors"]}
    assert errors["/0/parent"] == "No hay un elemento 1.1.1 en el plan que pueda ser el superior."
    # The level is named in the reader's language too, not only the sentence around it.
    assert errors["/1/code"] == ("Un elemento de tipo Acción de cooperación tiene un código de 4 "
                                 "números, p. ej. 2.1.3.4.")  # fmt: skip
    assert "/0/leads" in errors
    analyst = token_headers(node, "ana", "CBP", "analyst")
    assert client.put("/api/v1/plan/elements", headers=analyst, json=[]).status_code == 403


def test_what_cannot_be_read_is_said_in_the_callers_language(
    client: TestClient, node: Node
) -> None:
    laura = token_headers(node, "laura", "INL", "coordinator") | {"Accept-Language": "es"}
    refused = client.put("/api/v1/plan/elements", headers=laura, json=[
        {"code": "1", "level": "goal", "title": {"en": "X", "es": "X"}, "due_date": "31/12/2026",
         "milestones": "Cell staffed", "colour": "red"}, "1.1"])  # fmt: skip
    assert refused.status_code == 422
    errors = {e["pointer"]: e["detail"] for e in refused.json()["errors"]}
    assert errors == {
        "/0/due_date": "31/12/2026 no es una fecha: escriba AAAA-MM-DD.",
        "/0/milestones": "milestones debe ser una lista.",
        "/0/colour": "Campo desconocido colour.",
        "/1": "Cada elemento es un mapeo de campos.",
    }
    # Progress as the file writes it (text) reads as a JSON number does; a bad one is refused.
    update = client.post("/api/v1/plan/elements/1/updates", headers=laura,
                         json={"text": "x", "status": "on_track", "progress": "1_5"})  # fmt: skip
    assert update.json()["errors"] == [
        {"detail": "1_5 no es un número entero.", "pointer": "/progress", "in": "body"}]  # fmt: skip
