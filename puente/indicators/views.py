"""HTML views of the plan's indicators: the list, and each indicator's chart against its
baseline and targets, with the period selectable; manual indicators take figures here; the
form to create or change this node's indicators."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from puente.errors import N_, InvalidInput, NotFound, Problem, read_date
from puente.i18n import Text
from puente.indicators import charts, reading
from puente.indicators.definitions import (
    DATASETS,
    DIMENSIONS,
    DIRECTIONS,
    PLATFORM_METRICS,
    SOURCES,
    Indicator,
    Point,
    check,
)
from puente.node import Node
from puente.plan import indicators
from puente.plan.service import require_writer
from puente.policy.roles import require
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
    problems: list[Problem] = []
    period = _month(values["period"])
    if period is None:
        problems.append(Problem(N_("{value} is not a month: write YYYY-MM."), "/period",
                                {"value": values["period"]}))  # fmt: skip
    value = _float(values["value"])
    if value is None:
        problems.append(Problem(N_("{value} is not a number."), "/value",
                                {"value": values["value"]}))  # fmt: skip
    try:
        if problems:
            raise InvalidInput(problems)
        assert period is not None
        assert value is not None
        with session.begin_nested():
            indicators.add_observation(session, node, who, code, period=period, value=value,
                                       unit=values["unit"], note=values["note"])  # fmt: skip
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


def _float(text: str) -> float | None:
    """A figure as typed (thousands separators allowed), or None: not a number, or not a
    finite one (``nan``, ``inf``, ``1e999``)."""
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


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


def _point(day: str, value: str, at: str, problems: list[Problem]) -> Point | None:
    on: date | None = None
    number: float | None = None
    if not day:
        problems.append(Problem(N_("A target or baseline needs a date."), f"{at}/date"))
    else:
        on = read_date(day, f"{at}/date", problems)
    if not value:
        problems.append(Problem(N_("A target or baseline needs a value."), f"{at}/value"))
    else:
        number = _float(value)
        if number is None:
            problems.append(Problem(N_("{value} is not a number."), f"{at}/value",
                                    {"value": value}))  # fmt: skip
    return Point(on, number) if on is not None and number is not None else None


def _target(line: str, at: str, problems: list[Problem]) -> Point | None:
    """``2026-09-01 2400``; a lone date lacks its value, a lone number its date."""
    parts = line.split()
    if len(parts) == 1:
        try:
            date.fromisoformat(parts[0])
            parts.append("")
        except ValueError:
            parts.insert(0, "")
    if len(parts) != 2:
        problems.append(Problem(N_("Write a target as its date and its value, e.g. "
                                   "2026-09-01 2400."), at))  # fmt: skip
        return None
    return _point(parts[0], parts[1], at, problems)


def _indicator_from(values: dict[str, str]) -> tuple[Indicator, list[Problem]]:
    """The indicator the form describes; what the source does not use is left out."""
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
        baseline = _point(values["baseline_date"], values["baseline_value"].strip(), "/baseline",
                          problems)  # fmt: skip
    targets = [_target(line, f"/targets/{i}", problems)
               for i, line in enumerate(_lines(values["targets"]))]  # fmt: skip
    indicator = Indicator(
        code=values["code"].strip(), objective_code=values["objective"].strip(),
        name=Text(values["name_en"].strip(), values["name_es"].strip()),
        unit=Text(values["unit_en"].strip(), values["unit_es"].strip()),
        good_direction=values["good_direction"], source=source,
        dataset=values["dataset"] if source == "dataset" else "",
        measure=values["measure"].strip() if source in ("dataset", "platform") else "",
        filters=filters if source == "dataset" else {},
        split_by=values["split_by"].strip() if source == "dataset" else "",
        baseline=baseline, targets=[t for t in targets if t is not None],
    )  # fmt: skip
    return indicator, problems


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
            read = ("/targets", "/baseline", "/filters")
            raise InvalidInput(problems + [p for p in check(indicator)
                                           if not p.pointer.startswith(read)])  # fmt: skip
        with session.begin_nested():
            indicators.save_indicators(session, node, who, [indicator], base="")
    except InvalidInput as exc:
        moved = [Problem(p.message, _form_pointer(p.pointer), p.params) for p in exc.problems]
        errors = errors_by_field(moved, page_locale(request))
        return _form_page(request, values, errors, editing, 422)
    return redirect(f"/indicators/{indicator.code}")
