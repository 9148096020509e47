"""Recording and changing this node's meetings with the form: shown on the list and its page,
adopted expectations kept, mistakes shown next to their field (on their line), nothing saved;
the partner's meetings are read-only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from puente.i18n import Text
from puente.node import Node
from puente.plan import projection, service, yaml_io
from puente.plan.meetings import Meeting, meeting_object
from puente.web.app import create_app
from tests.support.nodes import add_user
from tests.support.pages import Element, page, sign_in
from tests.support.plan import MEETINGS

SAMPLE = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")
FORM = {
    "code": "SIG-2027-01", "kind": "sig",
    "title_en": "Security Implementation Group", "title_es": "Grupo de Implementación de Seguridad",
    "date": "2027-01-23", "place": "Washington, D.C.",
    "participants": "Laura Whitman; Co-chair; inl\n\nRosa Icela Rodríguez; Co-chair; SRE",
    "agenda": "Assessment of the period | Evaluación del periodo\nPrecursors | Precursores",
    "decisions": "Mexico leads precursor inspections | México encabeza las inspecciones",
    "actions": "1.1.1.1",
}  # fmt: skip


@pytest.fixture
def desk(node: Node) -> Iterator[tuple[TestClient, str]]:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        yaml_io.import_plan(session, node, laura, SAMPLE + MEETINGS)
    with TestClient(create_app(node), follow_redirects=False) as client:
        yield client, sign_in(client, "laura")


def _codes(node: Node) -> list[str]:
    with node.db.session() as session:
        return [meeting.code for meeting, _ in service.meetings(session)]


def _errors(doc: Element, field: str) -> list[str]:
    """The messages shown next to the form's ``field``."""
    return [p.text().removeprefix("Error: ") for p in doc.all("p", class_="error-message")
            if p.attrs["id"].startswith(f"f-{field}-error-")]  # fmt: skip


