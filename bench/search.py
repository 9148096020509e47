"""Search benchmark: a name query with two filters over 100,000 records, as a CBP analyst.

The node is a fresh node loaded with the generated bundle (bench/gen_bundle.py, the same
objects as the ingest benchmark) through ``puente import stix``, its planner statistics fresh
(ANALYZE): SQLite by default, or PostgreSQL with ``--database-url`` (the database it names is
dropped and made anew; bench/taxii_paths.py loads and reuses the same nodes). The queries are names
taken from the bundle's persons, each with ``kind=person`` and ``tlp=GREEN``:

* **common**: the most frequent name words (garcia, hernandez, smith, ...): many matches, the
  first page fills quickly;
* **rare**: words that occur in one to three persons: the whole person/GREEN slice is read;
* **full names**: given name and surname together (two words, both must match);
* **absent**: made-up names that match nothing: the worst case, every candidate is read.

Each query runs twice: once through ``records.service.search`` in-process (a unit of work of
its own, audit entry and commit included, as a request does) and once as
``GET /api/v1/records?q=...&kind=person&tlp=GREEN`` against ``puente serve`` on loopback with
the analyst's bearer token. Latencies are reported as p50/p95/p99/max, overall and by
category. Usage::

    python bench/search.py [--objects 100000] [--database-url URL] [--out FILE] [--reuse]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ANALYST,
    RESULTS_DIR,
    SEED,
    create_token,
    ensure_bundle,
    loaded_node,
    log,
    machine,
    node_name,
    percentiles,
    puente_server,
    sized_url,
    stream_objects,
    write_json,
)

FILTERS = {"kinds": ("person",), "tlp": ("GREEN",)}
TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def queries(objects: Iterable[dict[str, Any]], seed: int) -> list[tuple[str, str]]:
    """(category, text) pairs drawn from the bundle's persons, deterministic for a seed."""
    from puente.records.text import fold

    rng = random.Random(seed)
    words: Counter[str] = Counter()
    green_words: Counter[str] = Counter()
    full_names: list[str] = []
    for obj in objects:
        if obj.get("type") != "identity" or obj.get("identity_class") != "individual":
            continue
        tokens = fold(obj["name"]).split()
        words.update(set(tokens))
        if TLP_GREEN in obj.get("object_marking_refs", []):
            green_words.update(set(tokens))
            if len(tokens) >= 2:
                full_names.append(f"{tokens[0]} {tokens[-1]}")
    common = [word for word, _ in words.most_common(60) if len(word) >= 4][:50]
    rare = sorted(word for word, count in green_words.items() if count <= 3 and len(word) >= 5)
    absent: list[str] = []
    while len(absent) < 40:
        word = "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(4))
        if word not in words:
            absent.append(word)
    chosen = (
        [("common", word) for word in common]
        + [("common", "garcia")]
        + [("rare", word) for word in rng.sample(rare, min(70, len(rare)))]
        + [("full name", name) for name in rng.sample(full_names, 50)]
        + [("absent", word) for word in absent]
    )
    rng.shuffle(chosen)
    return chosen


def service_latencies(data_dir: Path, chosen: list[tuple[str, str]]) -> list[dict[str, Any]]:
    from puente.accounts import service as accounts
    from puente.node import open_node
    from puente.records import service

    node = open_node(data_dir)
    try:
        with node.db.session() as session:
            analyst = accounts.principal_for(accounts.get_user(session, ANALYST), node.settings)
        for _, text in chosen[:20]:  # warm-up: connection pool, page cache, code paths
            with node.db.session() as session:
                service.search(session, analyst, service.SearchQuery(text=text, **FILTERS))
        timings = []
        for category, text in chosen:
            started = time.perf_counter()
            with node.db.session() as session:
                page = service.search(session, analyst, service.SearchQuery(text=text, **FILTERS))
            elapsed = (time.perf_counter() - started) * 1000
            timings.append({"category": category, "q": text, "ms": round(elapsed, 3),
                            "results": len(page.items)})  # fmt: skip
        return timings
    finally:
        node.close()


def http_latencies(data_dir: Path, chosen: list[tuple[str, str]]) -> list[dict[str, Any]]:
    token = create_token(data_dir)
    timings = []
    with (
        puente_server(data_dir) as base,
        httpx.Client(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}
        ) as client,
    ):
        for _, text in chosen[:20]:
            client.get("/api/v1/records", params={"q": text, "kind": "person", "tlp": "GREEN"})
        for category, text in chosen:
            started = time.perf_counter()
            response = client.get(
                "/api/v1/records", params={"q": text, "kind": "person", "tlp": "GREEN"}
            )
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            timings.append({"category": category, "q": text, "ms": round(elapsed, 3),
                            "results": len(response.json()["items"])})  # fmt: skip
    return timings


def summary(timings: list[dict[str, Any]]) -> dict[str, Any]:
    by_category: dict[str, list[float]] = {}
    for timing in timings:
        by_category.setdefault(timing["category"], []).append(timing["ms"])
    return {
        "all": percentiles([timing["ms"] for timing in timings]),
        **{category: percentiles(values) for category, values in sorted(by_category.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default bench/results/search.json, search-postgresql.json",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL: the node's database is this one's name with _N "
        "appended (dropped and made anew unless --reuse)",
    )
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the loaded node from a previous run if there is one")  # fmt: skip
    args = parser.parse_args(argv)

    url = sized_url(args.database_url, args.objects)
    named = f"search-{'postgresql' if url else 'sqlite'}-{args.objects}.json"
    default = not url and args.objects == 100_000  # the figure recorded since issue 2
    out = args.out or RESULTS_DIR / ("search.json" if default else named)
    data_dir = loaded_node(args.objects, node_name(args.objects, url), url, args.reuse)
    chosen = queries(stream_objects(ensure_bundle(args.objects)), SEED)
    log(f"{len(chosen)} queries, each through the service and over HTTP")
    report: dict[str, Any] = {
        "machine": machine(),
        "records": args.objects,
        "database": "postgresql" if url else "sqlite",
        "filters": {"kind": "person", "tlp": "GREEN"},
        "as": f"{ANALYST} (CBP analyst)",
        "queries": len(chosen),
    }
    service_timings = service_latencies(data_dir, chosen)
    http_timings = [] if args.skip_http else http_latencies(data_dir, chosen)
    report["machine"]["load_average_after"] = machine()["load_average"]
    report["service"] = {"summary": summary(service_timings), "timings": service_timings}
    report["http"] = {"summary": summary(http_timings), "timings": http_timings}
    write_json(out, report)
    print(table(report))
    log(f"wrote {out}")
    return 0


def table(report: dict[str, Any]) -> str:
    lines = [
        f"{report['queries']} name queries with kind=person and tlp=GREEN over "
        f"{report['records']} records, as a CBP analyst; latency in ms",
        f"{'path':<34}{'category':<12}{'n':>5}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}",
    ]
    for path, label in (("service", "records.service.search"), ("http", "GET /api/v1/records")):
        for category, stats in report[path]["summary"].items():
            if not stats:  # not measured (--skip-http)
                continue
            lines.append(f"{label:<34}{category:<12}{stats['n']:>5}{stats['p50']:>8.1f}"
                         f"{stats['p95']:>8.1f}{stats['p99']:>8.1f}{stats['max']:>8.1f}")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
