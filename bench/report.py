"""Markdown tables from the benchmarks' JSON results, for bench/RESULTS.md.

Usage::

    python bench/report.py [--ingest bench/results/ingest.json] [--search bench/results/search.json]
    python bench/report.py --federation [bench/results/federation.json]   # that section alone
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


def federation_tables(report: dict[str, Any]) -> list[str]:
    """Issue 3: the targets, the pull, the OASIS client, and the first page against size."""
    lines = ['| target (issue 3, "Speed") | measured | met? |', "|---|---|---|"]
    for row in report.get("targets", []):
        met = {True: "**yes**", False: "**no**", None: "–"}[row["met"]]
        margin = f" ({row['margin']})" if row.get("margin") and row["met"] is not None else ""
        lines.append(f"| {row['target']} | {row['measured']}{margin} | {met} |")
    pull = report.get("pull")
    if pull:
        sync, server, idle = pull["sync"], pull["server_a"], pull["nothing_new"]
        cpu = sync["user_s"] + sync["system_s"]
        lines += [
            "",
            f"### Pull: `puente sync` of {pull['objects']:,} objects, node B from node A",
            "",
            "| | wall s | CPU s | peak RSS MB | objects/s | objects/CPU-s |",
            "|---|---:|---:|---:|---:|---:|",
            f"| `puente sync us-bench` on B | {sync['wall_s']:.2f} | {cpu:.2f} "
            f"| {sync['max_rss_mb']:.0f} | {sync['rate']:,.0f} | {sync['cpu_rate']:,.0f} |",
            f"| `puente serve` on A, during the pull | – | {server['cpu_s']:.2f} "
            f"| {server['peak_rss_mb']:.0f} | – | – |",
            f"| the same sync again, nothing new (fixed cost) | {idle['wall_s']:.2f} "
            f"| {idle['user_s'] + idle['system_s']:.2f} | {idle['max_rss_mb']:.0f} | – | – |",
        ]
        if "peak_rss_anon_sampled_mb" in server:
            lines += [
                "",
                f"A's peak RSS split (sampled every 50 ms): {server['peak_rss_anon_sampled_mb']:.0f}"
                f" MB anonymous (heap, SQLite page cache), {server['peak_rss_file_sampled_mb']:.0f}"
                " MB mapped file pages (the database, mapped with `mmap_size`, and the code).",
            ]
        pages = pull.get("pages", {})
        if pages:
            tenths = [pages["seconds"][i : i + 10] for i in range(0, len(pages["seconds"]), 10)]
            curve = ", ".join(f"{sum(t) / len(t):.2f}" for t in tenths)
            lines += [
                "",
                f"{sync['pages']} pages, {sync['receipts_delivered']} receipts delivered; "
                f"seconds per page (between B's receipts), mean of each tenth of the pull: "
                f"{curve}.",
            ]
        checks = pull["checks"]
        lines += [
            "",
            f"Afterwards: {checks['received_records_on_b']:,} received records on B; "
            f"{checks['receipts_issued_by_b']} receipts issued by B, "
            f"{checks['receipts_held_by_a']} held by A, {checks['acknowledged_on_a']:,} "
            f"versions acknowledged on A; B: {checks['receipts_verify_b']} "
            f"A: {checks['receipts_verify_a']}",
        ]
    client = report.get("taxii_client")
    if client:
        first = client["first_byte"]
        stats = client["page_seconds"]
        lines += [
            "",
            f"### OASIS {client['client']}: `as_pages(get_objects, per_request="
            f"{client['per_request']})`",
            "",
            "| objects | pages | seconds | objects/s | first page s | last page s | last / first "
            "| page s median / p95 / max |",
            "|---:|---:|---:|---:|---:|---:|---:|---|",
            f"| {client['objects']:,} | {client['pages']} | {client['seconds']:.2f} "
            f"| {client['rate']:,.0f} | {client['first_page_s']:.3f} | {client['last_page_s']:.3f} "
            f"| {client['last_over_first']:.2f} | {stats['median']:.3f} / {stats['p95']:.3f} / "
            f"{stats['max']:.3f} |",
            "",
            f"Time to the first byte of the first page (httpx, new connection each time, "
            f"{len(first['runs'])} requests): first {first['first_ms']:.1f} ms, median "
            f"{first['median_ms']:.1f} ms, max {first['max_ms']:.1f} ms; the headers arrive "
            "with the body (the page is built before the response starts).",
        ]
    curve = report.get("curve")
    if curve:
        lines += [
            "",
            "### First page and whole pagination against the collection's size",
            "",
            "| peer | objects | first page s | all pages s | pages (objects each) |",
            "|---|---:|---:|---:|---|",
        ]
        peers = [("Puente", curve.get("puente", {})),
                 ("medallion", curve.get("medallion", {}).get("sizes", {}))]  # fmt: skip
        for name, sizes in peers:
            for size, row in sorted(sizes.items(), key=lambda item: int(item[0])):
                counts = ", ".join(f"{count:,}" for count in row["page_objects"])
                if len(row["page_objects"]) > 6:
                    counts = f"{len(row['page_objects'])} × {row['page_objects'][0]:,}"
                lines.append(f"| {name} | {int(size):,} | {row['first_page_s']:.3f} "
                             f"| {row['seconds']:.3f} | {counts} |")  # fmt: skip
        medallion = curve.get("medallion")
        if medallion:
            lines += ["", f"medallion {medallion['version']} ({medallion['server']}, "
                          f"{medallion['backend']} backend, `max_page_size` "
                          f"{medallion['max_page_size']:,}), loaded from its data file; "
                          f"{medallion['repeat']} run(s) per size. Puente: median of "
                          f"{len(next(iter(curve['puente'].values()))['runs'])} paginations "
                          "per size, each node fresh."]  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest", type=Path, default=RESULTS / "ingest.json")
    parser.add_argument("--search", type=Path, default=RESULTS / "search.json")
    parser.add_argument("--federation", type=Path, nargs="?", const=RESULTS / "federation.json",
                        default=None, help="print only the federation section (issue 3)")  # fmt: skip
    args = parser.parse_args(argv)
    out: list[str] = []
    if args.federation is not None:
        report = orjson.loads(args.federation.read_bytes())
        out += ["## Federation (issue 3)", "", *machine(report), "", *federation_tables(report)]
        print("\n".join(out))
        return 0
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
