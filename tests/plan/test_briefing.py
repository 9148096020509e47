"""The assessment for a meeting and its briefing: what it finds, both languages, the same PDF
from the same data, and the coordinator adopting the draft expectations."""

from __future__ import annotations

import io
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pypdf
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from puente.i18n import Text, translate
from puente.indicators.definitions import Indicator, Point
from puente.indicators.models import ManualObservation, PlanIndicator, SourceFigure
from puente.node import Node
from puente.plan import assessment, briefing, indicators, service, yaml_io
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


# Any plan data the node accepts: a briefing renders it whole and says what is odd about it.
# Indicators with no figure, one, all equal, zero, negative or as large as a float goes;
# baselines and targets anywhere from year 1 to 9999 (a last target long past); a dataset
# indicator split in up to a dozen series.
END = date(2026, 11, 20)  # SIG-2026-11, whose period starts at SIG-2026-03 (2026-03-15)
PERIOD = (date(2026, 3, 1), END)
HUGE = sys.float_info.max
values = st.one_of(
    st.sampled_from([0.0, -5.0, 1e15, HUGE, -HUGE, 5e-324]),
    st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
)
months = st.dates(date(1990, 1, 1), date.today()).map(lambda d: d.replace(day=1))
days = st.one_of(st.sampled_from([date(1, 1, 1), date(9999, 12, 31)]),
                 st.dates(date(1900, 1, 1), date(2200, 12, 31)))  # fmt: skip


@dataclass
class Shape:
    """One indicator's data: its points and figures (label → month → value)."""

    baseline: tuple[date, float] | None
    targets: list[tuple[date, float]]
    figures: dict[str, dict[date, float]]
    split: bool

    def months(self) -> set[date]:
        return {month for points in self.figures.values() for month in points}


@st.composite
def shapes(draw: st.DrawFn, split: bool) -> Shape:
    points = sorted(draw(st.lists(days, max_size=4, unique=True)))
    baseline = (points.pop(0), draw(values)) if points and draw(st.booleans()) else None
    targets = [(day, draw(values)) for day in points]
    labels = [f"Field office {n}" for n in range(draw(st.integers(1, 12)))] if split else [""]
    same = draw(st.none() | values)  # all figures equal, or each its own
    figures = {label: {m: same if same is not None else draw(values)
                       for m in draw(st.lists(months, max_size=4, unique=True))}
               for label in labels}  # fmt: skip
    if split:  # a public dataset holds counts and weights, never below zero
        figures = {k: {m: abs(v) for m, v in f.items()} for k, f in figures.items()}
    return Shape(baseline, targets, figures, split)


plans = st.lists(st.booleans().flatmap(shapes), min_size=1, max_size=3)


def _load(node: Node, plan: list[Shape]) -> None:
    """This node's indicators become exactly ``plan``'s (what an earlier example left goes)."""
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        for table in (PlanIndicator, ManualObservation, SourceFigure):
            session.execute(delete(table))
        items = [
            Indicator(code=f"I{n + 1}", name=Text(f"Measure {n + 1}", f"Medida {n + 1}"),
                      unit=Text("lb", "lb"), good_direction="up",
                      source="dataset" if shape.split else "manual",
                      dataset="cbp.drugs" if shape.split else "",
                      measure="weight_lb" if shape.split else "",
                      filters={"drug": f"Drug {n}"} if shape.split else {},
                      split_by="aor" if shape.split else "",
                      baseline=Point(*shape.baseline) if shape.baseline else None,
                      targets=[Point(*t) for t in shape.targets])
            for n, shape in enumerate(plan)
        ]  # fmt: skip
        indicators.save_indicators(session, node, laura, items)
        for n, shape in enumerate(plan):
            for label, figures in shape.figures.items():
                for month, value in figures.items():
                    if shape.split:  # as an import of the public file stores it
                        session.add(SourceFigure(series="cbp.drugs", period=month,
                                                 dims=f"aor={label}|drug=Drug {n}",
                                                 measure="weight_lb", value=value,
                                                 source="test.csv", line=1))  # fmt: skip
                    else:
                        indicators.add_observation(session, node, laura, f"I{n + 1}",
                                                   period=month, value=value, unit="lb")  # fmt: skip


def _statements(plan: list[Shape], locale: str) -> Counter[str]:
    """What the briefing must say about these indicators, each as often as it applies."""
    said: Counter[str] = Counter()
    for shape in plan:
        found = shape.months()
        if any(PERIOD[0] <= m <= PERIOD[1] for m in found):
            said[translate(locale, "Latest")] += 1
        elif found:
            said[translate(locale, "No figures to chart for this period; the latest figure is "
                           "from {month}.", month=max(found).isoformat()[:7])] += 1  # fmt: skip
        else:
            said[translate(locale, "No figures to chart: none has been entered or imported "
                           "yet.")] += 1  # fmt: skip
        if shape.baseline is None and not shape.targets:
            said[translate(locale, "No baseline or target: nothing to judge progress by.")] += 1
        elif shape.targets and shape.targets[-1][0] < END:
            said[translate(locale, "The last target ({date}) has passed: progress is judged "
                           "against it.", date=shape.targets[-1][0].isoformat())] += 1  # fmt: skip
    return said


def _check_says(text: str, plan: list[Shape], locale: str) -> None:
    text = " ".join(text.split())
    for statement, times in _statements(plan, locale).items():
        assert text.count(statement) == times, (statement, text)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(plan=plans)
def test_the_briefing_renders_any_indicator_data_and_says_what_is_odd(
    planned: Node, plan: list[Shape]
) -> None:
    _load(planned, plan)
    for locale in ("en", "es"):
        with planned.db.session() as session:
            html = briefing.render_html(session, planned, "SIG-2026-11", locale)
        doc = page(html)
        _check_says(doc.one("body").text(), plan, locale)
        figures = doc.all("figure", class_="chart")
        assert len(figures) == len(plan)
        for figure in figures:  # every chart drawn at a size a page can hold
            svg = figure.one("svg")
            assert float(svg.attrs["width"]) < 2000
            assert float(svg.attrs["height"]) < 2000


@needs_pango
@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(plan=plans)
def test_the_briefing_pdf_renders_any_indicator_data_in_both_languages(
    planned: Node, plan: list[Shape]
) -> None:
    _load(planned, plan)
    for locale in ("en", "es"):
        with planned.db.session() as session:
            pdf = briefing.render_pdf(session, planned, "SIG-2026-11", locale)
        _check_says(_text(pdf), plan, locale)
