"""Hit/no-hit speed (issue 4, "Speed"): the index, a 100-key query over HTTP, changes.

1. **Index build** — node A (USA) imports generated persons (bench/matching.py's generator,
   marked SEARCHABLE BY MEX) until their match keys reach ``--keys`` (1,000,000), then
   ``puente hits index --workers 2`` builds Mexico's index: keys per second of that command,
   wall clock, start-up included.
2. **Queries** — A runs ``puente serve``; node B (MEX) asks, in this process, 100-key queries
   (the query keys of a few persons, some held by A, some not) through ``hits.transport.ask``:
   the first one downloads A's whole index (fingerprints, 8 bytes a key); the next ones are
   timed end to end (blind, HTTP both ways, unblind, look up, record). Bytes on the wire
   (request and response bodies) are counted for each.
3. **Changes** — 1,000 of A's persons get a new version (another date of birth); the time for
   ``puente hits index`` to reflect them, then B's next query (which downloads the delta).

Usage::

    python bench/hits.py [--keys 1000000] [--queries 30] [--out bench/results/hits.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
from matching import Person, make_persons

from puente.accounts import service as accounts
from puente.hits import transport as hit_transport
from puente.hits.keys import Keys
from puente.hits.persons import person_keys
from puente.hits.subjects import Subject
from puente.node import open_node
from puente.policy.markings import Markings, apply_markings
from puente.records import builder

SEARCHABLE = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"MEX"}))
US_SECRET, MX_SECRET = "bench-hits-issued-by-us-0001", "bench-hits-issued-by-mx-0001"
ANALYST_MX = "fer"


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
    return person_keys(person.given, person.paternal, person.maternal, date_of_birth=person.dob)


def build_index(root: Path, wanted_keys: int) -> dict[str, Any]:
    us = root / "us"
    puente("init", "--node-id", "us-hits", "--country", "USA", "--admin-password",
           ADMIN_PASSWORD, data_dir=us)  # fmt: skip
    persons: list[Person] = []
    keys = 0
    for person in make_persons(wanted_keys // 5, SEED):
        persons.append(person)
        keys += len(_keys_of(person).keys)
        if keys >= wanted_keys:
            break
    objects = [_record(p) for p in persons]
    log(f"A imports {len(objects):,} persons ({keys:,} index keys)")
    started = time.perf_counter()
    puente("import", "stix", str(_write_bundle(root / "persons.json", objects)), data_dir=us,
           timeout=3600)  # fmt: skip
    imported = time.perf_counter() - started
    return {"us": us, "persons": persons, "objects": objects, "keys": keys,
            "import_s": round(imported, 2)}  # fmt: skip


def pair(root: Path, us: Path, port: int) -> Path:
    mx = root / "mx"
    puente("init", "--node-id", "mx-hits", "--country", "MEX", "--admin-password",
           ADMIN_PASSWORD, data_dir=mx)  # fmt: skip
    us_key = puente("node", "key", data_dir=us).stdout.strip()
    mx_key = puente("node", "key", data_dir=mx).stdout.strip()
    puente("partner", "add", "mx-hits", "--country", "MEX", "--url", "http://127.0.0.1:9",
           "--key", mx_key, "--secret", MX_SECRET, "--issue-secret", US_SECRET,
           data_dir=us)  # fmt: skip
    puente("partner", "add", "us-hits", "--country", "USA", "--url", f"http://127.0.0.1:{port}",
           "--key", us_key, "--secret", US_SECRET, "--issue-secret", MX_SECRET,
           data_dir=mx)  # fmt: skip
    puente("user", "add", ANALYST_MX, "--agency", "FGR", "--role", "analyst", data_dir=mx)
    return mx


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
        count += len(subject.keys().keys)
        if count >= size:
            break
    return subjects


def ask_timed(mx_dir: Path, persons: list[Person], count: int) -> dict[str, Any]:
    node = open_node(mx_dir)
    try:
        with node.db.session() as session:
            user = accounts.get_user(session, ANALYST_MX)
            analyst = accounts.principal_for(user, node.settings)
        runs = []
        for i in range(count):
            subjects = query_subjects(persons[i * 7 :], 100)
            with Wire() as wire:
                started = time.perf_counter()
                answer = hit_transport.ask(node, analyst, "us-hits", subjects, case_reference=f"BENCH-{i}",
                                    legal_basis="benchmark")  # fmt: skip
                seconds = time.perf_counter() - started
            runs.append({"ms": round(seconds * 1000, 2), "keys": answer.key_count,
                         "hit": answer.hit("person"), "sent": wire.sent,
                         "received": wire.received})  # fmt: skip
        return {"runs": runs}
    finally:
        node.close()


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--changed", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "hits.json")
    args = parser.parse_args(argv)
    root = WORK_DIR / "hits"
    if root.exists():
        import shutil

        shutil.rmtree(root)
    root.mkdir(parents=True)
    built = build_index(root, args.keys)
    us: Path = built["us"]
    log("A builds Mexico's index: puente hits index --workers 2")
    port = free_port()
    mx = pair(root, us, port)
    index = measure_command([sys.executable, "-m", "puente", "hits", "index", "--workers", "2",
                             "--data-dir", str(us)], timeout=3600)  # fmt: skip
    rate = built["keys"] / index["wall_s"]
    log(f"  {index['stdout'].strip()}  ({rate:,.0f} keys/s)")
    report: dict[str, Any] = {"machine": machine(), "persons": len(built["persons"]),
                              "index_keys": built["keys"], "import_s": built["import_s"],
                              "index_build": {**index, "keys_per_s": round(rate)}}  # fmt: skip
    with puente_serve(us, port):
        log("B's first query (downloads A's whole index)")
        first = ask_timed(mx, built["persons"], 1)["runs"][0]
        log(f"  {first}")
        log(f"B asks {args.queries} more 100-key queries")
        runs = ask_timed(mx, built["persons"][100:], args.queries)["runs"]
        report["first_query"] = first
        report["queries"] = {**summary(runs), "runs": runs}
        log(f"  {report['queries']['median_ms']} ms median, {report['queries']['p95_ms']} ms p95")
        changed = []
        for obj, person in zip(built["objects"][: args.changed],
                               built["persons"][: args.changed], strict=True):  # fmt: skip
            newer = _record(Person(person.given, person.paternal, person.maternal,
                                   "1901-01-01"))  # fmt: skip
            newer["id"] = obj["id"]
            newer["created"] = obj["created"]
            changed.append(newer)
        puente("import", "stix", str(_write_bundle(root / "changed.json", changed)), data_dir=us,
               timeout=600)  # fmt: skip
        log(f"{args.changed:,} records changed on A: puente hits index")
        refresh = measure_command([sys.executable, "-m", "puente", "hits", "index",
                                   "--data-dir", str(us)])  # fmt: skip
        log(f"  {refresh['stdout'].strip()} ({refresh['wall_s']} s)")
        after = ask_timed(mx, built["persons"], 1)["runs"][0]
        report["changes"] = {"records": args.changed, "refresh": refresh,
                             "next_query": after}  # fmt: skip
    write_json(args.out, report)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
