"""The indicator pages: the list, a chart drawn on the server with its data, the period,
figures entered by hand, and the form that defines this node's indicators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update

from puente.indicators import store
from puente.indicators.models import PlanIndicator
from puente.node import Node
from puente.plan import yaml_io
from puente.web.app import create_app
from tests.support.indicators import INDICATORS, SAMPLE
from tests.support.nodes import add_user
from tests.support.pages import page, sign_in


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


WEAPONS = {"code": "I3", "objective": "1.1.1", "name_en": "Guns seized going south",
           "name_es": "Armas aseguradas rumbo al sur", "unit_en": "events", "unit_es": "eventos",
           "good_direction": "up", "source": "dataset", "dataset": "cbp.weapons",
           "measure": "events", "filters": "southbound=yes\r\nseizure_type = All\r\n",
           "split_by": "aor", "baseline_date": "2022-01-01", "baseline_value": "20",
           "targets": "2023-01-01 30\n\n2024-01-01 1,000\n"}  # fmt: skip


def test_defining_an_indicator_with_the_form_and_changing_it(
    desk: tuple[TestClient, str],
) -> None:
    client, csrf = desk
    assert page(client.get("/indicators").text).one(id="indicator-new").attrs["href"] == (
        "/indicators-new")  # fmt: skip
    blank = page(client.get("/indicators-new").text)
    assert blank.one("select", name="source").one("option", selected="").attrs["value"] == (
        "dataset")  # fmt: skip
    saved = client.post("/indicators-save", data={"csrf_token": csrf} | WEAPONS)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/indicators/I3"
    shown = page(client.get("/indicators/I3?from=2022-01&to=2022-12").text)
    assert shown.one("figure", class_="chart").one("svg") is not None
    assert shown.one(id="indicator-latest").text().endswith("events · 2022-12")
    assert shown.one(id="indicator-edit").attrs["href"] == "/indicators/I3/edit"
    assert "southbound = yes" in shown.text()
    form = page(client.get("/indicators/I3/edit").text)
    assert form.one("input", name="code").attrs["value"] == "I3"
    assert "readonly" in form.one("input", name="code").attrs
    assert form.one("textarea", name="filters").text() == "seizure_type=All southbound=yes"
    assert form.one("textarea", name="targets").text() == "2023-01-01 30 2024-01-01 1000"
    changed = client.post("/indicators-save", data={"csrf_token": csrf, "editing": "I3"} | WEAPONS
                          | {"name_en": "Southbound gun seizures", "source": "manual"})  # fmt: skip
    assert changed.status_code == 303, changed.text
    listed = page(client.get("/indicators").text).one(id="indicator-list")
    assert [a.text() for a in listed.all("a")] == [
        "Fentanyl seized at the Southwest border", "Joint operations", "Southbound gun seizures"]  # fmt: skip
    # A manual indicator keeps no dataset, measure or filters the form still held.
    again = page(client.get("/indicators/I3/edit").text)
    assert again.one("textarea", name="filters").text() == ""
    assert again.one("input", name="measure").attrs["value"] == ""


def _errors(response: Response) -> dict[str, list[str]]:
    """The messages shown under each field, by the field's name."""
    found: dict[str, list[str]] = {}
    for p in page(response.text).all("p", class_="error-message"):
        key = p.attrs["id"].removeprefix("f-").rsplit("-error-", 1)[0]
        found.setdefault(key, []).append(p.text().split(" ", 1)[1])  # after "Error:"
    return found


def test_the_form_says_what_is_wrong_next_to_each_field_and_saves_nothing(
    desk: tuple[TestClient, str],
) -> None:
    client, csrf = desk
    # What the form cannot even read: a filter without "=", a target without a date, a bad date.
    unreadable = WEAPONS | {"filters": "southbound\nseizure_type=All", "baseline_value": "",
                            "targets": "30\n2026-13-01 5\n2027-01-01"}  # fmt: skip
    refused = client.post("/indicators-save", data={"csrf_token": csrf} | unreadable)
    assert refused.status_code == 422
    assert _errors(refused) == {
        "filters": ["Entry 1: Write a filter as dimension=value, one per line."],
        "baseline_value": ["A target or baseline needs a value."],
        "targets": ["Entry 1: A target or baseline needs a date.",
                    "Entry 2: 2026-13-01 is not a date: write YYYY-MM-DD.",
                    "Entry 3: A target or baseline needs a value."],
    }  # fmt: skip
    doc = page(refused.text)
    assert doc.one("input", name="name_es").attrs["value"] == "Armas aseguradas rumbo al sur"
    assert doc.one("textarea", name="targets").text() == "30 2026-13-01 5 2027-01-01"
    # What breaks the indicator's rules: a bad code, a measure or a dimension the dataset lacks,
    # an unknown objective, targets out of order.
    broken = WEAPONS | {"code": "X3", "measure": "weight_lb", "filters": "flavor=mild",
                        "split_by": "state", "objective": "9.9.9",
                        "targets": "2024-01-01 30\n2023-01-01 40"}  # fmt: skip
    refused = client.post("/indicators-save", data={"csrf_token": csrf} | broken)
    assert refused.status_code == 422
    dimensions = "aor, component, direction, region, seizure_type, southbound"
    assert _errors(refused) == {
        "code": ["An indicator's code is I and a number, e.g. I3."],
        "measure": ["cbp.weapons has no measure weight_lb; use one of: events, items."],
        "filters": [f"cbp.weapons has no dimension flavor; use one of: {dimensions}."],
        "split_by": [f"cbp.weapons has no dimension state; use one of: {dimensions}."],
        "targets": ["Targets go in date order, one per date."],
        "objective": ["No joint objective 9.9.9 in the plan."],
    }  # fmt: skip
    # In the user's language.
    spanish = client.post("/indicators-save?lang=es", data={"csrf_token": csrf} | broken)
    assert spanish.status_code == 422
    assert _errors(spanish)["code"] == ["El código de un indicador es I y un número, p. ej. I3."]
    assert _errors(spanish)["objective"] == ["No hay un objetivo conjunto 9.9.9 en el plan."]
    # Nothing was saved.
    assert client.get("/indicators/I3").status_code == 404
    assert client.get("/indicators/X3").status_code == 404
    assert len(page(client.get("/indicators").text).one(id="indicator-list").all("a")) == 2


