"""HTML views of the plan's indicators: the list, and each indicator's chart against its
baseline and targets, with the period selectable; manual indicators take figures here; the
form to create or change this node's indicators."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from puente.errors import N_, InvalidInput, NotFound, Problem
from puente.indicators import charts, reading
from puente.indicators.definitions import (
    DATASETS,
    DIMENSIONS,
    DIRECTIONS,
    PLATFORM_METRICS,
    SOURCES,
    Indicator,
    check,
)
from puente.indicators.schemas import IndicatorIn, ObservationIn
from puente.node import Node
from puente.plan import indicators
from puente.plan.service import require_writer
from puente.policy.roles import require
from puente.shapes import beside, read, read_partly
from puente.web.deps import (
    FormDep,
    NodeDep,
    PrincipalDep,
    SessionDep,
)
from puente.web.forms import errors_by_field
from puente.web.pages import page_locale, redirect, render

router = APIRouter(include_in_schema=False)
CHART_SCRIPTS = ("/static/vendor/vega/vega.min.js", "/static/vendor/vega/vega-lite.min.js",
                 "/static/vendor/vega/vega-embed.min.js", "/static/charts.js")  # fmt: skip


def _month(text: str) -> date | None:
    try:
        return date.fromisoformat(text + "-01") if len(text) == 7 else None
    except ValueError:
        return None


@router.get("/indicators", response_class=HTMLResponse)
def list_page(request: Request, session: SessionDep, who: PrincipalDep) -> Response:
    require(who, "records.read")
    locale = page_locale(request)
    rows = [reading.read(session, i, owner, locale) for i, owner in indicators.indicators(session)]
    return render(request, "indicators.html", rows=rows)


def _page(request: Request, session: Session, node: Node, code: str,
          errors: dict[str, list[str]], values: dict[str, str], status: int = 200) -> Response:  # fmt: skip
    locale = page_locale(request)
    indicator, owner = indicators.get(session, code)
    start = _month(request.query_params.get("from", ""))
    end = _month(request.query_params.get("to", ""))
    period = (start, end) if start and end and start <= end else None
    found = reading.read(session, indicator, owner, locale, period)
    spec = charts.vega_lite_spec(found.chart, locale)
    figure = charts.embed_html(spec, charts.render_svg(spec), f"chart-{code}")
    return render(request, "indicator.html", status=status, found=found, figure=figure,
                  scripts=CHART_SCRIPTS, period_from=start.isoformat()[:7] if period and start
                  else "", period_to=end.isoformat()[:7] if period and end else "",
                  errors=errors, values=values, own_node=node.settings.node_id)  # fmt: skip


@router.get("/indicators/{code}", response_class=HTMLResponse)
def indicator_page(
    request: Request, code: str, session: SessionDep,
    node: NodeDep, who: PrincipalDep,
) -> Response:  # fmt: skip
    require(who, "records.read")
    return _page(request, session, node, code, {}, {})


@router.post("/indicators/{code}/observations", response_class=HTMLResponse)
def add_observation(
    request: Request,
    code: str,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    values = {k: str(form.get(k) or "") for k in ("period", "value", "unit", "note")}
    try:
        figure = read(ObservationIn, values)
        with session.begin_nested():
            indicators.add_observation(session, node, who, code, period=figure.period,
                                       value=figure.value, unit=figure.unit, note=figure.note)  # fmt: skip
    except InvalidInput as exc:
        return _page(request, session, node, code,
                     errors_by_field(exc.problems, page_locale(request)), values, 422)  # fmt: skip
    return redirect(f"/indicators/{code}")


# -- creating and changing this node's indicators -------------------------------------------------

FORM_FIELDS = ("code", "objective", "name_en", "name_es", "unit_en", "unit_es", "good_direction",
               "source", "dataset", "measure", "filters", "split_by", "baseline_date",
               "baseline_value", "targets")  # fmt: skip
DIRECTION_LABELS = {"up": N_("Higher is better"), "down": N_("Lower is better")}
SOURCE_LABELS = {"dataset": N_("A public dataset the node imports"),
                 "platform": N_("This platform's own figures"),
                 "manual": N_("Entered by hand")}  # fmt: skip
DATASET_LABELS = {"cbp.drugs": N_("CBP drug seizures"),
                  "cbp.weapons": N_("CBP weapons and ammunition seizures"),
                  "sesnsp.incidence": N_("SESNSP crime incidence")}  # fmt: skip
CHOICES: dict[str, Any] = {
    "directions": [(d, DIRECTION_LABELS[d]) for d in DIRECTIONS],
    "sources": [(s, SOURCE_LABELS[s]) for s in SOURCES],
    "datasets": [(d, DATASET_LABELS.get(d, d)) for d in DATASETS],
    "measures": sorted({m for ms in DATASETS.values() for m in ms} | set(PLATFORM_METRICS)),
    "dimensions": sorted({d for ds in DIMENSIONS.values() for d in ds}),
    "measures_by_source": " · ".join([f"{d}: {', '.join(ms)}" for d, ms in DATASETS.items()]
                                     + [", ".join(PLATFORM_METRICS)]),
    "dimensions_by_dataset": " · ".join(f"{d}: {', '.join(ds)}" for d, ds in DIMENSIONS.items()),
}  # fmt: skip


def _number(value: float) -> str:
    """A figure as the form shows it, every digit kept: 1234567, not 1.23457e+06."""
    return str(int(value)) if value.is_integer() else repr(value)


def _form_values(indicator: Indicator | None) -> dict[str, str]:
    if indicator is None:
        return {"good_direction": "up", "source": "dataset"}
    baseline = indicator.baseline
    return {
        "code": indicator.code, "objective": indicator.objective_code,
        "name_en": indicator.name.en, "name_es": indicator.name.es,
        "unit_en": indicator.unit.en, "unit_es": indicator.unit.es,
        "good_direction": indicator.good_direction, "source": indicator.source,
        "dataset": indicator.dataset, "measure": indicator.measure,
        "filters": "\n".join(f"{k}={v}" for k, v in sorted(indicator.filters.items())),
        "split_by": indicator.split_by,
        "baseline_date": baseline.on.isoformat() if baseline else "",
        "baseline_value": _number(baseline.value) if baseline else "",
        "targets": "\n".join(f"{t.on.isoformat()} {_number(t.value)}" for t in indicator.targets),
    }  # fmt: skip


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _target(line: str) -> dict[str, str] | None:
    """``2026-09-01 2400``; a lone date lacks its value, a lone number its date; None for a
    line of more than the two."""
    parts = line.split()
    if len(parts) == 1:
        try:
            date.fromisoformat(parts[0])
            parts.append("")
        except ValueError:
            parts.insert(0, "")
    return {"date": parts[0], "value": parts[1]} if len(parts) == 2 else None


def _indicator_from(values: dict[str, str]) -> tuple[Indicator, list[Problem]]:
    """The indicator the form describes (read by the API's :class:`IndicatorIn`) and what
    cannot be read of it; what the source does not use is left out."""
    problems: list[Problem] = []
    source = values["source"]
    filters: dict[str, str] = {}
    for index, line in enumerate(_lines(values["filters"]) if source == "dataset" else []):
        name, sep, value = (part.strip() for part in line.partition("="))
        if not (sep and name and value):
            problems.append(Problem(N_("Write a filter as dimension=value, one per line."),
                                    f"/filters/{index}"))  # fmt: skip
        else:
            filters[name] = value
    baseline = None
    if values["baseline_date"] or values["baseline_value"]:
        baseline = {"date": values["baseline_date"], "value": values["baseline_value"].strip()}
    targets, lines = [], []  # the line of each target read
    for index, line in enumerate(_lines(values["targets"])):
        target = _target(line)
        if target is None:
            problems.append(Problem(N_("Write a target as its date and its value, e.g. "
                                       "2026-09-01 2400."), f"/targets/{index}"))  # fmt: skip
        else:
            targets.append(target)
            lines.append(index)
    data = {
        "code": values["code"].strip(), "objective": values["objective"].strip(),
        "name": {"en": values["name_en"].strip(), "es": values["name_es"].strip()},
        "unit": {"en": values["unit_en"].strip(), "es": values["unit_es"].strip()},
        "good_direction": values["good_direction"], "source": source,
        "dataset": values["dataset"] if source == "dataset" else "",
        "measure": values["measure"].strip() if source in ("dataset", "platform") else "",
        "filters": filters if source == "dataset" else {},
        "split_by": values["split_by"].strip() if source == "dataset" else "",
        "baseline": baseline, "targets": targets,
    }  # fmt: skip
    shape, unread = read_partly(IndicatorIn, data)
    problems += [Problem(p.message, _on_line(p.pointer, lines), p.params) for p in unread]
    return (shape or IndicatorIn()).indicator(), problems  # every field has a default


def _on_line(pointer: str, lines: list[int]) -> str:
    """A target's pointer (``/targets/1/date``) at the form's line of that target."""
    parts = pointer.split("/")
    if len(parts) > 2 and parts[1] == "targets" and parts[2].isdigit():
        parts[2] = str(lines[int(parts[2])])
    return "/".join(parts)


def _form_pointer(pointer: str) -> str:
    """A service's or the parser's pointer (``/0/name/en``, ``/targets/1/date``) → the field."""
    parts = pointer.removeprefix("/0").strip("/").split("/")
    head, rest = parts[0], parts[1:]
    if head in ("name", "unit"):
        return f"/{head}_{rest[0] if rest else 'en'}"
    if head == "baseline":
        return f"/baseline_{rest[0] if rest else 'date'}"
    if head in ("targets", "filters"):
        return f"/{head}/{rest[0]}" if rest and rest[0].isdigit() else f"/{head}"
    return f"/{head}"


def _exists(session: Session, code: str) -> bool:
    try:
        indicators.get(session, code)
    except NotFound:
        return False
    return True


def _form_page(request: Request, values: dict[str, str], errors: dict[str, list[str]],
               editing: str, status: int = 200) -> Response:  # fmt: skip
    return render(request, "indicator_form.html", status=status, values=values, errors=errors,
                  editing=editing, **CHOICES)  # fmt: skip


@router.get("/indicators-new", response_class=HTMLResponse)
def new_form(request: Request, who: PrincipalDep) -> Response:
    require(who, "plan.write")
    return _form_page(request, _form_values(None), {}, "")


@router.get("/indicators/{code}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, code: str, session: SessionDep,
    node: NodeDep, who: PrincipalDep,
) -> Response:  # fmt: skip
    require(who, "plan.write")
    indicator, owner = indicators.get(session, code)
    require_writer(node, code, owner)
    return _form_page(request, _form_values(indicator), {}, code)


@router.post("/indicators-save", response_class=HTMLResponse)
def save(
    request: Request,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    require(who, "plan.write")
    values = {name: str(form.get(name) or "") for name in FORM_FIELDS}
    editing = str(form.get("editing") or "")
    if editing:  # an edit keeps its code, whatever a crafted form sends
        values["code"] = editing
    indicator, problems = _indicator_from(values)
    if not editing and _exists(session, indicator.code):
        problems.append(Problem(N_("{code} is already recorded: change it with Edit on its "
                                   "page."), "/code", {"code": indicator.code}))  # fmt: skip
    try:
        if problems:  # what the form could not read, with the rules its readable fields break
            raise InvalidInput(problems + beside(check(indicator), problems))
        with session.begin_nested():
            indicators.save_indicators(session, node, who, [indicator], base="")
    except InvalidInput as exc:
        moved = [Problem(p.message, _form_pointer(p.pointer), p.params) for p in exc.problems]
        errors = errors_by_field(moved, page_locale(request))
        return _form_page(request, values, errors, editing, 422)
    return redirect(f"/indicators/{indicator.code}")
