"""Hit/no-hit speed (issues 4 and 15): the index, a 100-key query over HTTP, changes.

1. **Index build** — node A (USA) imports generated persons (bench/matching.py's generator,
   marked SEARCHABLE BY MEX, in bundles of 100,000) until their match keys reach ``--keys``
   (1,000,000), then ``puente hits index --workers 2`` builds Mexico's index: keys per second
   of that command, wall clock, start-up included; its CPU time, and on PostgreSQL that of the
   database's backends (sampled), and its peak RSS.
2. **First download** — A runs ``puente serve``; node B (MEX) asks one 100-key query in a
   process of its own (``hits.transport.ask``), which first downloads A's whole index
   (fingerprints, 8 bytes a key, in pages): its time, the bytes on the wire and B's peak RSS.
3. **Queries** — B asks ``--queries`` more 100-key queries (the query keys of a few persons,
   some held by A, some not), timed end to end (blind, HTTP both ways, unblind, look up,
   record): median, p95, bytes each way. A's peak RSS (``puente serve``) is read as it stops.
4. **Changes** — ``--changed`` of A's persons get a new version (another date of birth); the
   time for ``puente hits index`` to reflect them, then B's next query (which downloads the
   delta).

SQLite by default; PostgreSQL with ``--database-url`` (a server URL): the bench makes its own
databases there, ``puente_bench_hits_<keys>`` for A and ``..._mx`` for B, and drops them at the
end unless ``--keep`` or ``--reuse``. With ``--reuse``, nodes loaded by an earlier run with the
same ``--keys`` and backend are kept (loading ten million keys is slow): their indexes and
B's copy are emptied, and the run goes on from the index build.

Usage::

    python bench/hits.py [--spec 2] [--keys 1000000] [--queries 30] [--database-url URL]
                         [--reuse] [--keep] [--out bench/results/hits-v2.json]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgserver
from common import (
    ADMIN_PASSWORD,
    RESULTS_DIR,
    SEED,
    WORK_DIR,
    free_port,
    log,
    machine,
    measure_command,
    puente,
    puente_serve,
    write_json,
)
from ingest_pg import ServerCpu, _process_cpu, psql
from matching import Person, iter_persons

from puente.hits.keys import LATEST, SPEC_VERSIONS, Keys
from puente.hits.specs import person_keys
from puente.hits.subjects import Subject
from puente.policy.markings import Markings, apply_markings
from puente.records import builder

SEARCHABLE = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"MEX"}))
US_SECRET, MX_SECRET = "bench-hits-issued-by-us-0001", "bench-hits-issued-by-mx-0001"
ANALYST_MX = "fer"
BUNDLE = 100_000  # persons per imported bundle: the bench's memory stays bounded
SPEC = LATEST  # the match-key spec version both nodes use (--spec)
ASKED = 4_000  # the first persons B's queries are made from
KEPT = ASKED + 1_000  # the first persons' ids, kept on disk: the next ones are changed


def _record(person: Person) -> dict[str, Any]:
    obj = builder.build("person", {"given_names": person.given, "paternal_surname":
                                   person.paternal, "maternal_surname": person.maternal,
                                   "date_of_birth": person.dob}, "CBP")  # fmt: skip
    apply_markings(obj, SEARCHABLE)
    return obj


def _write_bundle(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.write_bytes(orjson.dumps({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-"
                                   "000000000001", "objects": objects}))  # fmt: skip
    return path


def _keys_of(person: Person) -> Keys:
    return person_keys(SPEC, person.given, person.paternal, person.maternal,
                       dates_of_birth=(person.dob,))  # fmt: skip


def _settings(data_dir: Path, **values: str) -> None:
    """Set ``name = value`` lines of the node's puente.toml (each name is unique there; a list
    may span lines)."""
    path = data_dir / "puente.toml"
    text = path.read_text(encoding="utf-8")
    for name, value in values.items():
        text = re.sub(rf"(?ms)^{name} = (\[[^\]]*\]|[^\n]*)$", f"{name} = {value}", text)
    path.write_text(text, encoding="utf-8")


def load(root: Path, wanted_keys: int, urls: dict[str, str], port: int) -> dict[str, Any]:
    """Node A holding persons until their keys reach ``wanted_keys``, and B paired with it."""
    us, mx = root / "us", root / "mx"
    for data_dir, node_id, country, url in ((us, "us-hits", "USA", urls["us"]),
                                            (mx, "mx-hits", "MEX", urls["mx"])):  # fmt: skip
        database = ("--database-url", url) if url else ()
        puente("init", "--node-id", node_id, "--country", country, "--admin-password",
               ADMIN_PASSWORD, *database, data_dir=data_dir)  # fmt: skip
        # Only the commands this bench times refresh the index (serve's scheduler does not),
        # and B may ask as often as the bench needs. One match-key spec version (--spec), the
        # one whose keys the bench counts (_keys_of): A builds one index of that many keys.
        _settings(data_dir, enabled="false", queries_per_user_per_day="100000",
                  queries_per_partner_per_day="1000000", spec_versions=f"[{SPEC}]")  # fmt: skip
    pair(us, mx, port)
    keys = persons = 0
    kept: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    started = time.perf_counter()

    def flush() -> None:
        path = _write_bundle(root / "persons.json", batch)
        puente("import", "stix", str(path), data_dir=us, timeout=3600)
        path.unlink()
        batch.clear()

    for person in iter_persons(SEED):
        obj = _record(person)
        batch.append(obj)
        if len(kept) < KEPT:
            kept.append({"id": obj["id"], "created": obj["created"], "given": person.given,
                         "paternal": person.paternal, "maternal": person.maternal})  # fmt: skip
        persons += 1
        keys += len(_keys_of(person).keys)
        if len(batch) == BUNDLE:
            flush()
            log(f"  A holds {persons:,} persons ({keys:,} keys)")
        if keys >= wanted_keys:
            break
    if batch:
        flush()
    loaded = {"persons": persons, "keys": keys, "import_s": round(time.perf_counter() - started, 2)}
    (root / "kept.json").write_bytes(orjson.dumps(kept))
    (root / "loaded.json").write_bytes(orjson.dumps(loaded))
    return loaded


def pair(us: Path, mx: Path, port: int) -> None:
    us_key = puente("node", "key", data_dir=us).stdout.strip()
    mx_key = puente("node", "key", data_dir=mx).stdout.strip()
    puente("partner", "add", "mx-hits", "--country", "MEX", "--url", "http://127.0.0.1:9",
           "--key", mx_key, "--secret", MX_SECRET, "--issue-secret", US_SECRET,
           data_dir=us)  # fmt: skip
    puente("partner", "add", "us-hits", "--country", "USA", "--url", f"http://127.0.0.1:{port}",
           "--key", us_key, "--secret", US_SECRET, "--issue-secret", MX_SECRET,
           data_dir=mx)  # fmt: skip
    puente("user", "add", ANALYST_MX, "--agency", "FGR", "--role", "analyst", data_dir=mx)


def reset(us: Path, mx: Path) -> None:
    """Empty A's index and B's copy of it (a reused node starts from no index): TRUNCATE on
    PostgreSQL, which leaves no dead rows behind for the next build's scans to step over."""
    from sqlalchemy import text

    from puente.node import open_node

    for data_dir, tables in ((us, ("hit_index_entries", "hit_index_states")),
                             (mx, ("hit_partner_prints", "hit_partner_states"))):  # fmt: skip
        node = open_node(data_dir)
        try:
            empty = "TRUNCATE" if node.db.engine.dialect.name == "postgresql" else "DELETE FROM"
            with node.db.session() as session:
                for table in tables:
                    session.execute(text(f"{empty} {table}"))  # names above, never input
        finally:
            node.close()


