"""Indicator charts: the Vega-Lite spec, the server-rendered SVG, the page markup, the assets.

No database: charts are built from plain values. The SVG tests run vl-convert (an embedded
JavaScript engine, offline); the first render in the process takes about half a second.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from puente.indicators.charts import (
    ChartSeries,
    embed_html,
    render_svg,
    spec_json,
    vega_lite_spec,
)
from tests.support.indicators import fentanyl

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "puente" / "web" / "static" / "vendor"


def layer(spec: dict[str, Any], mark: str) -> dict[str, Any]:
    found = [each for each in spec["layer"] if each["mark"]["type"] == mark]
    assert len(found) == 1, f"{len(found)} {mark} layers"
    return found[0]


def keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from keys(inner)


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


# The spec


def test_the_same_chart_gives_byte_identical_json() -> None:
    first = json.dumps(vega_lite_spec(fentanyl(), "es"), sort_keys=True)
    assert json.dumps(vega_lite_spec(fentanyl(), "es"), sort_keys=True) == first
    # Points given in another order are the same chart.
    shuffled = tuple(ChartSeries(s.label, tuple(reversed(s.points))) for s in fentanyl().series)
    assert json.dumps(vega_lite_spec(fentanyl(series=shuffled), "es"), sort_keys=True) == first
    assert spec_json(vega_lite_spec(fentanyl(), "es")) == spec_json(
        vega_lite_spec(fentanyl(), "es")
    )


def test_the_spec_is_a_layered_vega_lite_v6_spec_with_its_data_inline() -> None:
    spec = vega_lite_spec(fentanyl(), "en")
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v6.json"
    assert spec["title"]["text"] == "Fentanyl seized at the southwest border"
    assert spec["title"]["subtitle"] == "Higher is better"
    assert "url" not in set(keys(spec))  # nothing fetched, by the browser or the renderer
    assert all("values" in each["data"] for each in spec["layer"])
    observations = spec["layer"][0]
    assert observations["mark"] == {"type": "line", "point": True}
    assert observations["encoding"]["y"]["title"] == "lb"
    assert observations["encoding"]["color"]["scale"]["domain"] == [
        "San Diego Field Office",
        "Tucson Field Office",
    ]
    assert observations["data"]["values"][0] == {
        "month": "2024-01-01",
        "series": "San Diego Field Office",
        "value": 100.0,
    }
    assert len(observations["data"]["values"]) == 24


def test_baseline_target_path_and_targets_each_have_a_layer() -> None:
    spec = vega_lite_spec(fentanyl(), "en")
    rule = layer(spec, "rule")
    assert rule["data"]["values"] == [{"value": 150.0, "reference": "Baseline"}]
    path = [each for each in spec["layer"] if each["mark"]["type"] == "line"][1]
    # From the baseline through the targets in date order, whatever order they came in.
    assert [(v["month"], v["value"]) for v in path["data"]["values"]] == [
        ("2024-01-01", 150.0),
        ("2024-06-30", 200.0),
        ("2024-12-31", 300.0),
    ]
    dash = path["encoding"]["strokeDash"]
    assert dash["scale"] == {"domain": ["Baseline", "Target path"], "range": [[1, 0], [6, 4]]}
    points = layer(spec, "point")
    assert points["mark"]["shape"] == "diamond"
    assert [v["month"] for v in points["data"]["values"]] == ["2024-06-30", "2024-12-31"]


def test_without_baseline_or_targets_only_the_observations_are_drawn() -> None:
    spec = vega_lite_spec(fentanyl(baseline=None, targets=()), "en")
    assert [each["mark"]["type"] for each in spec["layer"]] == ["line"]


def test_the_period_leaves_out_what_falls_outside_and_cuts_the_path() -> None:
    chart = fentanyl(period=(date(2024, 4, 1), date(2024, 9, 30)))
    spec = vega_lite_spec(chart, "en")
    months = {v["month"] for v in spec["layer"][0]["data"]["values"]}
    assert months == {f"2024-{m:02d}-01" for m in range(4, 10)}
    assert [v["month"] for v in layer(spec, "point")["data"]["values"]] == ["2024-06-30"]
    path = [each for each in spec["layer"] if each["mark"]["type"] == "line"][1]
    values = [(v["month"], v["value"]) for v in path["data"]["values"]]
    assert [m for m, _ in values] == ["2024-04-01", "2024-06-30", "2024-09-30"]
    # Interpolated on the straight path: 1 April is 91 of the 181 days from baseline to target.
    assert math.isclose(values[0][1], 150.0 + 50.0 * 91 / 181)
    assert math.isclose(values[2][1], 200.0 + 100.0 * 92 / 184)
    domain = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert domain == [
        {"year": 2024, "month": 4, "date": 1, "utc": True},
        {"year": 2024, "month": 10, "date": 1, "utc": True},
    ]


def test_several_series_stack_as_bars_when_asked() -> None:
    spec = vega_lite_spec(fentanyl(stacked=True), "en")
    bars = layer(spec, "bar")
    assert bars["encoding"]["y"]["stack"] == "zero"
    assert layer(spec, "rule")  # baseline and targets still drawn over the stack


def test_months_are_placed_in_utc() -> None:
    spec = vega_lite_spec(fentanyl(), "en")
    for each in spec["layer"]:
        x = each["encoding"].get("x")
        if x is not None:
            assert x["timeUnit"].startswith("utc")
            assert x["scale"]["type"] == "utc"


def test_the_locale_travels_in_the_spec() -> None:
    spanish = vega_lite_spec(fentanyl(), "es")["config"]["locale"]
    assert spanish["time"]["shortMonths"][0] == "ene"
    assert spanish["number"]["decimal"] == "."  # Mexico writes 1,234.5
    english = vega_lite_spec(fentanyl(), "en")["config"]["locale"]
    assert english["time"]["months"][0] == "January"
    assert vega_lite_spec(fentanyl(), "fr")["config"]["locale"] == english


@pytest.mark.parametrize(
    "changes",
    [
        {"good_direction": "sideways"},
        {"baseline": (date(2024, 1, 1), math.nan)},
        {"targets": ((date(2024, 1, 1), math.inf),)},
        {"series": (ChartSeries("x", ((date(2024, 1, 1), math.nan),)),)},
        {"period": (date(2024, 2, 1), date(2024, 1, 1))},
    ],
)
def test_what_a_chart_cannot_show_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        vega_lite_spec(fentanyl(**changes), "en")


def test_the_spec_validates_against_the_vega_lite_schema() -> None:
    """The schema (1.9 MB, build/vega-lite-schema.json in the vega-lite npm package) is not
    vendored; point $PUENTE_VEGA_LITE_SCHEMA at it to run this check."""
    path = os.environ.get("PUENTE_VEGA_LITE_SCHEMA")
    if not path:
        pytest.skip("set PUENTE_VEGA_LITE_SCHEMA to the vega-lite package's schema file")
    import jsonschema

    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    for chart in (fentanyl(), fentanyl(stacked=True), fentanyl(baseline=None, targets=())):
        errors = list(validator.iter_errors(vega_lite_spec(chart, "es")))
        assert errors == []


# The SVG


def test_rendering_twice_gives_the_same_svg() -> None:
    spec = vega_lite_spec(fentanyl(stacked=True), "es")
    assert render_svg(spec) == render_svg(spec)


def test_another_process_renders_the_same_svg() -> None:
    spec = vega_lite_spec(fentanyl(), "es")
    program = (
        "import json, sys\n"
        "from puente.indicators.charts import render_svg\n"
        "sys.stdout.write(render_svg(json.loads(sys.stdin.read())))\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", program],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "1"},
        timeout=120,
    )
    assert other.stdout == render_svg(spec)


def test_the_svg_has_the_title_and_spanish_months_in_liberation_sans() -> None:
    svg = render_svg(vega_lite_spec(fentanyl(title="Fentanilo decomisado"), "es"))
    words = texts(svg)
    assert "Fentanilo decomisado" in words
    assert "ene 2024" in words
    assert not any("Jan" in word for word in words)
    assert set(re.findall(r'font-family="([^"]*)"', svg)) == {
        "Liberation Sans, Arial, Helvetica, sans-serif"
    }
    assert "X-axis" not in svg  # Vega's English ARIA labels are off


def test_the_svg_in_english_has_english_months() -> None:
    assert "Jan 2024" in texts(render_svg(vega_lite_spec(fentanyl(), "en")))


def test_an_empty_window_still_renders() -> None:
    chart = fentanyl(period=(date(2030, 1, 1), date(2030, 12, 31)), baseline=None, targets=())
    assert render_svg(vega_lite_spec(chart, "en")).startswith("<svg")


# The page markup


def test_the_page_markup_carries_the_svg_and_an_inert_spec_block() -> None:
    chart = fentanyl(title="</script><script>alert(1)</script> & co")
    spec = vega_lite_spec(chart, "en")
    html = str(embed_html(spec, render_svg(spec), "fentanyl"))
    assert html.startswith('<figure class="chart" id="fentanyl" data-vega-spec="fentanyl-spec"')
    assert 'aria-label="&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"' in html
    block = re.search(r'<script type="application/json" id="fentanyl-spec">(.*?)</script>', html)
    assert block is not None
    assert "<" not in block.group(1)
    assert json.loads(block.group(1)) == spec
    assert html.count("</script>") == 1


def test_the_element_id_must_be_an_id() -> None:
    spec = vega_lite_spec(fentanyl(), "en")
    with pytest.raises(ValueError):
        embed_html(spec, "<svg/>", 'x" onload="alert(1)')


# The vendored assets


def test_vega_vega_lite_and_vega_embed_are_vendored_with_their_licences() -> None:
    folder = VENDOR / "vega"
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    for name, version in (("vega", "6.4.0"), ("vega-lite", "6.5.0"), ("vega-embed", "7.3.0")):
        script = (folder / f"{name}.min.js").read_text(encoding="utf-8")
        assert f'"{version}"' in script  # the file is the version the README says
        licence = (folder / f"{name}.LICENSE").read_text(encoding="utf-8")
        assert "University of Washington Interactive Data Lab" in licence
        assert f"`{name}`" in readme
        assert version in readme
    assert "cdn" not in (ROOT / "puente" / "web" / "static" / "charts.js").read_text().lower()
