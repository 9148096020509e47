"""Markdown tables from the benchmarks' JSON results, for bench/RESULTS.md.

Usage::

    python bench/report.py [--ingest bench/results/ingest.json] [--search bench/results/search.json]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson

RESULTS = Path(__file__).resolve().parent / "results"


def machine(report: dict[str, Any]) -> list[str]:
    m = report["machine"]
    memory = m["memory"].splitlines()[1].split()[1] if m.get("memory") else "?"
    before = ", ".join(f"{value:.2f}" for value in m["load_average"])
    after = ", ".join(f"{value:.2f}" for value in m.get("load_average_after", []))
    return [
        f"- {m['date']}, commit {m['git_commit']}",
        f'- `nproc` {m["nproc"]}, CPU "{m["cpu"]}", memory {memory} (`free -h`), '
        f"Python {m['python']}, SQLite {m['sqlite']}, {m['platform']}",
        f"- load average (1, 5, 15 min) before: {before}; after: {after}",
    ]


def ingest_tables(report: dict[str, Any]) -> list[str]:
    lines = ["### Service level: `records.service.import_objects`", ""]
    lines += [
        "| bundle | objects | seconds | objects/s | objects/CPU-s | commit s | checkpoint s† | runs (objects/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in report.get("service", []):
        runs = ", ".join(f"{rate:,.0f}" for rate in row["runs"])
        # Results from before the checkpointer have none: their commit did the checkpoint.
        checkpoint = f"{row['checkpoint_seconds']:.3f}" if "checkpoint_seconds" in row else "–"
        lines.append(
            f"| {row['label']} | {row['objects']:,} | {row['seconds']:.3f} | {row['rate']:,.0f} "
            f"| {row['cpu_rate']:,.0f} | {row['commit_seconds']:.3f} "
            f"| {checkpoint} | {runs} |"
        )
    lines += [
        "",
        "† the WAL checkpoint after the commit, run by the node's checkpointer thread off the "
        "import's path (`puente/db.py`); timed apart while the node closes, not in `seconds`.",
    ]
    for row in report.get("service", []):
        if row["objects"] >= 100_000:
            curve = ", ".join(f"{chunk['rate']:,.0f}" for chunk in row["chunks"])
            lines += ["", f"Rate of each chunk of {row['chunk_size']:,} objects at "
                          f"{row['objects']:,} (objects/s, in order): {curve}."]  # fmt: skip
    lines += ["", "### Command line: `puente import stix FILE`", ""]
    lines += [
        "| bundle | objects | file MB | wall s | CPU s | peak RSS MB | import objects/s* |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    start = next((row["wall_s"] for row in report.get("cli", []) if row["objects"] == 0), 0.0)
    for row in report.get("cli", []):
        cpu = row["user_s"] + row["system_s"]
        net = row["wall_s"] - start
        # Below 10,000 objects the start-up cost and its jitter swamp the import itself.
        rate = f"{row['objects'] / net:,.0f}" if row["objects"] >= 10_000 else "–"
        lines.append(
            f"| {row['label']} | {row['objects']:,} | {row['file_mb']} | {row['wall_s']:.2f} "
            f"| {cpu:.2f} | {row['max_rss_mb']:.0f} | {rate} |"
        )
    lines += ["", "\\* objects / (wall time − the empty bundle's wall time), from 10,000 objects."]
    lines += ["", f"### HTTP, envelopes of {report['envelope_size']:,}", ""]
    lines += [
        "| peer | objects | seconds | objects/s | last / first envelope | envelope seconds |",
        "|---|---:|---:|---:|---:|---|",
    ]
    peers = [("Puente `POST /api/v1/bundles`", report.get("puente_http", {}))]
    peers.append(
        ("medallion TAXII `POST …/objects/`", report.get("medallion", {}).get("totals", {}))
    )
    for label, totals in peers:
        for total, row in totals.items():
            seconds = ", ".join(f"{envelope['seconds']:.3f}" for envelope in row["envelopes"])
            lines.append(
                f"| {label} | {int(total):,} | {row['seconds']:.2f} | {row['overall_rate']:,.0f} "
                f"| {row['last_over_first']:.2f} | {seconds} |"
            )
    medallion = report.get("medallion", {})
    if medallion:
        lines += ["", f"medallion {medallion['version']} ({medallion['server']}, "
                      f"{medallion['backend']} backend): median of {medallion['repeat']} runs; "
                      "every run's rate: " + "; ".join(
                          f"{int(total):,}: " + ", ".join(f"{r['overall_rate']:,.0f}" for r in row["runs"])
                          for total, row in medallion["totals"].items())]  # fmt: skip
    return lines


def search_tables(report: dict[str, Any]) -> list[str]:
    lines = [
        f"{report['queries']} queries over {report['records']:,} records, filters "
        f"kind=person and tlp=GREEN, as {report['as']}; milliseconds.",
        "",
        "| path | queries | n | p50 | p95 | p99 | max |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for path, label in (("service", "`records.service.search`"), ("http", "`GET /api/v1/records`")):
        for category, stats in report[path]["summary"].items():
            lines.append(
                f"| {label} | {category} | {stats['n']} | {stats['p50']:.1f} | {stats['p95']:.1f} "
                f"| {stats['p99']:.1f} | {stats['max']:.1f} |"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest", type=Path, default=RESULTS / "ingest.json")
    parser.add_argument("--search", type=Path, default=RESULTS / "search.json")
    args = parser.parse_args(argv)
    out: list[str] = []
    if args.ingest.exists():
        report = orjson.loads(args.ingest.read_bytes())
        out += ["## Ingest", "", *machine(report), "", *ingest_tables(report), ""]
    if args.search.exists():
        report = orjson.loads(args.search.read_bytes())
        out += ["## Search", "", *machine(report), "", *search_tables(report), ""]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