def test_a_partners_indicator_is_read_only(node: Node, desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    with node.db.session() as session:
        session.execute(update(PlanIndicator).where(PlanIndicator.code == "I2")
                        .values(owner_node="mx-node"))  # fmt: skip
    doc = page(client.get("/indicators/I2").text)
    assert "written by mx-node" in doc.text()
    assert not doc.all(id="indicator-edit")
    assert page(client.get("/indicators/I1").text).all(id="indicator-edit")
    assert client.get("/indicators/I2/edit").status_code == 403
    forced = client.post("/indicators-save", data={"csrf_token": csrf, "editing": "I2", "code": "I2",
                         "name_en": "Ours now", "name_es": "Nuestro", "unit_en": "operations",
                         "unit_es": "operativos", "good_direction": "up", "source": "manual"})  # fmt: skip
    assert forced.status_code == 422
    assert "I2 belongs to node mx-node: only it may change it." in page(forced.text).one(
        id="f-code-error-1").text()  # fmt: skip


def test_an_analyst_sees_no_form(node: Node, desk: tuple[TestClient, str]) -> None:
    client, _ = desk
    add_user(node, "ana", "CBP", ["analyst"])
    client.cookies.clear()
    sign_in(client, "ana")
    assert not page(client.get("/indicators").text).all(id="indicator-new")
    assert not page(client.get("/indicators/I1").text).all(id="indicator-edit")
    assert client.get("/indicators-new").status_code == 403


def test_a_figure_that_is_not_finite_is_refused_and_big_ones_keep_every_digit(
    desk: tuple[TestClient, str],
) -> None:
    client, csrf = desk
    for bad in ("1e999", "nan", "inf"):
        refused = client.post("/indicators-save", data={"csrf_token": csrf} | WEAPONS
                              | {"baseline_value": bad})  # fmt: skip
        assert refused.status_code == 422
        assert _errors(refused)["baseline_value"] == [f"{bad} is not a number."]
    wrong = client.post("/indicators/I2/observations", data={"csrf_token": csrf,
                        "period": "2026-11", "value": "nan", "unit": "operations"})  # fmt: skip
    assert wrong.status_code == 422
    big = WEAPONS | {"baseline_value": "1,234,567", "targets": "2027-01-01 2345678.9"}
    assert client.post("/indicators-save", data={"csrf_token": csrf} | big).status_code == 303
    form = page(client.get("/indicators/I3/edit").text)
    assert form.one("input", name="baseline_value").attrs["value"] == "1234567"
    assert form.one("textarea", name="targets").text() == "2027-01-01 2345678.9"


def test_new_never_replaces_and_an_edit_keeps_its_code(desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    taken = client.post("/indicators-save", data={"csrf_token": csrf} | WEAPONS | {"code": "I1"})
    assert taken.status_code == 422
    assert _errors(taken)["code"] == ["I1 is already recorded: change it with Edit on its page."]
    crafted = client.post("/indicators-save", data={"csrf_token": csrf, "editing": "I2"}
                          | WEAPONS | {"code": "I9", "source": "manual"})  # fmt: skip
    assert crafted.headers["location"] == "/indicators/I2"
    codes = [a.attrs["href"] for a in page(client.get("/indicators").text).all("a")
             if a.attrs.get("href", "").startswith("/indicators/I")]  # fmt: skip
    assert "/indicators/I9" not in codes
    assert "/indicators/I1" in codes


def test_the_form_reads_figures_as_the_plan_file_and_the_api_do(
    desk: tuple[TestClient, str],
) -> None:
    client, csrf = desk
    # 1,5 is one and a half to a Mexican reader: refused, not read as fifteen.
    refused = client.post("/indicators-save", data={"csrf_token": csrf} | WEAPONS
                          | {"baseline_value": "1,5", "targets": "2023-01-01 1_5"})  # fmt: skip
    assert refused.status_code == 422
    assert _errors(refused) == {
        "baseline_value": ["1,5: write decimals with a point (1.5); a comma only separates "
                           "thousands (12,345.6)."],
        "targets": ["Entry 1: 1_5 is not a number."],
    }  # fmt: skip
    figure = client.post("/indicators/I2/observations", data={"csrf_token": csrf,
                         "period": "2026-11-15", "value": "0x10", "unit": "operations"})  # fmt: skip
    assert figure.status_code == 422
    summary = page(figure.text).one(id="error-summary").text()
    assert "2026-11-15 is not a month: write YYYY-MM." in summary
    assert "0x10 is not a number." in summary
