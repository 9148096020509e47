"""TAXII read paths at scale: the first page and page k of every path, as a partner and a user.

One command. For each size N (``--sizes``), a node holding the first N generated objects
(bench/gen_bundle.py through ``puente import stix``, REL TO MEX so that a Mexican partner has
a collection; planner statistics fresh) is loaded once and kept (``--reuse``: the same nodes
bench/search.py uses). Then, through the TAXII services in-process (``sharing.taxii``, one
unit of work per request with its audit entry and commit, as the server runs it; no HTTP):

* **objects** and **manifest** (§5.4, §5.3): page 1 and page k for k in ``--pages`` (up to
  10,000 where N allows at ``--limit`` objects a page). Page k is asked the way a client
  reaches it, with a ``next`` token: the token for the keyset position of row k x limit of
  the records in date_added order is minted with the node's key (the bench skips the k - 1
  requests before it, not the query);
* **objects, match[version]=all**: the same pages over every version;
* **object by id** and **versions** (§5.6, §5.8): one object near the start, the middle and
  the end of the collection;

each as the partner node ``mx-bench`` (MEX: the released collection) and as the CBP analyst
``ana`` (the node's records collection, with its check for objects deleted through TAXII).
Every figure is the median of ``--repeat`` runs (min and max kept). The query plan of each
first page (EXPLAIN; PostgreSQL with ANALYZE timings) is written beside the figures.

Usage::

    python bench/taxii_paths.py [--sizes 100000 1000000] [--database-url URL] [--limit 100]
        [--pages 1 10 100 1000 10000] [--repeat 5] [--reuse] [--out FILE]

With ``--database-url`` (PostgreSQL) each size gets a database of its own, the URL's name
with ``_N`` appended, dropped and made anew unless reused.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ANALYST,
    RESULTS_DIR,
    loaded_node,
    log,
    machine,
    node_name,
    sized_url,
    write_json,
)

PARTNER = ("mx-bench", "MEX")


def _requesters(node: Any) -> dict[str, Any]:
    from puente.accounts import service as accounts
    from puente.sharing.partners import PartnerPrincipal

    with node.db.session() as session:
        analyst = accounts.principal_for(accounts.get_user(session, ANALYST), node.settings)
    return {"partner": PartnerPrincipal(0, *PARTNER), "user": analyst}


def _positions(node: Any, offsets: list[int]) -> dict[int, tuple[str, int]]:
    """The (date_added, pk) of the record at each offset in date_added order."""
    from sqlalchemy import select

    from puente.records.models import Record

    found = {}
    with node.db.session() as session:
        for offset in offsets:
            row = session.execute(
                select(Record.date_added, Record.pk)
                .order_by(Record.date_added, Record.pk)
                .offset(offset)
                .limit(1)
            ).first()
            if row is not None:
                found[offset] = (row[0], row[1])
    return found


def _ids(node: Any) -> dict[str, str]:
    """Ids of current records near the start, the middle and the end of the store."""
    from sqlalchemy import func, select

    from puente.records.models import Record

    persons = (Record.is_current.is_(True), Record.type == "identity")
    found = {}
    with node.db.session() as session:
        total = session.execute(select(func.count()).where(*persons)).scalar_one()
        for label, offset in (("start", 10), ("middle", total // 2), ("end", total - 10)):
            found[label] = session.execute(
                select(Record.stix_id)
                .where(*persons)
                .order_by(Record.pk)
                .offset(max(0, offset))
                .limit(1)
            ).scalar_one()
    return found


def _timed(repeat: int, call: Any) -> dict[str, Any]:
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "ms": round(statistics.median(times), 3),
        "min_ms": round(min(times), 3),
        "max_ms": round(max(times), 3),
        "bytes": len(result.body) if result is not None else 0,
    }


def _plan(node: Any, spec: Any, filters: Any, object_id: str | None) -> list[str]:
    """EXPLAIN of the page query (PostgreSQL: EXPLAIN ANALYZE) for a first page."""
    from sqlalchemy import text

    from puente.sharing import query

    statement = query._build(spec, filters, object_id is not None)
    params: dict[str, Any] = {"limit": filters.limit + 1}
    if object_id is not None:
        params["object_id"] = object_id
    with node.db.session() as session:
        dialect = session.get_bind().dialect
        sql = str(
            statement.params(**params).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True}
            )
        )
        prefix = (
            "EXPLAIN (ANALYZE, BUFFERS) "
            if dialect.name == "postgresql"
            else ("EXPLAIN QUERY PLAN ")
        )
        rows = session.execute(text(prefix + sql)).all()
    return [" | ".join(str(c) for c in row) for row in rows]


def measure(
    data_dir: Path, count: int, limit: int, pages: list[int], repeat: int
) -> dict[str, Any]:
    from puente.node import open_node
    from puente.sharing import taxii
    from puente.sharing.collections import collections_for
    from puente.sharing.query import Filters, make_token, token_key

    node = open_node(data_dir)
    try:
        requesters = _requesters(node)
        pages = [k for k in pages if (k - 1) * limit < count]
        positions = _positions(node, [(k - 1) * limit - 1 for k in pages if k > 1])
        ids = _ids(node)
        key = token_key(node.settings.key_path)
        report: dict[str, Any] = {}
        for who, requester in requesters.items():
            with node.db.session() as session:
                spec = next(s for s in collections_for(session, node.settings, requester)
                            if s.can_read)  # fmt: skip
            # Warm-up: connection pool, caches, code paths.
            for _ in range(3):
                with node.db.session() as session:
                    taxii.get_objects(session, node, requester, spec.id, Filters(limit=limit))
            paths: dict[str, Any] = {}
            for path, versions, call, scope in (
                ("objects", ("last",), taxii.get_objects, "objects"),
                ("manifest", ("last",), taxii.get_manifest, "manifest"),
                ("objects, match[version]=all", ("all",), taxii.get_objects, "objects"),
            ):
                base = Filters(limit=limit, versions=versions)
                timings = {}
                for k in pages:
                    filters = base
                    if k > 1:
                        if (k - 1) * limit - 1 not in positions:
                            continue
                        date_added, pk = positions[(k - 1) * limit - 1]
                        probe = Filters(limit=limit, versions=versions, next="x")
                        binding = taxii._binding(spec, requester, probe, scope)
                        token = make_token(key, binding, date_added, pk)
                        filters = Filters(limit=limit, versions=versions, next=token)

                    def run(
                        filters: Filters = filters,
                        call: Any = call,
                        who: Any = requester,
                        collection: str = spec.id,
                    ) -> Any:
                        with node.db.session() as session:
                            return call(session, node, who, collection, filters)

                    timings[f"page {k}"] = _timed(repeat, run)
                first, last = timings["page 1"]["ms"], timings[f"page {pages[-1]}"]["ms"]
                paths[path] = {
                    "pages": timings,
                    "last_over_first": round(last / first, 3) if first else None,
                    "plan": _plan(node, spec, base, None),
                }
            for path, call in (("object by id", taxii.get_object),
                               ("versions", taxii.get_versions)):  # fmt: skip
                timings = {}
                for label, object_id in ids.items():

                    def run_object(
                        object_id: str = object_id,
                        call: Any = call,
                        who: Any = requester,
                        collection: str = spec.id,
                    ) -> Any:
                        with node.db.session() as session:
                            return call(session, node, who, collection, object_id,
                                        Filters(versions=("all",)))  # fmt: skip

                    timings[label] = _timed(repeat, run_object)
                paths[path] = {
                    "objects": timings,
                    "plan": _plan(node, spec, Filters(versions=("all",)), ids["middle"]),
                }
            report[who] = {"collection": spec.alias, "paths": paths}
            log(f"{count}: {who} done")
        return report
    finally:
        node.close()


def table(report: dict[str, Any]) -> str:
    lines = [f"TAXII read paths, limit {report['limit']} objects a page; median ms "
             f"(of {report['repeat']}), {report['database']}"]  # fmt: skip
    for size, by_requester in report["sizes"].items():
        for who, found in by_requester.items():
            for path, figures in found["paths"].items():
                cells = figures.get("pages") or figures.get("objects")
                shown = "  ".join(f"{name}: {t['ms']:.1f}" for name, t in cells.items())
                lines.append(f"{size:>9} {who:<8} {path:<28} {shown}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL: each size gets this database's name with _N appended",
    )
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 10, 100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the nodes loaded by an earlier run (this or bench/search.py)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default bench/results/taxii_paths.json (-postgresql with a URL)",
    )
    args = parser.parse_args(argv)  # fmt: skip
    url = args.database_url
    out = args.out or RESULTS_DIR / ("taxii_paths-postgresql.json" if url else "taxii_paths.json")
    report: dict[str, Any] = {
        "machine": machine(),
        "database": "postgresql" if url else "sqlite",
        "limit": args.limit,
        "repeat": args.repeat,
        "as": {"partner": f"{PARTNER[0]} ({PARTNER[1]})", "user": f"{ANALYST} (CBP analyst)"},
        "sizes": {},
    }
    for count in args.sizes:
        size_url = sized_url(url, count)
        data_dir = loaded_node(count, node_name(count, size_url), size_url, args.reuse)
        report["sizes"][str(count)] = measure(data_dir, count, args.limit, sorted(args.pages),
                                         args.repeat)  # fmt: skip
        write_json(out, report)
    report["machine"]["load_average_after"] = machine()["load_average"]
    write_json(out, report)
    print(table(report))
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
