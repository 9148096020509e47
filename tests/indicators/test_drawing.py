"""Charts drawn in worker processes: the same bytes as drawn in the process, in the order
asked, kept once drawn, and still drawn when a worker dies."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from PIL import Image

from puente.indicators import drawing
from puente.indicators.charts import render_svg, vega_lite_spec
from tests.support.indicators import fentanyl


def specs(count: int, locale: str = "en") -> list[dict[str, object]]:
    return [vega_lite_spec(replace(fentanyl(), title=f"Chart {n}"), locale) for n in range(count)]


def test_the_workers_draw_what_the_process_draws_in_the_order_asked() -> None:
    asked = specs(4, "es")
    drawn = drawing.svgs(asked)
    assert drawn == [render_svg(spec) for spec in asked]
    assert [f">Chart {n}<" in svg for n, svg in enumerate(drawn)] == [True] * 4


def test_a_chart_drawn_once_is_kept() -> None:
    asked = specs(3)
    first = drawing.svgs(asked)
    # The same specs again, one new: only the new one is drawn; the rest come back as kept.
    again = drawing.svgs([*asked, vega_lite_spec(replace(fentanyl(), title="New"), "en")])
    assert all(a is b for a, b in zip(first, again, strict=False))
    assert ">New<" in again[3]


def test_a_jpeg_for_print_is_flat_on_white_at_one_and_a_half_times() -> None:
    svg = drawing.svgs(specs(2))[0]
    jpeg = drawing.jpegs([svg])[0]
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    width = int(svg.split('width="', 1)[1].split('"', 1)[0])
    assert image.width == round(width * drawing.RASTER_SCALE)
    assert image.getpixel((2, 2)) >= (250, 250, 250)  # the corner is white, not black


def test_charts_are_still_drawn_when_a_worker_dies() -> None:
    if drawing._workers() < 2:
        return  # one core: there is no pool to break
    drawing.svgs(specs(2, "en"))  # the pool is up
    pool = drawing._get_pool()
    for pid in list(pool._processes):  # a worker killed, as the kernel's OOM killer might
        os.kill(pid, signal.SIGKILL)
    fresh = [vega_lite_spec(replace(fentanyl(), title=f"After {n}"), "en") for n in range(3)]
    drawn = drawing.svgs(fresh)
    assert drawn == [render_svg(spec) for spec in fresh]
    assert drawing._get_pool() is not pool  # a new pool for the next batch


ORPHAN = """
import os, sys
from dataclasses import replace
from puente.indicators import drawing
from puente.indicators.charts import vega_lite_spec
from tests.support.indicators import fentanyl

if __name__ == "__main__":
    drawing.svgs([vega_lite_spec(replace(fentanyl(), title=str(n)), "en") for n in range(2)])
    print(" ".join(str(pid) for pid in drawing._get_pool()._processes), flush=True)
    os._exit(0)  # no shutdown, as a process killed outright
"""


def test_the_workers_go_when_their_parent_dies_without_a_word(tmp_path: Path) -> None:
    if drawing._workers() < 2:
        return  # one core: no workers
    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    workers = [int(pid) for pid in done.stdout.split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A worker that has exited but not been reaped (its parent is gone: init reaps it).
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"