def test_a_coordinator_records_a_meeting_with_the_form(desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    listed = page(client.get("/meetings").text)
    assert listed.one("a", id="new-meeting").attrs["href"] == "/meetings-new"
    form = page(client.get("/meetings-new").text)
    kinds = [o.text() for o in form.one("select", name="kind").all("option")]
    assert kinds == ["Security Implementation Group", "Security Ministerial", "Working group"]
    saved = client.post("/meetings-save", data=FORM | {"csrf_token": csrf})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/meetings/SIG-2027-01"
    listed = page(client.get("/meetings?lang=es").text)
    titles = [a.text() for a in listed.one(id="meeting-list").all("a")]
    assert titles == ["Grupo de Implementación de Seguridad"] * 2  # SIG-2026-09 and the new one
    doc = page(client.get("/meetings/SIG-2027-01?lang=es").text)
    assert [li.text() for li in doc.one(id="meeting-agenda").all("li")] == [
        "Evaluación del periodo", "Precursores"]  # fmt: skip
    assert doc.one(id="meeting-decisions").text() == "México encabeza las inspecciones"
    assert "Laura Whitman, Co-chair" in doc.text()
    assert doc.one("a", href="/plan/1.1.1.1").text() == "1.1.1.1"
    assert doc.one("a", id="edit-meeting").attrs["href"] == "/meetings/SIG-2027-01/edit"
    again = page(client.get("/meetings/SIG-2027-01/edit").text)  # agencies as codes: INL
    assert again.one("textarea", name="participants").children == [
        "Laura Whitman; Co-chair; INL\nRosa Icela Rodríguez; Co-chair; SRE"]  # fmt: skip


def test_editing_a_meeting_keeps_the_expectations_it_adopted(desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    form = page(client.get("/meetings/SIG-2026-09/edit").text)
    assert form.one("input", name="code").attrs.get("readonly") == ""
    values = {name: form.one("input", name=name).attrs["value"]
              for name in ("code", "title_en", "title_es", "date", "place", "actions")}  # fmt: skip
    values |= {name: form.one("textarea", name=name).text()
               for name in ("participants", "agenda", "decisions")}  # fmt: skip
    assert values["agenda"] == "Fentanyl interdiction | Intercepción de fentanilo"
    changed = values | {"csrf_token": csrf, "kind": "sig", "editing": "SIG-2026-09",
                        "place": "Monterrey"}  # fmt: skip
    assert client.post("/meetings-save", data=changed).status_code == 303
    doc = page(client.get("/meetings/SIG-2026-09").text)
    assert "Monterrey" in doc.one("p", class_="subtitle").text()
    assert "Cell fully staffed" in doc.one(id="meeting-expectations").text()


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [({"code": "SIG-27"}, "code", "A meeting's code is like SIG-2027-01 or MIN-2027-02."),
     ({"date": "2027-02-30"}, "date", "2027-02-30 is not a date: write YYYY-MM-DD."),
     ({"date": ""}, "date", "A meeting needs a date."),
     ({"actions": "1.1.1.1, 9.9.9.9"}, "actions", "No element 9.9.9.9 in the plan."),
     ({"actions": "1.1.1"}, "actions",
      "1.1.1 is not an action: a meeting creates or re-assigns actions."),
     ({"agenda": "Assessment | Evaluación\n\nPrecursors"}, "agenda",
      "Line 3: Write it in English and in Spanish, separated by a vertical bar: English | "
      "Español."),
     ({"participants": "Laura Whitman; Co-chair; INL\n; Co-chair; SRE"}, "participants",
      "Line 2: A participant needs a name."),
     ({"participants": "Laura Whitman; Co-chair; INL\nJ. Doe; Observer; NSC"}, "participants",
      "Line 2: Unknown agency NSC."),
     ({"code": "SIG-2026-09"}, "code",
      "Meeting SIG-2026-09 is already recorded: change it with Edit on its page.")],
    ids=["bad code", "bad date", "no date", "unknown action", "not an action", "agenda line",
         "participant line", "participant agency", "code taken"],
)  # fmt: skip
def test_a_mistake_is_shown_next_to_its_field_and_nothing_is_saved(
    desk: tuple[TestClient, str], node: Node, change: dict[str, str], field: str, expected: str
) -> None:
    client, csrf = desk
    refused = client.post("/meetings-save", data=FORM | change | {"csrf_token": csrf})
    assert refused.status_code == 422
    doc = page(refused.text)
    assert expected in _errors(doc, field), _errors(doc, field)
    assert doc.one("input", name="title_es").attrs["value"] == FORM["title_es"]  # kept as typed
    assert _codes(node) == ["SIG-2026-09"]


def test_mistakes_are_shown_in_the_users_language(desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    refused = client.post("/meetings-save?lang=es", data=FORM | {"csrf_token": csrf,
                          "date": "23/01/2027", "actions": "9.9.9.9"})  # fmt: skip
    assert refused.status_code == 422
    doc = page(refused.text)
    assert _errors(doc, "date") == ["23/01/2027 no es una fecha: escriba AAAA-MM-DD."]
    assert _errors(doc, "code") == []


def test_the_partners_meeting_is_read_only(desk: tuple[TestClient, str], node: Node) -> None:
    client, csrf = desk
    theirs = Meeting("MIN-2026-10", "ministerial",
                     Text("Security Ministerial", "Ministerial de Seguridad"), date(2026, 10, 2),
                     stix_id="x-puente-plan-meeting--0b1c6e0e-6f5b-4c1e-9b7a-3f0d2a4c5e61")  # fmt: skip
    with node.db.session() as session:
        projection.apply(session, [meeting_object(theirs, "2026-10-03T00:00:00.000Z",
                                                  "2026-10-03T00:00:00.000Z",
                                                  "identity--mx")], "mx-node")  # fmt: skip
    doc = page(client.get("/meetings/MIN-2026-10").text)
    assert doc.all("a", id="edit-meeting") == []
    assert "written by mx-node" in doc.text()
    assert client.get("/meetings/MIN-2026-10/edit").status_code == 403
    refused = client.post("/meetings-save", data=FORM | {
        "csrf_token": csrf, "code": "MIN-2026-10", "kind": "ministerial", "date": "2026-10-02",
        "editing": "MIN-2026-10", "place": "Mérida"})  # fmt: skip
    assert refused.status_code == 422
    assert _errors(page(refused.text), "code") == [
        "MIN-2026-10 belongs to node mx-node: only it may change it."]  # fmt: skip
    with node.db.session() as session:
        held = {m.code: m for m, _ in service.meetings(session)}
    assert held["MIN-2026-10"].place == ""


def test_an_analyst_has_no_form(node: Node) -> None:
    add_user(node, "ana", "CBP", ["analyst"])
    with TestClient(create_app(node), follow_redirects=False) as client:
        csrf = sign_in(client, "ana")
        assert page(client.get("/meetings").text).all("a", id="new-meeting") == []
        assert client.get("/meetings-new").status_code == 403
        refused = client.post("/meetings-save", data=FORM | {"csrf_token": csrf})
        assert refused.status_code == 403
    assert _codes(node) == []


def test_adopting_expectations_with_a_bad_date_is_refused_not_an_error(
    desk: tuple[TestClient, str],
) -> None:
    client, csrf = desk
    sent = client.post("/meetings/SIG-2026-09/expectations", data={
        "csrf_token": csrf, "count": "1", "adopt-0": "1", "en-0": "Staff the cell",
        "es-0": "Integrar la célula", "subject-0": "1.1.1.1", "due-0": "2027-13-45"})  # fmt: skip
    assert sent.status_code == 422
    assert "2027-13-45 is not a date" in page(sent.text).one(id="error-summary").text()
    blank = client.post("/meetings/SIG-2026-09/expectations", data={
        "csrf_token": csrf, "count": "1", "adopt-0": "1", "en-0": "", "es-0": "",
        "subject-0": "javascript:x"})  # fmt: skip
    assert blank.status_code == 422
    text = page(blank.text).one(id="error-summary").text()
    assert "An expectation needs its text." in text
    assert "not javascript:x" in text
    assert "Cell fully staffed" in page(client.get("/meetings/SIG-2026-09").text).text()


def test_an_edit_keeps_its_code_whatever_the_form_sends(desk: tuple[TestClient, str]) -> None:
    client, csrf = desk
    form = page(client.get("/meetings/SIG-2026-09/edit").text)
    values = {name: form.one("input", name=name).attrs["value"]
              for name in ("title_en", "title_es", "date", "place", "actions")}  # fmt: skip
    crafted = client.post("/meetings-save", data=values | {
        "csrf_token": csrf, "kind": "sig", "editing": "SIG-2026-09", "code": "SIG-2026-10"})  # fmt: skip
    assert crafted.headers["location"] == "/meetings/SIG-2026-09"
    assert client.get("/meetings/SIG-2026-10").status_code == 404


def test_a_bar_in_the_english_text_reads_back_as_written(
    desk: tuple[TestClient, str], node: Node
) -> None:
    client, csrf = desk
    laura = add_user(node, "laura3", "INL", ["coordinator"])
    with node.db.session() as session:
        held = {m.code: m for m, _ in service.meetings(session)}["SIG-2026-09"]
        service.save_meetings(session, node, laura, [
            replace(held, agenda=[Text("Ports | crossings", "Puertos y cruces")])])  # fmt: skip
    form = page(client.get("/meetings/SIG-2026-09/edit").text)
    values = {name: form.one("input", name=name).attrs["value"]
              for name in ("title_en", "title_es", "date", "place", "actions")}  # fmt: skip
    values |= {name: form.one("textarea", name=name).text()
               for name in ("participants", "agenda", "decisions")}  # fmt: skip
    saved = client.post("/meetings-save", data=values | {
        "csrf_token": csrf, "kind": "sig", "editing": "SIG-2026-09"})  # fmt: skip
    assert saved.status_code == 303
    with node.db.session() as session:
        again = {m.code: m for m, _ in service.meetings(session)}["SIG-2026-09"]
    assert again.agenda == [Text("Ports | crossings", "Puertos y cruces")]
