"""The plan's indicators over the REST API: read them with how they stand, define this node's,
enter figures by hand; problems point at the field, and nothing is saved on one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from puente.indicators import store
from puente.indicators.models import ManualObservation, PlanIndicator
from puente.node import Node
from puente.plan import yaml_io
from puente.web.app import create_app
from tests.support.indicators import INDICATORS, SAMPLE
from tests.support.nodes import add_user, token_headers

GUNS: dict[str, Any] = {
    "code": "I3", "objective": "1.1.1",
    "name": {"en": "Guns seized going south", "es": "Armas aseguradas rumbo al sur"},
    "unit": {"en": "events", "es": "eventos"}, "good_direction": "up", "source": "dataset",
    "dataset": "cbp.weapons", "measure": "events",
    "filters": {"southbound": "yes", "seizure_type": "All"}, "split_by": "aor",
    "baseline": {"date": "2022-01-01", "value": 20}, "targets": [{"date": "2026-01-01", "value": 30}],
}  # fmt: skip


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        store.import_shipped(session, laura)
        yaml_io.import_plan(session, node, laura, SAMPLE + INDICATORS)
    with TestClient(create_app(node)) as test_client:
        yield test_client


def test_reading_the_indicators_and_their_figures(client: TestClient, node: Node) -> None:
    ana = token_headers(node, "ana", "CBP", "analyst")
    listed = client.get("/api/v1/indicators", headers=ana)
    assert listed.status_code == 200, listed.text
    fentanyl, manual = listed.json()
    assert (fentanyl["code"], fentanyl["owner_node"], fentanyl["objective"]) == (
        "I1", "us-node", "1.1.1")  # fmt: skip
    assert fentanyl["filters"] == {"drug": "Fentanyl", "region": "Southwest Border"}
    assert fentanyl["baseline"] == {"date": "2023-10-01", "value": 100.0}
    assert fentanyl["latest"]["period"] >= "2025-01"
    assert fentanyl["on_track"] in (True, False)
    assert manual["latest"] == {"period": "2026-10", "value": 4.0}
    assert manual["on_track"] is None  # no baseline or target to judge by
    one = client.get("/api/v1/indicators/I1", headers=ana).json()
    assert one["totals"][-1] == one["latest"]
    assert "San Diego Field Office" in one["series"]
    month = one["totals"][0]["period"]
    assert one["totals"][0]["value"] == pytest.approx(
        sum(p["value"] for points in one["series"].values() for p in points
            if p["period"] == month))  # fmt: skip
    assert client.get("/api/v1/indicators/I2", headers=ana).json()["series"] == {
        "": [{"period": "2026-10", "value": 4.0}]}  # fmt: skip
    missing = client.get("/api/v1/indicators/I9", headers=ana)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No indicator I9 in the plan."


def test_a_coordinator_defines_and_changes_indicators(client: TestClient, node: Node) -> None:
    laura = token_headers(node, "laura2", "INL", "coordinator")
    created = client.put("/api/v1/indicators", headers=laura, json=[GUNS])
    assert created.status_code == 200, created.text
    (stix_id,) = created.json()["ids"]
    assert stix_id.startswith("x-puente-plan-indicator--")
    one = client.get("/api/v1/indicators/I3", headers=laura).json()
    assert (one["id"], one["owner_node"], one["split_by"]) == (stix_id, "us-node", "aor")
    assert one["latest"] is not None
    changed = client.put("/api/v1/indicators", headers=laura, json=[
        GUNS | {"name": {"en": "Southbound gun seizures", "es": "Armas rumbo al sur"},
                "targets": [{"date": "2026-01-01", "value": 30}, {"date": "2027-01-01", "value": 45}]},
        {"code": "I4", "name": {"en": "Requests answered on time", "es": "Solicitudes a tiempo"},
         "unit": {"en": "%", "es": "%"}, "good_direction": "up", "source": "platform",
         "measure": "rfis.answered_on_time"}])  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["ids"][0] == stix_id  # the same indicator, a new version
    listed = {i["code"]: i for i in client.get("/api/v1/indicators", headers=laura).json()}
    assert listed["I3"]["name"]["en"] == "Southbound gun seizures"
    assert [t["value"] for t in listed["I3"]["targets"]] == [30.0, 45.0]
    assert listed["I4"]["source"] == "platform"


def test_bad_indicators_get_problems_naming_the_field_and_nothing_is_saved(
    client: TestClient, node: Node
) -> None:
    laura = token_headers(node, "laura2", "INL", "coordinator")
    refused = client.put("/api/v1/indicators", headers=laura | {"Accept-Language": "es"}, json=[
        GUNS | {"code": "I5"},
        GUNS | {"code": "X6", "measure": "weight_lb", "filters": {"flavor": "mild"}},
    ])  # fmt: skip
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    errors = {e["pointer"]: e["detail"] for e in refused.json()["errors"]}
    assert errors["/1/code"] == "El código de un indicador es I y un número, p. ej. I3."
    assert errors["/1/measure"] == (
        "cbp.weapons no tiene la medida weight_lb; use una de: events, items.")  # fmt: skip
    assert "/1/filters/flavor" in errors
    assert not any(pointer.startswith("/0/") for pointer in errors)
    # A target without a date is refused by its shape, at its place.
    undated = client.put("/api/v1/indicators", headers=laura,
                         json=[GUNS | {"targets": [{"value": 30}]}])  # fmt: skip
    assert undated.status_code == 422
    assert [e["pointer"] for e in undated.json()["errors"]] == ["/0/targets/0/date"]
    # JSON's NaN (which Python's parser takes) is no figure: it would travel as null.
    nan = client.put("/api/v1/indicators", headers=laura | {"Content-Type": "application/json"},
                     content='[{"code": "I7", "name": {"en": "x", "es": "x"}, "unit": {"en": '
                             '"u", "es": "u"}, "good_direction": "up", "source": "manual", '
                             '"baseline": {"date": "2026-01-01", "value": NaN}}]')  # fmt: skip
    assert nan.status_code == 422
    assert [e["pointer"] for e in nan.json()["errors"]] == ["/0/baseline/value"]
    codes = [i["code"] for i in client.get("/api/v1/indicators", headers=laura).json()]
    assert codes == ["I1", "I2"]  # all or nothing: I5 was fine, and is not there either
    # A partner's indicator is only its node's to change.
    with node.db.session() as session:
        session.execute(update(PlanIndicator).where(PlanIndicator.code == "I1")
                        .values(owner_node="mx-node"))  # fmt: skip
    theirs = client.put("/api/v1/indicators", headers=laura, json=[GUNS | {"code": "I1"}])
    assert theirs.status_code == 422
    assert theirs.json()["errors"] == [{
        "detail": "I1 belongs to node mx-node: only it may change it.", "pointer": "/0/code"}]  # fmt: skip


def test_an_analyst_reads_but_does_not_define(client: TestClient, node: Node) -> None:
    ana = token_headers(node, "ana", "CBP", "analyst")
    assert client.get("/api/v1/indicators", headers=ana).status_code == 200
    refused = client.put("/api/v1/indicators", headers=ana, json=[GUNS])
    assert refused.status_code == 403
    assert client.put("/api/v1/indicators", headers=ana, json=[]).status_code == 403
    assert client.get("/api/v1/indicators").status_code == 401


def test_entering_a_figure_by_hand(client: TestClient, node: Node) -> None:
    laura = token_headers(node, "laura2", "INL", "coordinator")
    added = client.post("/api/v1/indicators/I2/observations", headers=laura,
                        json={"period": "2026-11", "value": 5, "unit": "operativos",
                              "note": "Baja California"})  # fmt: skip
    assert added.status_code == 201, added.text
    assert added.json()["id"].startswith("x-puente-plan-observation--")
    one = client.get("/api/v1/indicators/I2", headers=laura).json()
    assert one["latest"] == {"period": "2026-11", "value": 5.0}
    with node.db.session() as session:
        row = session.get(ManualObservation, added.json()["id"])
        assert row is not None
        assert (row.author, row.note) == ("laura2", "Baja California")
    wrong = client.post("/api/v1/indicators/I2/observations", headers=laura,
                        json={"period": "2026-13", "value": 5, "unit": "kg"})  # fmt: skip
    assert wrong.status_code == 422
    assert [e["pointer"] for e in wrong.json()["errors"]] == ["/period"]
    wrong_unit = client.post("/api/v1/indicators/I2/observations", headers=laura,
                             json={"period": "2026-09", "value": 5, "unit": "kg"})  # fmt: skip
    assert wrong_unit.json()["errors"] == [
        {"detail": "I2 is measured in operations, not kg.", "pointer": "/unit"}]  # fmt: skip
    computed = client.post("/api/v1/indicators/I1/observations", headers=laura,
                           json={"period": "2026-09", "value": 5, "unit": "lb"})  # fmt: skip
    assert computed.status_code == 422
    assert computed.json()["errors"][0]["pointer"] == "/code"
    ahead = client.post("/api/v1/indicators/I2/observations", headers=laura,
                        json={"period": "2099-01", "value": 5, "unit": "operations"})  # fmt: skip
    assert ahead.json()["errors"] == [
        {"detail": "2099-01 has not begun: enter a month's figure once the month has begun.",
         "pointer": "/period"}]  # fmt: skip
    missing = client.post("/api/v1/indicators/I9/observations", headers=laura,
                          json={"period": "2026-09", "value": 5, "unit": "lb"})  # fmt: skip
    assert missing.status_code == 404
