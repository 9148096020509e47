"""The briefing for a meeting: its assessment as an HTML page and as a PDF (WeasyPrint), in
English or Spanish, with the indicators' charts drawn on the server from the same Vega-Lite
specs the web pages use. Same data, same bytes: the PDF's dates are the meeting's, and its
identifier is derived from the HTML it renders."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from puente import templating
from puente.i18n import Translator
from puente.indicators import charts, drawing
from puente.indicators.reading import Reading
from puente.node import Node
from puente.plan import assessment, gaps
from puente.plan.elements import LEVEL_LABELS, STATUS_LABELS
from puente.plan.meetings import KIND_LABELS
from puente.plan.service import PLAN_MARKINGS
from puente.policy.agencies import agency_namer


def render_html(session: Session, node: Node, code: str, locale: str, *,
                links: bool = False, images: dict[str, bytes] | None = None) -> str:  # fmt: skip
    """The briefing for meeting ``code`` as one self-contained HTML document; ``links`` adds
    the way back to the meeting and to the PDF (the web page; the PDF has none). Given
    ``images``, the charts are ``<img>`` of JPEGs put in that dict by their ``chart:`` URL
    (for the PDF) rather than inline SVG."""
    found = assessment.assess(session, node, code, locale)
    svgs = drawing.svgs([charts.vega_lite_spec(read.chart, locale) for read in found.indicators])
    figures: list[tuple[Reading, str]] = []
    if images is None:
        figures = list(zip(found.indicators, svgs, strict=True))
    else:
        for read, jpeg in zip(found.indicators, drawing.jpegs(svgs), strict=True):
            # Named by content, so the HTML (whose digest is the PDF's identifier) changes
            # whenever a chart does.
            url = f"chart:{hashlib.sha256(jpeg).hexdigest()[:24]}.jpg"
            images[url] = jpeg
            figures.append((read, url))
    return templating.environment("plan").get_template("briefing.html").render(
        _=Translator(locale), locale=locale, a=found, figures=figures,
        gaps=[(label, [gaps.describe(g, locale) for g in found.found_gaps if g.rule == rule])
              for rule, label in gaps.RULES.items()],
        banner=PLAN_MARKINGS.banner(), node=node.settings, agency_name=agency_namer(locale),
        status_labels=STATUS_LABELS, level_labels=LEVEL_LABELS, kind_labels=KIND_LABELS,
        links=links, images=images is not None,
    )  # fmt: skip


def _chart_fetcher(images: dict[str, bytes]) -> Any:
    """WeasyPrint's fetcher for one briefing: its charts and nothing else, on the network
    or on disk, whatever the briefing's text holds (WeasyPrint ≥ 70 takes a URLFetcher)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ChartFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url not in images:
                raise ValueError(f"the briefing holds no {url}")
            return URLFetcherResponse(url, images[url], {"Content-Type": "image/jpeg"})

    return ChartFetcher(fail_on_errors=True)


def render_pdf(session: Session, node: Node, code: str, locale: str) -> bytes:
    """The same briefing as a PDF, reproducible from the same data."""
    from weasyprint import HTML

    images: dict[str, bytes] = {}
    html = render_html(session, node, code, locale, images=images)
    meeting, _ = assessment.find_meeting(session, code)

    document = HTML(string=html, url_fetcher=_chart_fetcher(images)).render()
    stamp = datetime.combine(meeting.on, time(0), tzinfo=UTC).isoformat()
    document.metadata.created = stamp
    document.metadata.modified = stamp
    document.metadata.lang = locale
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    pdf = document.write_pdf(pdf_identifier=identifier)
    assert pdf is not None
    return bytes(pdf)


def write_both_languages(session: Session, node: Node, code: str, folder: Path) -> list[Path]:
    """The HTML and the PDF of the briefing in English and in Spanish, into ``folder``; the
    files written."""
    written = []
    for locale in ("en", "es"):
        html = folder / f"briefing-{code}-{locale}.html"
        html.write_text(render_html(session, node, code, locale), encoding="utf-8")
        pdf = folder / f"briefing-{code}-{locale}.pdf"
        pdf.write_bytes(render_pdf(session, node, code, locale))
        written += [html, pdf]
    return written
