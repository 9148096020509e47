"""Indicator dataset parsing speed (issue 5): the public files into observations, in-process.

Times the readers of ``puente.indicators.sources`` on the real public files beside the clone
(../shared/data): all three CBP drug seizure windows together (newest-wins included), the
CBP weapons and ammunition seizures, the SESNSP state-level incidence, and all five files
one after the other (what an import of every indicator source parses before it writes to
the database; the target for the whole import is 10 s). Each is run ``--repeat`` times after
one warm-up run (the files are then in the page cache, as on a second import); wall and CPU
time per run, rows read and observations made.

Usage::

    python bench/indicator_import.py [--repeat 5] [--out bench/results/indicator_import.json]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, RESULTS_DIR, init_node, log, machine, measure_command, write_json

from puente.indicators.sources.cbp_drugs import read_cbp_drugs
from puente.indicators.sources.cbp_weapons import read_cbp_weapons
from puente.indicators.sources.common import ImportReport, Observation
from puente.indicators.sources.sesnsp import read_sesnsp

DATA = REPO.parent / "shared" / "data"
DRUG_FILES = [
    DATA / "cbp" / "cbp_drug_seizures_fy19_22.csv",
    DATA / "cbp" / "cbp_drug_seizures_fy22_25.csv",
    DATA / "cbp" / "nationwide-drugs-fy23-fy26-apr.csv",
]
WEAPONS_FILE = DATA / "cbp" / "cbp_weapons_seizures_fy22_25.csv"
SESNSP_FILE = DATA / "sesnsp" / "IDEFC_NM_may22_latin1.csv"

Read = Callable[[], list[tuple[list[Observation], ImportReport]]]


def readers() -> dict[str, tuple[list[Path], Read]]:
    def drugs() -> list[tuple[list[Observation], ImportReport]]:
        return [read_cbp_drugs(DRUG_FILES)]

    def weapons() -> list[tuple[list[Observation], ImportReport]]:
        return [read_cbp_weapons(WEAPONS_FILE)]

    def sesnsp() -> list[tuple[list[Observation], ImportReport]]:
        return [read_sesnsp(SESNSP_FILE)]

    def everything() -> list[tuple[list[Observation], ImportReport]]:
        return [*drugs(), *weapons(), *sesnsp()]

    return {
        "cbp_drugs_3_windows": (DRUG_FILES, drugs),
        "cbp_weapons": ([WEAPONS_FILE], weapons),
        "sesnsp": ([SESNSP_FILE], sesnsp),
        "all_five_files": ([*DRUG_FILES, WEAPONS_FILE, SESNSP_FILE], everything),
    }


def measure(files: list[Path], read: Read, repeat: int) -> dict[str, Any]:
    read()  # warm-up: imports, page cache
    walls: list[float] = []
    cpus: list[float] = []
    results: list[tuple[list[Observation], ImportReport]] = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        results = read()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    rows = sum(report.rows_read for _, report in results)
    return {
        "files": [path.name for path in files],
        "bytes": sum(path.stat().st_size for path in files),
        "rows_read": rows,
        "observations": sum(len(observations) for observations, _ in results),
        "skipped": sum(len(report.skipped) for _, report in results),
        "wall_s": {
            "median": round(statistics.median(walls), 3),
            "min": round(min(walls), 3),
            "max": round(max(walls), 3),
        },
        "cpu_s_median": round(statistics.median(cpus), 3),
        "rows_per_s": round(rows / statistics.median(walls)),
    }


def import_commands(work: Path) -> dict[str, Any]:
    """The whole import as an operator runs it: ``puente indicators import`` into a fresh
    SQLite node (the target: all CBP drug files in at most 10 s), then the same files again
    (nothing changes), then the weapons and SESNSP files."""
    init_node(work)
    puente_cmd = [sys.executable, "-m", "puente", "indicators", "import"]
    where = ["--data-dir", str(work), "--as", "admin"]
    runs = {
        "cbp_drugs_first": [*puente_cmd, "cbp-drugs", *map(str, DRUG_FILES), *where],
        "cbp_drugs_again": [*puente_cmd, "cbp-drugs", *map(str, DRUG_FILES), *where],
        "cbp_weapons": [*puente_cmd, "cbp-weapons", str(WEAPONS_FILE), *where],
        "sesnsp": [*puente_cmd, "sesnsp", str(SESNSP_FILE), *where],
    }
    found: dict[str, Any] = {}
    for name, command in runs.items():
        found[name] = measure_command(command)
        log(f"{name}: {found[name]['wall_s']} s, peak RSS {found[name]['max_rss_mb']} MB: "
            f"{found[name]['stdout'].strip().splitlines()[-1]}")  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "indicator_import.json")
    parser.add_argument("--work", type=Path, default=Path("/tmp/puente-bench-indicators"))
    args = parser.parse_args(argv)
    if not DATA.exists():
        log(f"no public data at {DATA}: nothing to time")
        return 1
    report: dict[str, Any] = {"machine": machine(), "repeat": args.repeat}
    for name, (files, read) in readers().items():
        report[name] = measure(files, read, args.repeat)
        figures = report[name]
        log(f"{name}: {figures['rows_read']:,} rows -> {figures['observations']:,} observations "
            f"in {figures['wall_s']['median']} s (median of {args.repeat}; "
            f"cpu {figures['cpu_s_median']} s)")  # fmt: skip
    report["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["into_the_database"] = import_commands(args.work)
    write_json(args.out, report)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