def _point_port(mx: Path, port: int) -> None:
    """B's partner A at this run's port."""
    from sqlalchemy import update

    from puente.node import open_node
    from puente.sharing.models import Partner

    node = open_node(mx)
    try:
        with node.db.session() as session:
            session.execute(update(Partner).where(Partner.node_id == "us-hits")
                            .values(base_url=f"http://127.0.0.1:{port}"))  # fmt: skip
    finally:
        node.close()


class Wire:
    """Counts the bytes of every request and response body B exchanges with A."""

    def __init__(self) -> None:
        self.sent = self.received = 0
        self._send = httpx.Client.send

    def __enter__(self) -> Wire:
        wire = self

        def send(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
            response = wire._send(client, request, **kwargs)
            wire.sent += len(request.content)
            wire.received += len(response.content)
            return response

        httpx.Client.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        httpx.Client.send = self._send  # type: ignore[method-assign]


def query_subjects(persons: list[Person], size: int) -> list[Subject]:
    """Persons A holds, asked as the other side might write them, until they give ``size``
    query keys or a few more (an analyst asks about whole persons, not single keys)."""
    subjects: list[Subject] = []
    count = 0
    for person in persons:
        subject = Subject("person", given_names=person.given, paternal_surname=person.paternal,
                          date_of_birth=person.dob)  # fmt: skip
        subjects.append(subject)
        count += len(subject.keys(SPEC).keys)
        if count >= size:
            break
    return subjects


def ask_timed(mx_dir: Path, offset: int, count: int) -> list[dict[str, Any]]:
    """B's analyst asks ``count`` 100-key queries (run in a process of its own: its RSS is
    B's alone)."""
    from itertools import islice

    from puente.accounts import service as accounts
    from puente.hits import transport as hit_transport
    from puente.node import open_node

    persons = list(islice(iter_persons(SEED), ASKED))
    node = open_node(mx_dir)
    # How long each query spent making sure B's copy of A's index is current (before it asks):
    # tells a slow query's wait for A's index apart from the question itself.
    checking: list[float] = []
    check_copy = hit_transport.refresh_copy

    def timed_check(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return check_copy(*args, **kwargs)
        finally:
            checking.append(time.perf_counter() - started)

    hit_transport.refresh_copy = timed_check  # type: ignore[assignment]
    try:
        with node.db.session() as session:
            user = accounts.get_user(session, ANALYST_MX)
            analyst = accounts.principal_for(user, node.settings)
        runs = []
        for i in range(count):
            subjects = query_subjects(persons[offset + i * 7 :], 100)
            checking.clear()
            with Wire() as wire:
                started = time.perf_counter()
                answer = hit_transport.ask(node, analyst, "us-hits", subjects,
                                           case_reference=f"BENCH-{offset}-{i}",
                                           legal_basis="benchmark")  # fmt: skip
                seconds = time.perf_counter() - started
            runs.append({"ms": round(seconds * 1000, 2), "keys": answer.key_count,
                         "copy_check_ms": round(sum(checking) * 1000, 2),
                         "hit": answer.hit("person"), "sent": wire.sent,
                         "received": wire.received})  # fmt: skip
        return runs
    finally:
        node.close()


def asker(mx: Path, offset: int, count: int, server: int, names: tuple[str, ...]) -> dict[str, Any]:
    """:func:`ask_timed` in a child process: its runs, wall and CPU time and peak RSS, and the
    CPU time of A's ``puente serve`` (pid ``server``) and of both databases' backends."""
    served = _process_cpu(server)
    with ServerCpu(*names) as database_cpu:
        answers = mx.parent / "asked.json"  # a file: the command's stdout is kept cut short
        measured = measure_command([sys.executable, __file__, "--ask", str(mx), "--offset",
                                    str(offset), "--count", str(count), "--ask-out",
                                    str(answers), "--spec", str(SPEC)], timeout=7200)  # fmt: skip
    measured.pop("stdout", None)
    runs = orjson.loads(answers.read_bytes())
    measured.pop("stderr", None)
    return {**measured, "server_cpu_s": round(_process_cpu(server) - served, 2),
            "database_cpu_s": database_cpu.seconds, "runs": runs}  # fmt: skip


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    times = sorted(run["ms"] for run in runs)
    return {
        "queries": len(runs),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": times[min(len(times) - 1, round(0.95 * len(times)) - 1)],
        "max_ms": times[-1],
        "median_bytes_sent": statistics.median(run["sent"] for run in runs),
        "median_bytes_received": statistics.median(run["received"] for run in runs),
        "hits": sum(1 for run in runs if run["hit"]),
    }


def peak_rss_mb(pid: int) -> float:
    """A running process's peak RSS (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


@contextmanager
def databases(server: str, keys: int, keep: bool, reuse: bool) -> Iterator[dict[str, str]]:
    """The two nodes' database URLs (SQLite: empty), made on ``server`` unless reused."""
    if not server:
        yield {"us": "", "mx": ""}
        return
    names = {"us": f"puente_bench_hits_{keys}", "mx": f"puente_bench_hits_{keys}_mx"}
    base = server.rsplit("/", 1)[0]
    try:
        yield {side: f"{base}/{name}" for side, name in names.items()}
    finally:
        if not (keep or reuse):
            for name in names.values():
                psql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _timed_index(us: Path, names: tuple[str, ...], *args: str) -> dict[str, Any]:
    with ServerCpu(*names) as database_cpu:
        measured = measure_command([sys.executable, "-m", "puente", "hits", "index", *args,
                                    "--data-dir", str(us)], timeout=7200)  # fmt: skip
    measured.pop("stderr", None)
    measured["database_cpu_s"] = database_cpu.seconds
    return measured


def run(args: argparse.Namespace) -> dict[str, Any]:
    backend = "postgresql" if args.database_url else "sqlite"
    settings = pgserver.settings(args.database_url) if args.database_url else {}
    root = WORK_DIR / f"hits-{backend}-{args.keys}-v{SPEC}"
    us, mx = root / "us", root / "mx"
    port = free_port()
    with databases(args.database_url, args.keys, args.keep, args.reuse) as urls:
        names = tuple(url.rsplit("/", 1)[1] for url in urls.values() if url)
        if args.reuse and (root / "loaded.json").exists():
            log(f"reusing the nodes in {root}")
            loaded = orjson.loads((root / "loaded.json").read_bytes())
            reset(us, mx)
            _point_port(mx, port)
        else:
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            for name in names:
                psql(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                psql(args.database_url, f'CREATE DATABASE "{name}"')
            log(f"loading A with persons until {args.keys:,} keys ({backend})")
            loaded = load(root, args.keys, urls, port)
        log(f"A holds {loaded['persons']:,} persons, {loaded['keys']:,} keys")
        log("A builds Mexico's index: puente hits index --workers 2")
        index = _timed_index(us, names, "--workers", "2")
        rate = loaded["keys"] / index["wall_s"]
        log(f"  {index['stdout'].strip()}  ({rate:,.0f} keys/s, peak RSS "
            f"{index['max_rss_mb']:.0f} MB)")  # fmt: skip
        report: dict[str, Any] = {"machine": machine(), "backend": backend,
                                  "postgresql_settings": settings,
                                  "load_average": os.getloadavg(), **loaded,
                                  "index_build": {**index, "keys_per_s": round(rate)}}  # fmt: skip
        with puente_serve(us, port) as server:
            log("B's first query (downloads A's whole index)")
            first = asker(mx, 0, 1, server.pid, names)
            first_run = first["runs"][0]
            log(f"  {first_run['ms'] / 1000:.1f} s, {first_run['received']:,} bytes received, "
                f"B's peak RSS {first['max_rss_mb']:.0f} MB; CPU s: B {first['user_s']:.1f}, "
                f"A {first['server_cpu_s']:.1f}, databases {first['database_cpu_s']:.1f}")  # fmt: skip
            log(f"B asks {args.queries} more 100-key queries")
            asked = asker(mx, 100, args.queries, server.pid, names)
            runs = asked.pop("runs")
            report["first_download"] = first
            report["queries"] = {**summary(runs), "asker": asked, "runs": runs}
            log(f"  {report['queries']['median_ms']} ms median, "
                f"{report['queries']['p95_ms']} ms p95")  # fmt: skip
            # Persons past those B asks about (a reused node's queries stay the same), each
            # with another date of birth each run, so that a reused node changes as much.
            kept = orjson.loads((root / "kept.json").read_bytes())[ASKED:][: args.changed]
            dob = f"190{int(time.time()) % 10}-01-01"
            changed = []
            for held in kept:
                newer = _record(Person(held["given"], held["paternal"], held["maternal"], dob))
                newer["id"], newer["created"] = held["id"], held["created"]
                changed.append(newer)
            puente("import", "stix", str(_write_bundle(root / "changed.json", changed)),
                   data_dir=us, timeout=600)  # fmt: skip
            log(f"{len(changed):,} records changed on A: puente hits index")
            refresh = _timed_index(us, names)
            log(f"  {refresh['stdout'].strip()} ({refresh['wall_s']} s)")
            after = asker(mx, 0, 1, server.pid, names)
            report["changes"] = {"records": len(changed), "refresh": refresh,
                                 "next_query": after}  # fmt: skip
            report["server_peak_rss_mb"] = peak_rss_mb(server.pid)
        report["load_average_end"] = os.getloadavg()
        log(f"A's server peak RSS {report['server_peak_rss_mb']:.0f} MB")
    if names and not (args.keep or args.reuse):  # the databases are gone: nothing to reuse
        (root / "loaded.json").unlink()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--changed", type=int, default=1000)
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server URL: the bench makes its own databases there",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases at the end")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the nodes a run with these --keys loaded (and keep them)",
    )
    parser.add_argument("--spec", type=int, choices=SPEC_VERSIONS, default=LATEST,
                        help="the match-key spec version both nodes use")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="default: results/hits-v<spec>.json")
    parser.add_argument("--ask", type=Path, help=argparse.SUPPRESS)  # the asker's process
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--ask-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global SPEC
    SPEC = args.spec
    if args.ask is not None:
        args.ask_out.write_bytes(orjson.dumps(ask_timed(args.ask, args.offset, args.count)))
        return 0
    report = {"spec": SPEC, **run(args)}
    args.out = args.out or RESULTS_DIR / f"hits-v{SPEC}.json"
    write_json(args.out, report)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
