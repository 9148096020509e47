"""The assessment for a meeting and its briefing: what it finds, both languages, the same PDF
from the same data, and the coordinator adopting the draft expectations."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pypdf
import pytest
from fastapi.testclient import TestClient

from puente.node import Node
from puente.plan import assessment, briefing, service, yaml_io
from puente.web.app import create_app
from tests.support.markers import needs_pango
from tests.support.nodes import add_user, token_headers
from tests.support.pages import page, sign_in
from tests.support.plan import PLAN

MEETINGS = """meetings:
  - {code: SIG-2026-03, kind: sig, title: {en: SIG third session, es: GIS tercera sesión}, date: "2026-03-15"}
  - {code: SIG-2026-11, kind: sig, title: {en: SIG fourth session, es: GIS cuarta sesión}, date: "2026-11-20",
     place: Washington}
updates:
  - {element: "1.1.2.1", date: "2026-05-02", language: en, status: completed, progress: "100", text: Done}
  - {element: "1.1.1.2", date: "2026-10-02", language: es, status: at_risk, progress: "30", text: Falta personal}
"""


@pytest.fixture
def planned(node: Node) -> Node:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        yaml_io.import_plan(session, node, laura, PLAN + MEETINGS)
    return node


def test_the_assessment_covers_the_period_since_the_previous_meeting(planned: Node) -> None:
    with planned.db.session() as session:
        found = assessment.assess(session, planned, "SIG-2026-11")
    assert found.previous is not None
    assert (found.start.isoformat(), found.end.isoformat()) == ("2026-03-15", "2026-11-20")
    assert [n.element.code for n in found.completed] == ["1.1.2.1"]
    assert [n.element.code for n in found.overdue] == ["1.1.1.1"]  # due 2026-10-31
    assert [n.element.code for n in found.at_risk] == ["1.1.1.2"]
    assert {g.rule for g in found.found_gaps} >= {"objective-without-action", "action-overdue",
                                                   "action-without-lead"}  # fmt: skip
    subjects = [d.subject for d in found.draft]
    assert subjects[:2] == ["1.1.1.1", "1.1.1.2"]
    assert "1.1.2" in subjects  # an action to agree for the objective with none
    bring_back = found.draft[0].text
    assert bring_back.en == "Bring action 1.1.1.1 (Scanners) back on track."
    assert bring_back.es == "Encauzar la acción 1.1.1.1 (Escáneres)."


def _text(pdf: bytes) -> str:
    return " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@needs_pango
def test_the_briefing_reads_in_both_languages_and_is_reproducible(planned: Node) -> None:
    with planned.db.session() as session:
        english = briefing.render_pdf(session, planned, "SIG-2026-11", "en")
        again = briefing.render_pdf(session, planned, "SIG-2026-11", "en")
        spanish = briefing.render_pdf(session, planned, "SIG-2026-11", "es")
    assert english == again  # same data, same bytes
    assert english.startswith(b"%PDF")
    text = " ".join(_text(english).split())
    assert "Briefing: SIG fourth session" in text
    assert "Actions overdue" in text
    assert "1.1.1.1 Scanners" in text
    spanish_text = " ".join(_text(spanish).split())
    assert "Acciones vencidas" in spanish_text
    assert "1.1.1.1 Escáneres" in spanish_text


@pytest.fixture
def desk(planned: Node) -> Iterator[tuple[TestClient, str]]:
    with TestClient(create_app(planned), follow_redirects=False) as client:
        yield client, sign_in(client, "laura")


@needs_pango
def test_the_coordinator_adopts_the_edited_draft(
    desk: tuple[TestClient, str], planned: Node
) -> None:
    client, csrf = desk
    doc = page(client.get("/meetings/SIG-2026-11").text)
    form = doc.one(id="adopt-form")
    count = int(form.one("input", name="count").attrs["value"])
    data = {"csrf_token": csrf, "count": str(count)}
    for i in range(count):
        for name in ("en", "es", "due", "subject"):
            data[f"{name}-{i}"] = form.one("input", name=f"{name}-{i}").attrs.get("value", "")
    data["adopt-0"] = "1"
    data["en-0"] = "Scanners installed at all four ports."
    adopted = client.post("/meetings/SIG-2026-11/expectations", data=data)
    assert adopted.status_code == 303
    with planned.db.session() as session:
        meeting = next(m for m, _ in service.meetings(session) if m.code == "SIG-2026-11")
    assert [e.text.en for e in meeting.expectations] == ["Scanners installed at all four ports."]
    pdf = client.get("/meetings/SIG-2026-11/briefing.pdf?lang=en")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "Scanners installed at all four ports." in " ".join(_text(pdf.content).split())
    html = client.get("/meetings/SIG-2026-11/briefing?lang=es").text
    assert "Expectativas adoptadas" in html or "Expectations adopted" in html


BARE = {"code": "I7", "name": {"en": "Joint patrols", "es": "Patrullajes conjuntos"},
        "unit": {"en": "patrols", "es": "patrullajes"}, "good_direction": "up",
        "source": "manual"}  # fmt: skip


@needs_pango
def test_an_indicator_with_no_figures_is_stated_and_the_briefing_renders(
    desk: tuple[TestClient, str], planned: Node
) -> None:
    client, _csrf = desk
    coordinator = token_headers(planned, "coord", "INL", "coordinator")
    saved = client.put("/api/v1/indicators", headers=coordinator, json=[BARE])
    assert saved.status_code == 200, saved.text
    for locale, said in (("en", "No figures to chart"), ("es", "Sin cifras que graficar")):
        pdf = client.get(f"/meetings/SIG-2026-11/briefing.pdf?lang={locale}")
        assert pdf.status_code == 200, pdf.text
        text = " ".join(_text(pdf.content).split())
        assert f"I7 {BARE['name'][locale]}" in text
        assert said in text
        html = client.get(f"/meetings/SIG-2026-11/briefing?lang={locale}")
        assert html.status_code == 200
        assert said in html.text
        # The empty chart says so itself, at the size of any other chart.
        figure = page(html.text).one("figure", class_="chart")
        assert said in figure.text()
