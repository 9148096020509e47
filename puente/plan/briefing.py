"""The briefing for a meeting: its assessment as an HTML page and as a PDF (WeasyPrint), in
English or Spanish, with the indicators' charts drawn on the server from the same Vega-Lite
specs the web pages use. Same data, same bytes: the PDF's dates are the meeting's, and its
identifier is derived from the HTML it renders."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time
from functools import lru_cache

from sqlalchemy.orm import Session

from puente.i18n import Translator
from puente.indicators import charts
from puente.node import Node
from puente.plan import assessment, gaps
from puente.plan.elements import LEVEL_LABELS, STATUS_LABELS
from puente.plan.meetings import KIND_LABELS
from puente.plan.service import PLAN_MARKINGS


@lru_cache(maxsize=256)
def _svg(spec_json: str) -> str:
    """A chart's SVG, once per spec: the same spec always draws the same bytes."""
    import orjson

    return charts.render_svg(orjson.loads(spec_json))


@lru_cache(maxsize=256)
def _png_uri(svg: str) -> str:
    """The chart as a PNG data URI for the PDF: WeasyPrint draws SVG in Python (0.2 s a chart
    of a few hundred marks), an image in no time; resvg rasterizes the same SVG bytes."""
    import base64

    import vl_convert

    png = vl_convert.svg_to_png(svg, scale=1.5)
    return "data:image/png;base64," + base64.b64encode(png).decode()


def render_html(session: Session, node: Node, code: str, locale: str, *,
                links: bool = False, images: bool = False) -> str:  # fmt: skip
    """The briefing for meeting ``code`` as one self-contained HTML document; ``links`` adds
    the way back to the meeting and to the PDF (the web page; the PDF has none), ``images``
    puts the charts in as PNG rather than SVG (for the PDF)."""
    from puente.web.pages import agency_namer, environment

    found = assessment.assess(session, node, code, locale)
    figures = []
    for read in found.indicators:
        spec = charts.vega_lite_spec(read.chart, locale)
        svg = _svg(charts.spec_json(spec))
        figures.append((read, _png_uri(svg) if images else svg))
    return environment().get_template("briefing.html").render(
        _=Translator(locale), locale=locale, a=found, figures=figures,
        gaps=[(label, [gaps.describe(g, locale) for g in found.found_gaps if g.rule == rule])
              for rule, label in gaps.RULES.items()],
        banner=PLAN_MARKINGS.banner(), node=node.settings, agency_name=agency_namer(locale),
        status_labels=STATUS_LABELS, level_labels=LEVEL_LABELS, kind_labels=KIND_LABELS,
        links=links, images=images,
    )  # fmt: skip


def render_pdf(session: Session, node: Node, code: str, locale: str) -> bytes:
    """The same briefing as a PDF, reproducible from the same data."""
    from weasyprint import HTML

    html = render_html(session, node, code, locale, images=True)
    meeting, _ = assessment.find_meeting(session, code)
    document = HTML(string=html).render()
    stamp = datetime.combine(meeting.on, time(0), tzinfo=UTC).isoformat()
    document.metadata.created = stamp
    document.metadata.modified = stamp
    document.metadata.lang = locale
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    pdf = document.write_pdf(pdf_identifier=identifier)
    assert pdf is not None
    return bytes(pdf)


def write_both_languages(data_dir: str, code: str, folder: str) -> list[str]:
    """The HTML and the PDF of the briefing in English and in Spanish, into ``folder``: each
    language in a process of its own (the charts are drawn by one engine per process, so two
    languages take the two cores). The files written."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        done = pool.map(_write_language, [data_dir] * 2, [code] * 2, [folder] * 2, ["en", "es"])
        return [path for paths in done for path in paths]


def _write_language(data_dir: str, code: str, folder: str, locale: str) -> list[str]:
    from pathlib import Path

    from puente.node import open_node

    node = open_node(Path(data_dir))
    try:
        with node.db.session() as session:
            html = render_html(session, node, code, locale)
            pdf = render_pdf(session, node, code, locale)
    finally:
        node.close()
    out = Path(folder)
    (out / f"briefing-{code}-{locale}.html").write_text(html, encoding="utf-8")
    (out / f"briefing-{code}-{locale}.pdf").write_bytes(pdf)
    return [str(out / f"briefing-{code}-{locale}.{kind}") for kind in ("html", "pdf")]
