"""Indicator charts: one Vega-Lite spec per chart, drawn in the browser and on the server.

The same spec serves both places so the briefing is reproducible: the web page embeds it
(``puente/web/static/charts.js`` hands it to the vendored vega-embed) and keeps the
server-rendered SVG as its no-script content; the HTML and PDF assessment embed the SVG that
:func:`render_svg` draws from that spec with ``vl-convert`` (Vega-Lite compiled and rendered
by an embedded JavaScript engine: no browser, no network).

Nothing here reads the database: the caller turns observations, baseline and targets into a
:class:`Chart` and passes every label already translated, except the few words the chart
itself writes ("Baseline", "Target path", the good direction), which are translated here.

Decisions the caller should know:

- Months are placed in UTC throughout (``utcyearmonth``, ``utc`` scales and formats): a
  month parsed as ``2024-01-01`` would otherwise show as December in a browser west of
  Greenwich, and the server and the browser would disagree.
- Number and date formats travel inside the spec (``config.locale``), so Spanish month names
  come out in the browser and in ``vl-convert`` alike; the renderer is given no locale.
- Several series are drawn as lines by default, or as stacked bars with
  ``Chart(stacked=True)``: stack them when baseline and targets refer to their sum (the
  southwest border as the sum of its field offices), keep lines when each series is read on
  its own.
- The target path is the straight line from the baseline through each target in date
  order, so a month off that path shows at a glance. With a period selected the path is cut
  at the period's edges (interpolated there), not dropped, so the window shows the part of
  the path it covers.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import vl_convert
from markupsafe import Markup, escape

from puente.errors import N_
from puente.i18n import DEFAULT_LOCALE, LOCALES, translate

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# The Vega-Lite that vl-convert compiles with, named rather than "latest" so that upgrading
# vl-convert cannot silently redraw an archived briefing. vl-convert 1.9 bundles up to 6.4.
VEGA_LITE_VERSION = "6.4"
# Liberation Sans has Arial's metrics, so labels measured with it by vl-convert (and drawn
# with it by resvg for the PDF) fit the same in a browser that draws them in Arial; it has
# the accents Spanish needs and comes with Debian's fonts-liberation (which chromium pulls
# in). Not DejaVu Sans: vl-convert measures and draws its text about a third slower.
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
WIDTH = 640
HEIGHT = 280
BASELINE_COLOUR = "#555555"
TARGET_COLOUR = "#111111"
BASELINE_DASH = [1, 0]  # solid: the level the plan started from
TARGET_DASH = [6, 4]

# d3-format and d3-time-format locales (copied from d3's locale files, as vl-convert's
# get_format_locale / get_time_format_locale return them), kept here so the spec does not
# depend on the renderer. Spanish is Mexico's: 1,234.5 with a decimal point, as Mexico
# writes it, not Spain's 1.234,5.
NUMBER_LOCALES: dict[str, dict[str, Any]] = {
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
    "es": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
}
TIME_LOCALES: dict[str, dict[str, Any]] = {
    "en": {
        "dateTime": "%x, %X",
        "date": "%-m/%-d/%Y",
        "time": "%-I:%M:%S %p",
        "periods": ["AM", "PM"],
        "days": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        "shortDays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
        "months": [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        "shortMonths": [
            "Jan",
            "Feb",
            "Mar",
            "Apr",
            "May",
            "Jun",
            "Jul",
            "Aug",
            "Sep",
            "Oct",
            "Nov",
            "Dec",
        ],
    },
    "es": {
        "dateTime": "%x, %X",
        "date": "%d/%m/%Y",
        "time": "%-I:%M:%S %p",
        "periods": ["AM", "PM"],
        "days": ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
        "shortDays": ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
        "months": [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        "shortMonths": [
            "ene",
            "feb",
            "mar",
            "abr",
            "may",
            "jun",
            "jul",
            "ago",
            "sep",
            "oct",
            "nov",
            "dic",
        ],
    },
}
_ELEMENT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
AXIS_MONTH = "%b %Y"
TOOLTIP_MONTH = "%B %Y"
# Up to two decimals, trailing zeros dropped: pounds carry decimals, counts do not.
VALUE_FORMAT = ",.2~f"
TICKS = 8


@dataclass(frozen=True)
class ChartSeries:
    """One line (or one stack of bars): a label and its monthly values, months as dates."""

    label: str
    points: tuple[tuple[date, float], ...]


@dataclass(frozen=True)
class Chart:
    """What one indicator chart shows. ``unit`` and every label come in translated.

    ``good_direction`` is ``"up"`` or ``"down"``. ``period``, when set, is the selected
    window (both ends included): observations and targets outside it are left out.
    ``stacked`` draws several series as stacked bars rather than lines.
    """

    title: str
    unit: str
    good_direction: str
    series: tuple[ChartSeries, ...]
    baseline: tuple[date, float] | None = None
    targets: tuple[tuple[date, float], ...] = ()
    period: tuple[date, date] | None = None
    stacked: bool = False


def vega_lite_spec(chart: Chart, locale: str) -> dict[str, Any]:
    """The chart as one layered Vega-Lite spec, data inline, the same for the same input.

    Layers, bottom to top: the observations (lines with points, or stacked bars), the
    baseline (a horizontal rule), the target path (a dashed line from the baseline through
    the targets) and the targets (diamonds). Raises ``ValueError`` for a good direction other
    than up or down, a value that is not a finite number, or a period that ends before it
    starts: JSON has no NaN, and a chart must not quietly drop a figure.
    """
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    if chart.good_direction not in ("up", "down"):
        raise ValueError(f"good_direction must be 'up' or 'down', not {chart.good_direction!r}")
    if chart.period is not None and chart.period[1] < chart.period[0]:
        raise ValueError(f"period ends before it starts: {chart.period}")
    _check_finite(chart)

    labels = [series.label for series in chart.series]
    observations = [
        {"month": day.isoformat(), "series": series.label, "value": value}
        for series in chart.series
        for day, value in sorted(series.points, key=lambda point: point[0])
        if _inside(day, chart.period)
    ]
    baseline_label = translate(locale, N_("Baseline"))
    target_label = translate(locale, N_("Target path"))
    x_scale: dict[str, Any] = {"type": "utc"}
    if chart.period is not None:
        # The window shows whole, even where a month has no figure yet; the day after the
        # end lets the last month's bar keep its width.
        x_scale["domain"] = [
            _datetime(chart.period[0]),
            _datetime(chart.period[1] + timedelta(days=1)),
        ]
        x_scale["nice"] = False
    # No formatType: Vega-Lite formats a field with a utc time unit in UTC by itself, and
    # "utc" as a formatType is a custom type it drops (with a warning) in the browser.
    # About eight ticks, at whole months, quarters or years as the span asks: one a month
    # would draw (and hide) a label for every month, at a third more time per chart.
    month_axis = {"format": AXIS_MONTH, "labelOverlap": True, "tickCount": TICKS}
    x_field = {"field": "month", "type": "temporal", "title": None, "scale": x_scale}
    # Targets and the path fall on any day, so they keep the day, in UTC like the months.
    x_day = {**x_field, "timeUnit": "utcyearmonthdate"}
    y_field = {"field": "value", "type": "quantitative", "title": chart.unit}

    bars = chart.stacked
    layers: list[dict[str, Any]] = []
    if observations:
        # Only with rows to draw: an indicator with no series yet would give the colour scale
        # an empty domain, whose legend Vega sizes as infinite ("SVG has an invalid size").
        layers.append({
            "data": {"values": observations},
            "mark": {"type": "bar"} if bars else {"type": "line", "point": True},
            "encoding": {
                "x": {**x_field, "timeUnit": "utcyearmonth", "axis": month_axis},
                "y": {**y_field, "stack": "zero" if bars else None},
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": labels},
                    "sort": labels,
                },
                "tooltip": [
                    {
                        "field": "month",
                        "type": "temporal",
                        "timeUnit": "utcyearmonth",
                        "format": TOOLTIP_MONTH,
                        "title": " ",
                    },
                    {"field": "series", "type": "nominal", "title": " "},
                    {
                        "field": "value",
                        "type": "quantitative",
                        "format": VALUE_FORMAT,
                        "title": chart.unit,
                    },
                ],
            },
        })  # fmt: skip
    references: list[str] = []
    if chart.baseline is not None:
        references.append(baseline_label)
        layers.append(
            {
                "data": {"values": [{"value": chart.baseline[1], "reference": baseline_label}]},
                "mark": {"type": "rule", "color": BASELINE_COLOUR, "strokeWidth": 1.5},
                "encoding": {
                    "y": {"field": "value", "type": "quantitative"},
                    "strokeDash": {"field": "reference", "type": "nominal"},
                },
            }
        )
    path = _target_path(chart)
    if len(path) >= 2:
        references.append(target_label)
        layers.append(
            {
                "data": {
                    "values": [
                        {"month": d.isoformat(), "value": v, "reference": target_label}
                        for d, v in path
                    ]
                },
                "mark": {"type": "line", "color": TARGET_COLOUR, "strokeWidth": 1.5},
                "encoding": {
                    "x": x_day,
                    "y": {"field": "value", "type": "quantitative"},
                    "strokeDash": {"field": "reference", "type": "nominal"},
                },
            }
        )
    targets = [(d, v) for d, v in sorted(chart.targets) if _inside(d, chart.period)]
    if targets:
        layers.append(
            {
                "data": {"values": [{"month": d.isoformat(), "value": v} for d, v in targets]},
                "mark": {
                    "type": "point",
                    "shape": "diamond",
                    "filled": True,
                    "size": 80,
                    "color": TARGET_COLOUR,
                },
                "encoding": {
                    "x": x_day,
                    "y": {"field": "value", "type": "quantitative"},
                    "tooltip": [
                        {"field": "month", "type": "temporal", "timeUnit": "utcyearmonthdate",
                         "format": "%x", "title": " "},
                        {"field": "value", "type": "quantitative", "format": VALUE_FORMAT,
                         "title": chart.unit},
                    ],
                },
            }
        )  # fmt: skip
    if references:
        # One legend for both reference lines, keyed by dash pattern. Each layer's rows carry
        # their entry's name in a field rather than a datum: the Vega-Lite schema allows a
        # scale and a legend on a strokeDash field, not on a datum.
        dashes = {baseline_label: BASELINE_DASH, target_label: TARGET_DASH}
        for layer in layers:
            dash = layer["encoding"].get("strokeDash")
            if dash is not None:
                dash["scale"] = {"domain": references, "range": [dashes[r] for r in references]}
                dash["legend"] = {"title": None, "symbolType": "stroke"}

    if not layers:
        # Nothing to draw: the chart keeps its size and says so in its middle, rather than
        # leaving an empty frame a reader could take for a failed drawing.
        layers.append(_empty_note(chart, locale))

    direction = N_("Higher is better") if chart.good_direction == "up" else N_("Lower is better")
    return {
        "$schema": SCHEMA,
        "title": {"text": chart.title, "subtitle": translate(locale, direction)},
        "description": chart.title,
        "width": WIDTH,
        "height": HEIGHT,
        "background": "white",
        "config": {
            "font": FONT,
            # Vega writes an English ARIA label for every mark and axis ("X-axis titled
            # ..."), wrong on a Spanish page: they are switched off, and embed_html labels
            # the figure with the chart's title (the page around it carries the figures as
            # text). The title keeps its label ("Title text '...'"): Vega-Lite 6.4 sets it
            # whatever the title's aria says.
            "aria": False,
            "locale": {"number": NUMBER_LOCALES[locale], "time": TIME_LOCALES[locale]},
            "legend": {"orient": "bottom", "direction": "horizontal", "columns": 4},
        },
        "layer": layers,
    }


def render_svg(spec: dict[str, Any]) -> str:
    """The spec drawn as SVG by vl-convert, text kept as text in the spec's font.

    The same spec gives the same bytes (checked by the tests), so a briefing rendered twice
    is the same file. The first call in a process starts vl-convert's JavaScript engine
    (about half a second); later charts take tens of milliseconds.
    """
    # allowed_base_urls=[]: a spec is data inline by construction; should one ever carry a
    # URL, rendering fails rather than fetching from a server.
    return vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION, allowed_base_urls=[])


def spec_json(spec: dict[str, Any]) -> str:
    """The spec as canonical JSON (sorted keys, no spaces): same spec, same bytes."""
    return json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def embed_html(spec: dict[str, Any], svg: str, element_id: str) -> Markup:
    """The chart for a web page: the server's SVG in a figure, and the spec beside it.

    ``charts.js`` finds the figure by its ``data-vega-spec`` attribute, reads the spec from
    the ``<script type="application/json">`` block that attribute names, and draws the
    interactive chart in place of the SVG; without JavaScript, or if drawing fails, the SVG
    stays. The spec travels in a JSON data block rather than in an attribute because a
    browser never executes a data block (so ``script-src 'self'`` does not apply to it) and a
    large spec reads badly as an attribute. ``<``, ``>`` and ``&`` are written as JSON
    unicode escapes so that no text in the spec (a title, a label) can close the block.

    ``element_id`` must be unique in the page; the data block's id is ``<element_id>-spec``.
    """
    if not _ELEMENT_ID.match(element_id):
        raise ValueError(f"not an HTML id: {element_id!r}")
    data = spec_json(spec).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    title = spec.get("description") or ""
    # Markup is safe here: the id is checked above, the title escaped, the SVG is
    # vl-convert's (which escapes the text it draws) and the JSON has no "<" left.
    return Markup(  # noqa: S704
        f'<figure class="chart" id="{element_id}" data-vega-spec="{element_id}-spec"'
        f' aria-label="{escape(title)}">{svg}</figure>'
        f'<script type="application/json" id="{element_id}-spec">{data}</script>'
    )


def empty_message(chart: Chart) -> str:
    """What an empty chart says (untranslated): with a period, that the period has none."""
    if chart.period is None:
        return N_("No figures to chart")
    return N_("No figures to chart for this period")


def _empty_note(chart: Chart, locale: str) -> dict[str, Any]:
    return {
        "data": {"values": [{"note": translate(locale, empty_message(chart))}]},
        "mark": {"type": "text", "fontSize": 16, "color": BASELINE_COLOUR,
                 "x": WIDTH / 2, "y": HEIGHT / 2, "align": "center", "baseline": "middle"},
        "encoding": {"text": {"field": "note", "type": "nominal"}},
    }  # fmt: skip


def _check_finite(chart: Chart) -> None:
    values = [v for series in chart.series for _, v in series.points]
    values += [v for _, v in chart.targets]
    if chart.baseline is not None:
        values.append(chart.baseline[1])
    for value in values:
        if not math.isfinite(value):
            raise ValueError(f"a chart value must be a finite number, not {value!r}")


def _inside(day: date, period: tuple[date, date] | None) -> bool:
    return period is None or period[0] <= day <= period[1]


def _datetime(day: date) -> dict[str, Any]:
    # A Vega-Lite DateTime rather than a date string: strings are parsed by the browser,
    # objects are not, and utc keeps the bound where the months are.
    return {"year": day.year, "month": day.month, "date": day.day, "utc": True}


def _target_path(chart: Chart) -> list[tuple[date, float]]:
    """Baseline then targets in date order, cut to the period with interpolated ends."""
    nodes = sorted(chart.targets)
    if chart.baseline is not None:
        nodes = [chart.baseline, *[t for t in nodes if t[0] > chart.baseline[0]]]
    if chart.period is None or len(nodes) < 2:
        return [n for n in nodes if _inside(n[0], chart.period)]
    start, end = chart.period
    path: list[tuple[date, float]] = []
    for (d0, v0), (d1, v1) in itertools.pairwise(nodes):
        if d1 < start or d0 > end:
            continue
        a = max(d0, start)
        b = min(d1, end)
        for day in (a, b):
            point = (day, _between(d0, v0, d1, v1, day))
            if not path or path[-1] != point:
                path.append(point)
    return path


def _between(d0: date, v0: float, d1: date, v1: float, day: date) -> float:
    if day == d0:
        return v0
    if day == d1:
        return v1
    share = (day.toordinal() - d0.toordinal()) / (d1.toordinal() - d0.toordinal())
    return v0 + (v1 - v0) * share
