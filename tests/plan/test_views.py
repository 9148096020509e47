"""The plan's pages: the tree with progress, an element with its updates, and the forms."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from puente.node import Node
from puente.plan import yaml_io
from puente.web.app import create_app
from tests.support.nodes import add_user
from tests.support.pages import Element, page, sign_in

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
    odd = client.post("/plan/1.1.1.1/updates", data={"csrf_token": csrf, "text": "x",
                                                      "status": "at_risk", "progress": "²"})  # fmt: skip
    assert odd.status_code == 422  # int("²") would have been a 500
    assert "² is not a whole number." in page(odd.text).one(id="error-summary").text()
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


def form_data_of(doc: Element) -> dict[str, str]:
    """What a browser would send for the page's plan form, as it stands."""
    form = doc.one("form", action="/plan-save")
    data = {i.attrs["name"]: i.attrs.get("value", "") for i in form.all("input")}
    for select in form.all("select"):
        chosen = [o for o in select.all("option") if "selected" in o.attrs] or select.all("option")
        data[select.attrs["name"]] = chosen[0].attrs.get("value", "")
    data |= {t.attrs["name"]: t.text() for t in form.all("textarea")}
    return data


def field_errors(doc: Element, name: str) -> str:
    """The error messages shown with the field ``name``."""
    fields = [f for f in doc.all("div", class_="field has-error")
              if f.all("input", name=name) or f.all("select", name=name)]  # fmt: skip
    assert len(fields) == 1, f"no error at {name}"
    return " ".join(e.text() for e in fields[0].all("p", class_="error-message"))


def element_data(client: TestClient, code: str) -> dict[str, Any]:
    """The element as the plan file (``puente plan export``) has it."""
    exported = yaml.safe_load(client.get("/plan/export").text)
    found: dict[str, Any] = next(e for e in exported["elements"] if e["code"] == code)
    return found


NEW_ACTION = {"level": "action", "code": "1.1.1.2", "parent": "1.1.1", "title_en": "Port scanners",
              "title_es": "Escáneres en puertos", "status": "on_track", "progress": "10",
              "start_date": "2025-01-01", "lead_usa": "CBP",
              "milestone-0-title_en": "Scanners bought", "milestone-0-title_es": "Escáneres comprados",
              "milestone-0-due_date": "2025-06-30", "milestone-0-done_date": "2025-06-12",
              "milestone-1-title_es": "Escáneres instalados", "milestone-1-due_date": "2025-12-31",
              "evidence-0-kind": "url", "evidence-0-ref": "https://www.cbp.gov/scanners",
              "evidence-0-label": "CBP release"}  # fmt: skip


