"""The indicator pages: the list, a chart drawn on the server with its data, the period, and
figures entered by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from puente.indicators import store
from puente.node import Node
from puente.plan import yaml_io
from puente.web.app import create_app
from tests.conftest import add_user
from tests.indicators.test_definitions import INDICATORS, SAMPLE
from tests.web.test_views import page, sign_in


@pytest.fixture
def desk(node: Node) -> Iterator[tuple[TestClient, str]]:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        store.import_shipped(session, laura)
        yaml_io.import_plan(session, node, laura, SAMPLE + INDICATORS)
    with TestClient(create_app(node), follow_redirects=False) as client:
        yield client, sign_in(client, "laura")


def test_the_list_and_a_chart_in_both_languages(desk: tuple[TestClient, str]) -> None:
    client, _ = desk
    listed = page(client.get("/indicators").text)
    assert [a.text() for a in listed.one(id="indicator-list").all("a")] == [
        "Fentanyl seized at the Southwest border", "Joint operations"]  # fmt: skip
    english = client.get("/indicators/I1?from=2024-01&to=2024-12")
    assert english.status_code == 200
    doc = page(english.text)
    figure = doc.one("figure", class_="chart")
    assert figure.one("svg") is not None
    assert "/static/vendor/vega/vega-embed.min.js" in english.text
    assert doc.one(id="indicator-latest").text().endswith("lb · 2024-12")
    spanish = client.get("/indicators/I1?from=2024-01&to=2024-12&lang=es").text
    assert "ene" in page(spanish).one("figure", class_="chart").text().lower()


def test_entering_a_figure_by_hand(desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    wrong = client.post("/indicators/I2/observations", data={"csrf_token": csrf, "period": "2026-11",
                        "value": "3", "unit": "kg"})  # fmt: skip
    assert wrong.status_code == 422
    assert (
        "I2 is measured in operations, not kg." in page(wrong.text).one(id="error-summary").text()
    )
    done = client.post("/indicators/I2/observations", data={"csrf_token": csrf, "period": "2026-11",
                       "value": "5", "unit": "operations", "note": "Baja California"})  # fmt: skip
    assert done.status_code == 303
    doc = page(client.get("/indicators/I2").text)
    assert doc.one(id="indicator-latest").text() == "5.0 operations · 2026-11"
