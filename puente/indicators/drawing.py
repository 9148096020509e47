"""Many charts at once: drawn side by side in worker processes, and kept once drawn.

vl-convert holds Python's GIL while it compiles, draws and rasterizes a chart, and one
process has one JavaScript engine, so the 25 charts of a briefing drawn in the process that
serves the page take one core, one after another. A small pool of processes, each with an
engine of its own, draws them side by side: the charts are independent and what crosses
between processes is small (a spec in, an SVG or a JPEG out). The pool starts with the first
batch (each worker starts its engine once: about half a second, the workers in parallel) and
lives as long as the process; one chart, or a one-core machine, is drawn in the process.

Drawn charts are kept by their content (the spec's canonical JSON; the SVG's bytes): the same
spec always draws the same bytes, so the HTML and the PDF of a briefing, or a page shown
twice, draw each chart once.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from puente.indicators import charts

# Print resolution: 1.5 × the chart's CSS pixels is 144 dpi at the page's width.
RASTER_SCALE = 1.5
JPEG_QUALITY = 92
WATCH_SECONDS = 1.0  # how soon a worker whose parent died goes too
KEPT = 512  # charts kept per kind (SVG, JPEG): a few briefings' worth

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_svgs: OrderedDict[str, str] = OrderedDict()
_jpegs: OrderedDict[str, bytes] = OrderedDict()


def svgs(specs: list[dict[str, Any]]) -> list[str]:
    """Each spec drawn as SVG (:func:`charts.render_svg`), in the order given."""
    keys = [charts.spec_json(spec) for spec in specs]
    return _drawn(_svgs, keys, specs, charts.render_svg)


def jpegs(svg_list: list[str]) -> list[bytes]:
    """Each SVG rasterized as a JPEG for print (:func:`render_jpeg`), in the order given."""
    return _drawn(_jpegs, svg_list, svg_list, render_jpeg)


def render_jpeg(svg: str) -> bytes:
    """The SVG as a JPEG: resvg rasterizes it (vl-convert, the fonts it measured the text
    with), flattened on white, written by Pillow without chroma subsampling so thin lines
    and small text stay sharp. JPEG because WeasyPrint copies a JPEG into a PDF as it is,
    where it decodes and compresses a PNG again (twice, with its alpha channel)."""
    import vl_convert
    from PIL import Image

    png = Image.open(io.BytesIO(vl_convert.svg_to_png(svg, scale=RASTER_SCALE)))
    flat = Image.new("RGB", png.size, "white")
    flat.paste(png, mask=png.getchannel("A") if png.mode == "RGBA" else None)
    out = io.BytesIO()
    flat.save(out, format="JPEG", quality=JPEG_QUALITY, subsampling=0)
    return out.getvalue()


def _drawn(kept: OrderedDict[str, R], keys: list[str], items: list[T],
                 draw: Callable[[T], R]) -> list[R]:  # fmt: skip
    with _lock:
        missing = {key: item for key, item in zip(keys, items, strict=True) if key not in kept}
    made = _in_workers(draw, list(missing.values())) if len(missing) > 1 else None
    if made is None:
        made = [draw(item) for item in missing.values()]
    with _lock:
        found = {key: kept[key] for key in keys if key in kept}
        for key, value in zip(missing, made, strict=True):
            found[key] = value
            kept[key] = value
        for key in keys:
            kept.move_to_end(key)
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return [found[key] for key in keys]


def _in_workers(draw: Callable[[T], R], items: list[T]) -> list[R] | None:
    """The items drawn by the pool, or None where there is no pool to draw them: one core,
    or a pool broken (a worker killed) — it is dropped, the next batch starts another, and
    this one is drawn in the process rather than lost."""
    global _pool
    if _workers() < 2:
        return None
    pool = _get_pool()
    try:
        return list(pool.map(draw, items))
    except BrokenProcessPool as exc:
        log.warning("The chart workers stopped (%s); drawing in this process.", exc)
        with _lock:
            if _pool is pool:
                _pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        return None


def _workers() -> int:
    return min(2, os.cpu_count() or 1)


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the serving process has threads (the web server's, the
            # database pool's) that a forked child would inherit in whatever state they were.
            _pool = ProcessPoolExecutor(_workers(), mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start_engine)  # fmt: skip
        return _pool


def _start_engine() -> None:
    """Start the worker's engine before its first chart, while the others start theirs, and
    watch the process that started it: a pool's workers wait on a queue each of them can
    also write to, so a parent that dies without shutting the pool down (killed, or a
    server's workers stopped hard) would leave them waiting for ever."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(0)  # the parent is gone: nothing will ask this worker for a chart again

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    charts.render_svg({"$schema": charts.SCHEMA, "data": {"values": [{"x": 1}]},
                       "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}})  # fmt: skip