def test_milestones_and_evidence_are_written_with_the_form(desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    blank = page(client.get("/plan-new?parent=1.1.1").text)
    assert [i.attrs["name"] for i in blank.one(id="milestone-1").all("input")] == [
        "milestone-1-title_en", "milestone-1-title_es", "milestone-1-due_date",
        "milestone-1-done_date"]  # fmt: skip
    assert not blank.all(id="milestone-2")  # two blank rows to start with
    kinds = blank.one("select", name="evidence-0-kind").all("option")
    assert [o.attrs["value"] for o in kinds] == ["", "record", "document", "url"]
    saved = client.post("/plan-save", data=form_data_of(blank) | NEW_ACTION | {"csrf_token": csrf})
    assert saved.headers["location"] == "/plan/1.1.1.2"

    shown = page(client.get("/plan/1.1.1.2").text)
    done, late = shown.one(id="plan-milestones").all("li")
    assert done.text() == "Scanners bought · due 2025-06-30 · done 2025-06-12"
    assert late.text() == "Escáneres instalados · due 2025-12-31 · Overdue"
    assert late.attrs["class"] == "milestone milestone-overdue"
    link = shown.one(id="plan-evidence").one("a")
    assert (link.attrs["href"], link.text()) == ("https://www.cbp.gov/scanners", "CBP release")
    exported = element_data(client, "1.1.1.2")
    assert exported["milestones"] == [
        {"title": {"en": "Scanners bought", "es": "Escáneres comprados"},
         "due_date": "2025-06-30", "done_date": "2025-06-12"},
        {"title": {"en": "", "es": "Escáneres instalados"}, "due_date": "2025-12-31"}]  # fmt: skip
    assert exported["evidence"] == [
        {"kind": "url", "ref": "https://www.cbp.gov/scanners", "label": "CBP release"}]  # fmt: skip

    # The edit form shows each item in its row, then two blank rows; clearing a row removes it.
    editing = page(client.get("/plan/1.1.1.2/edit").text)
    data = form_data_of(editing)
    assert data["milestone-1-title_es"] == "Escáneres instalados"
    assert data["evidence-0-ref"] == "https://www.cbp.gov/scanners"
    assert editing.all(id="milestone-3")
    assert not editing.all(id="milestone-4")
    cleared = {f"milestone-0-{name}": "" for name in ("title_en", "title_es", "due_date")}
    cleared["milestone-0-done_date"] = ""
    assert client.post("/plan-save", data=data | cleared).status_code == 303
    assert element_data(client, "1.1.1.2")["milestones"] == [
        {"title": {"en": "", "es": "Escáneres instalados"}, "due_date": "2025-12-31"}]  # fmt: skip
    assert len(page(client.get("/plan/1.1.1.2").text).one(id="plan-milestones").all("li")) == 1


def test_an_edit_through_the_form_keeps_milestones_and_evidence(
    desk: tuple[TestClient, str],
) -> None:
    client, _ = desk
    before = element_data(client, "1.1.1.1")
    assert before["milestones"]
    assert before["evidence"]
    data = form_data_of(page(client.get("/plan/1.1.1.1/edit").text))
    changed = client.post("/plan-save", data=data | {"title_en": "Joint targeting cell"})
    assert changed.status_code == 303
    after = element_data(client, "1.1.1.1")
    assert after["title"] == {"en": "Joint targeting cell", "es": before["title"]["es"]}
    assert (after["milestones"], after["evidence"]) == (before["milestones"], before["evidence"])


@pytest.mark.parametrize(
    ("rows", "field", "message"),
    [
        ({"milestone-1-title_en": "Vetted", "milestone-1-due_date": "31/12/2026"},
         "milestone-1-due_date", "31/12/2026 is not a date: write YYYY-MM-DD."),
        # A blank row in between: the error is still at the row the user filled.
        ({"milestone-2-due_date": "2026-12-31"}, "milestone-2-title_en",
         "A milestone needs a title."),
        ({"milestone-1-title_en": "Vetted", "milestone-1-done_date": "2025-12-01"},
         "milestone-1-done_date", "A milestone cannot be done before the action starts (2026-01-15)."),
        ({"evidence-1-kind": "record"}, "evidence-1-ref",
         "Evidence needs a reference: a record id, a document's reference or a URL."),
        ({"evidence-1-kind": "url", "evidence-1-ref": "ftp://x"}, "evidence-1-ref",
         "A URL starts with https:// or http://."),
        ({"evidence-2-ref": "Minutes 4/2026"}, "evidence-2-kind",
         "Say what the evidence is: a record, a document or a url."),
    ],
    ids=["bad date", "date without a title", "done before the start", "no reference",
         "ftp url", "no kind"],
)  # fmt: skip
def test_a_bad_row_is_refused_next_to_it(
    desk: tuple[TestClient, str], rows: dict[str, str], field: str, message: str
) -> None:
    client, _ = desk
    before = element_data(client, "1.1.1.1")
    data = form_data_of(page(client.get("/plan/1.1.1.1/edit").text))
    refused = client.post("/plan-save", data=data | rows | {"title_en": "Renamed"})
    assert refused.status_code == 422
    doc = page(refused.text)
    assert field_errors(doc, field) == f"Error: {message}"
    assert message in doc.one(id="error-summary").text()
    assert doc.one("input", name="title_en").attrs["value"] == "Renamed"  # what was typed stays
    for name, value in rows.items():
        assert form_data_of(doc)[name] == value
    assert element_data(client, "1.1.1.1") == before  # nothing saved


def test_row_errors_read_in_spanish(desk: tuple[TestClient, str]) -> None:
    client, _ = desk
    data = form_data_of(page(client.get("/plan/1.1.1.1/edit").text))
    refused = client.post("/plan-save?lang=es", data=data | {"milestone-1-due_date": "mañana"})
    assert refused.status_code == 422
    assert field_errors(page(refused.text), "milestone-1-due_date").endswith(
        "mañana no es una fecha: escriba AAAA-MM-DD.")  # fmt: skip


def test_new_never_replaces_an_element_and_an_edit_keeps_its_code(
    desk: tuple[TestClient, str],
) -> None:
    client, csrf = desk
    before = element_data(client, "1.1.1.1")
    taken = client.post("/plan-save", data={"csrf_token": csrf} | NEW_ACTION | {"code": "1.1.1.1"})
    assert taken.status_code == 422
    assert field_errors(page(taken.text), "code") == (
        "Error: 1.1.1.1 is already recorded: change it with Edit on its page.")  # fmt: skip
    assert element_data(client, "1.1.1.1") == before
    # A crafted edit that names another code changes the element it edits, no other.
    crafted = client.post("/plan-save", data={"csrf_token": csrf, "editing": "1.1.1.1"}
                          | NEW_ACTION | {"code": "1.1.1.7"})  # fmt: skip
    assert crafted.headers["location"] == "/plan/1.1.1.1"
    assert "1.1.1.7" not in client.get("/plan/export").text


def test_evidence_names_a_record_by_its_id_and_any_level_is_checked(
    desk: tuple[TestClient, str],
) -> None:
    client, csrf = desk
    record = client.post("/plan-save", data={"csrf_token": csrf} | NEW_ACTION
                         | {"evidence-0-kind": "record", "evidence-0-ref": "../../logout"})  # fmt: skip
    assert record.status_code == 422
    assert "A record is named by its id" in field_errors(page(record.text), "evidence-0-ref")
    goal = form_data_of(page(client.get("/plan/1/edit").text))
    refused = client.post("/plan-save", data=goal | {"csrf_token": csrf, "editing": "1",
                          "evidence-0-kind": "", "evidence-0-ref": "", "evidence-0-label": "x"})  # fmt: skip
    assert refused.status_code == 422
