"""The indicator charts in a real browser under the node's own Content-Security-Policy.

A bare page (no node, no database) served with the node's response headers and its static
folder: the vendored Vega draws the chart from the spec block, with no CSP violation, and
in Spanish the month labels are Spanish, and in Mexico City's time zone January stays
January (months are placed in UTC).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from importlib import resources

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from puente.indicators.charts import Chart, ChartSeries, embed_html, render_svg, vega_lite_spec
from puente.web.headers import ResponseHeaders

pytestmark = pytest.mark.browser

CHART = Chart(
    title="Fentanilo decomisado",
    unit="lb",
    good_direction="up",
    series=(
        ChartSeries(
            "Frontera suroeste", tuple((date(2024, m, 1), 100.0 * m) for m in range(1, 13))
        ),
    ),
    baseline=(date(2024, 1, 1), 100.0),
    targets=((date(2024, 12, 1), 1500.0),),
)


def page_html(request: Request) -> HTMLResponse:
    spec = vega_lite_spec(CHART, "es")
    chart = embed_html(spec, render_svg(spec), "fentanyl")
    return HTMLResponse(
        "<!doctype html><html lang='es'><head><meta charset='utf-8'>"
        "<link rel='icon' href='/static/favicon.svg'>"
        "<script src='/static/vendor/vega/vega.min.js' defer></script>"
        "<script src='/static/vendor/vega/vega-lite.min.js' defer></script>"
        "<script src='/static/vendor/vega/vega-embed.min.js' defer></script>"
        "<script src='/static/charts.js' defer></script>"
        f"</head><body>{chart}</body></html>"
    )


@pytest.fixture
def url() -> Iterator[str]:
    static = resources.files("puente") / "web" / "static"
    app = Starlette(
        routes=[Route("/", page_html), Mount("/static", StaticFiles(directory=str(static)))]
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            ResponseHeaders(app, "lang", secure_cookies=False),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # startup, not an assertion: wait until it listens
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_the_vendored_vega_draws_the_chart_under_the_csp(page: Page, url: str) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    response = page.goto(url + "/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    figure = page.locator("figure.chart")
    expect(figure).to_have_attribute("data-vega-drawn", "")
    view = figure.locator(".chart-view svg")
    expect(view).to_be_visible()
    expect(figure.locator("> svg")).to_have_count(0)  # the server's SVG gave way
    expect(view.locator("text", has_text="ene 2024").first).to_be_attached()
    expect(view.locator("text", has_text="Fentanilo decomisado")).to_be_attached()
    assert problems == []


def test_months_stay_put_west_of_greenwich(browser: Browser, url: str) -> None:
    context = browser.new_context(locale="es-MX", timezone_id="America/Mexico_City")
    try:
        page = context.new_page()
        page.goto(url + "/")
        view = page.locator("figure.chart .chart-view svg")
        expect(view).to_be_visible()
        labels = view.locator("g.role-axis-label text").all_text_contents()
        assert labels[0] == "ene 2024"  # not "dic 2023", as local time would place it
        assert not any("2023" in label for label in labels)
    finally:
        context.close()
