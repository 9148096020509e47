"""The plan's pages: the tree with progress, an element with its updates, and the forms."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from puente.node import Node
from puente.plan import yaml_io
from puente.web.app import create_app
from tests.conftest import add_user
from tests.web.test_views import page, sign_in

SAMPLE = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")


@pytest.fixture
def desk(node: Node) -> Iterator[tuple[TestClient, str]]:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        yaml_io.import_plan(session, node, laura, SAMPLE)
    with TestClient(create_app(node), follow_redirects=False) as client:
        yield client, sign_in(client, "laura")


def test_the_tree_shows_progress_and_status_in_both_languages(desk: tuple[TestClient, str]) -> None:
    client, _ = desk
    doc = page(client.get("/plan").text)
    action = doc.one(id="plan-1-1-1-1")
    assert "Joint precursor targeting cell" in action.text()
    assert action.one("progress").attrs["value"] == "45"
    assert action.one("span", class_="plan-status plan-status-on_track").text() == "On track"
    spanish = page(client.get("/plan?lang=es").text)
    assert "Célula conjunta de selección de precursores" in spanish.one(id="plan-1-1-1-1").text()
    assert "En curso" in spanish.one(id="plan-1-1-1-1").text()


def test_recording_progress_from_the_element_page(desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    refused = client.post("/plan/1.1.1.1/updates", data={"csrf_token": csrf, "text": "",
                                                          "status": "at_risk", "progress": "50"})  # fmt: skip
    assert refused.status_code == 422
    assert "Say what progress was made." in page(refused.text).one(id="error-summary").text()
    done = client.post("/plan/1.1.1.1/updates", data={"csrf_token": csrf, "status": "at_risk",
                       "text": "Customs data late", "progress": "50", "date": "2026-11-26"})  # fmt: skip
    assert done.status_code == 303
    doc = page(client.get("/plan/1.1.1.1").text)
    assert doc.one(id="plan-status").text() == "At risk"
    first = doc.one(id="plan-updates").one("tbody").all("tr")[0]
    assert [c.text() for c in first.all("td")] == ["2026-11-26", "laura · us-node", "At risk",
                                                   "50 %", "Customs data late"]  # fmt: skip


def test_creating_and_moving_an_element_with_the_form(desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    form = {"csrf_token": csrf, "level": "action", "code": "1.1.1.2", "parent": "1.1.1",
            "title_en": "Port scanners", "title_es": "Escáneres en puertos",
            "status": "not_started", "progress": "0", "lead_usa": "", "lead_mex": ""}  # fmt: skip
    refused = client.post("/plan-save", data=form)
    assert refused.status_code == 422
    doc = page(refused.text)
    assert "An action needs a lead agency" in doc.one(id="error-summary").text()
    assert doc.one("input", name="title_es").attrs["value"] == "Escáneres en puertos"
    saved = client.post("/plan-save", data=form | {"lead_usa": "cbp"})
    assert saved.headers["location"] == "/plan/1.1.1.2"
    assert "U.S. Customs and Border Protection" in page(client.get("/plan/1.1.1.2").text).text()
    # Moving it under an objective that does not exist is refused at the parent field.
    moved = client.post("/plan-save", data=form | {"lead_usa": "CBP", "parent": "1.1.9",
                                                   "editing": "1.1.1.2"})  # fmt: skip
    assert moved.status_code == 422
    assert "No element 1.1.9 in the plan" in page(moved.text).one(id="error-summary").text()
