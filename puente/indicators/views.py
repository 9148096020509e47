"""HTML views of the plan's indicators: the list, and each indicator's chart against its
baseline and targets, with the period selectable; manual indicators take figures here."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from puente.accounts.service import Principal, require
from puente.errors import N_, InvalidInput, Problem
from puente.indicators import charts, reading
from puente.indicators import service as indicators
from puente.node import Node
from puente.web.deps import db_session, form_data, get_node, principal
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
def list_page(
    request: Request, session: Session = db_session, who: Principal = Depends(principal)
) -> Response:
    require(who, "records.read")
    locale = page_locale(request)
    rows = [reading.read(session, i, owner, locale) for i, owner in indicators.indicators(session)]
    return render(request, "indicators.html", rows=rows)


def _page(request: Request, session: Session, code: str, errors: dict[str, list[str]],
          values: dict[str, str], status: int = 200) -> Response:  # fmt: skip
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
                  errors=errors, values=values)  # fmt: skip


@router.get("/indicators/{code}", response_class=HTMLResponse)
def indicator_page(
    request: Request, code: str, session: Session = db_session,
    who: Principal = Depends(principal),
) -> Response:  # fmt: skip
    require(who, "records.read")
    return _page(request, session, code, {}, {})


@router.post("/indicators/{code}/observations", response_class=HTMLResponse)
def add_observation(
    request: Request,
    code: str,
    form: FormData = Depends(form_data),
    session: Session = db_session,
    node: Node = Depends(get_node),
    who: Principal = Depends(principal),
) -> Response:
    values = {k: str(form.get(k) or "") for k in ("period", "value", "unit", "note")}
    problems: list[Problem] = []
    period = _month(values["period"])
    if period is None:
        problems.append(Problem(N_("{value} is not a month: write YYYY-MM."), "/period",
                                {"value": values["period"]}))  # fmt: skip
    try:
        value = float(values["value"].replace(",", ""))
    except ValueError:
        problems.append(Problem(N_("{value} is not a number."), "/value",
                                {"value": values["value"]}))  # fmt: skip
        value = 0.0
    try:
        if problems:
            raise InvalidInput(problems)
        assert period is not None
        with session.begin_nested():
            indicators.add_observation(session, node, who, code, period=period, value=value,
                                       unit=values["unit"], note=values["note"])  # fmt: skip
    except InvalidInput as exc:
        return _page(request, session, code, errors_by_field(exc.problems, page_locale(request)),
                     values, 422)  # fmt: skip
    return redirect(f"/indicators/{code}")
