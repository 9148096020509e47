"""Ingest benchmark: Puente beside OASIS medallion, the same objects in the same run.

One command measures, in this order:

1. **Puente, service level** — ``records.service.import_objects`` in-process on a fresh SQLite
   node, for the MITRE ATT&CK for ICS bundle and for 1,000, 10,000 and 100,000 generated
   objects. The clock covers validation, storage and the commit (one transaction, as always),
   not parsing the file; the progress callback timestamps every chunk, which gives the rate
   curve.
2. **Puente, command line** — ``puente import stix FILE`` end to end (process start, parsing
   or streaming, import, commit), with its peak RSS, for the same bundles. An empty bundle
   (median of three runs) gives the fixed start-up cost.
3. **Puente over HTTP** — ``puente serve`` on loopback, ``POST /api/v1/bundles`` with
   envelopes of 1,000 objects and a bearer token from ``puente token create``, each envelope
   timed (its own transaction).
4. **medallion over HTTP** — bench/peers/medallion_ingest.py: medallion (memory backend)
   under gunicorn, TAXII 2.1 "Add Objects" with envelopes of 1,000, each envelope timed.

Request bodies are serialized before the clock starts, for both peers. Usage::

    python bench/ingest.py [--out bench/results/ingest.json] [--sizes 1000 10000 100000]

Results go to the JSON file; a table is printed at the end.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))

from common import (
    ADMIN_PASSWORD,
    ICS_BUNDLE,
    NUMBER,
    RESULTS_DIR,
    SEED,
    WORK_DIR,
    create_token,
    ensure_bundle,
    init_node,
    load_objects,
    log,
    machine,
    measure_command,
    puente_server,
    write_json,
)

HTTP_TIMEOUT_S = 600.0


# -- 1. service level --------------------------------------------------------------------------


def service_import(objects: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """Import ``objects`` into a fresh node through records.service; time it by chunk."""
    from puente.accounts import service as accounts
    from puente.accounts.bootstrap import initialize
    from puente.records import service
    from puente.records.ingest import CHUNK

    with tempfile.TemporaryDirectory(dir=WORK_DIR) as folder:
        node = initialize(Path(folder) / "node", "us-bench", "USA", "Bench", "", "admin",
                          ADMIN_PASSWORD)  # fmt: skip
        try:
            with node.db.session() as session:
                analyst = accounts.create_user(
                    session, accounts.principal_for(accounts.get_user(session, "admin"),
                                                    node.settings),
                    "ana", "bench-analyst-password-1", "CBP", ["analyst"], "Ana", node.settings,
                )  # fmt: skip
                principal = accounts.principal_for(analyst, node.settings)
            marks: list[tuple[int, float]] = []
            done = 0

            def progress(count: int) -> None:
                nonlocal done
                done += count
                marks.append((done, time.perf_counter()))

            gc.collect()
            cpu_start = time.process_time()
            start = time.perf_counter()
            with node.db.session() as session:
                result = service.import_objects(session, node.settings, principal, objects,
                                                progress=progress)  # fmt: skip
                before_commit = time.perf_counter()
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
        finally:
            # Closing waits for the WAL checkpoint that the node's checkpointer thread runs
            # after a commit, off the import's path (puente/db.py): timed apart, reported.
            closing = time.perf_counter()
            node.close()
            checkpoint = time.perf_counter() - closing
    if result.stored != len(objects):
        raise RuntimeError(f"{label}: stored {result.stored} of {len(objects)}")
    chunks = []
    previous_count, previous_time = 0, start
    for count, moment in marks:
        chunks.append({
            "objects": count, "seconds": round(moment - previous_time, 4),
            "rate": round((count - previous_count) / (moment - previous_time), 1),
        })  # fmt: skip
        previous_count, previous_time = count, moment
    return {
        "label": label, "objects": len(objects), "seconds": round(seconds, 4),
        "rate": round(len(objects) / seconds, 1), "cpu_seconds": round(cpu, 3),
        "cpu_rate": round(len(objects) / cpu, 1),
        "commit_seconds": round(seconds - (before_commit - start), 4),
        "checkpoint_seconds": round(checkpoint, 4),
        "chunk_size": CHUNK, "chunks": chunks,
    }  # fmt: skip


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run by rate, with every run's rate kept beside it."""
    ranked = sorted(runs, key=lambda run: run["rate"])
    chosen = dict(ranked[(len(ranked) - 1) // 2])
    chosen["runs"] = [run["rate"] for run in runs]
    return chosen


# -- 2. command line ---------------------------------------------------------------------------


def cli_import(bundle: Path, expected: int, label: str) -> dict[str, Any]:
    data_dir = WORK_DIR / "cli-node"
    init_node(data_dir)
    measured = measure_command(
        [sys.executable, "-m", "puente", "import", "stix", str(bundle), "--data-dir",
         str(data_dir)]
    )  # fmt: skip
    found = NUMBER.search(measured["stdout"])
    if not found or int(found.group(1)) != expected:
        raise RuntimeError(f"{label}: unexpected output {measured['stdout']!r}")
    measured.pop("stdout"), measured.pop("stderr"), measured.pop("returncode")
    return {"label": label, "objects": expected, "file_mb": round(bundle.stat().st_size / 2**20, 1),
            **measured}  # fmt: skip


def empty_bundle() -> Path:
    path = WORK_DIR / "bundle-0.json"
    path.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                   "objects": []}))  # fmt: skip
    return path


# -- 3. Puente over HTTP -----------------------------------------------------------------------


def http_import(objects: list[dict[str, Any]], total: int, envelope: int) -> dict[str, Any]:
    data_dir = WORK_DIR / "http-node"
    init_node(data_dir)
    token = create_token(data_dir)
    bodies = [
        orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                      "objects": objects[start : start + envelope]})
        for start in range(0, total, envelope)
    ]  # fmt: skip
    envelopes = []
    with puente_server(data_dir) as base, httpx.Client(
        base_url=base, timeout=HTTP_TIMEOUT_S,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    ) as client:  # fmt: skip
        # Untimed warm-up, like medallion's: the connection, token check, database, audit.
        client.get("/api/v1/records", params={"limit": 1}).raise_for_status()
        done, cumulative = 0, 0.0
        for index, body in enumerate(bodies):
            count = min(envelope, total - index * envelope)
            started = time.perf_counter()
            response = client.post("/api/v1/bundles", content=body)
            seconds = time.perf_counter() - started
            if response.status_code != 201 or response.json()["stored"] != count:
                raise RuntimeError(
                    f"envelope {index}: {response.status_code} {response.text[:300]}"
                )
            done += count
            cumulative += seconds
            envelopes.append({
                "index": index, "objects": count, "seconds": round(seconds, 4),
                "rate": round(count / seconds, 1), "cumulative_objects": done,
                "cumulative_rate": round(done / cumulative, 1),
            })  # fmt: skip
    first, last = envelopes[0]["seconds"], envelopes[-1]["seconds"]
    return {
        "objects": total, "envelope_size": envelope, "seconds": round(cumulative, 4),
        "overall_rate": round(total / cumulative, 1), "last_over_first": round(last / first, 2),
        "envelopes": envelopes,
    }  # fmt: skip


# -- 4. medallion ------------------------------------------------------------------------------


def medallion(objects: list[dict[str, Any]], totals: list[int], envelope: int,
              repeat: int) -> dict[str, Any]:  # fmt: skip
    import medallion_ingest as peer

    peer.ensure_venv(peer.DEFAULT_VENV, None, skip_setup=False)
    versions = peer.peer_versions(peer.DEFAULT_VENV)
    run_dir = WORK_DIR / "runs" / time.strftime("%Y%m%dT%H%M%S")
    results: dict[str, Any] = {
        "version": versions["medallion"], "versions": versions, "backend": "memory",
        "server": f"gunicorn {versions['gunicorn']}, {peer.WORKERS} sync worker",
        "repeat": repeat, "totals": {},
    }  # fmt: skip
    for total in totals:
        runs = [peer.run_total(peer.DEFAULT_VENV, run_dir, objects, total, envelope, False)
                for _ in range(repeat)]  # fmt: skip
        results["totals"][str(total)] = peer.median_run(runs)
    return results


# -- the run -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "ingest.json")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--http-sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--envelope", type=int, default=1000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per size for the service level (the median is reported)",
    )
    parser.add_argument("--medallion-repeat", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["service", "cli", "http", "medallion"])  # fmt: skip
    args = parser.parse_args(argv)
    WORK_DIR.mkdir(parents=True, exist_ok=True)

    largest = max([*args.sizes, *args.http_sizes])
    bundle = ensure_bundle(largest)
    objects = load_objects(bundle)
    ics = load_objects(ICS_BUNDLE)
    report: dict[str, Any] = {
        "machine": machine(),
        "bundle": {"generator": "bench/gen_bundle.py", "seed": SEED, "objects": largest},
        "envelope_size": args.envelope,
    }
    if "service" not in args.skip:
        log("service level")
        report["service"] = [best_of([service_import(ics, "ics-attack-18.1")
                                      for _ in range(args.repeat)])]  # fmt: skip
        for size in args.sizes:
            repeat = 1 if size >= 100_000 else args.repeat
            runs = [service_import(objects[:size], f"generated {size}") for _ in range(repeat)]
            report["service"].append(best_of(runs))
            log(f"  {size}: {report['service'][-1]['rate']} objects/s")
    if "cli" not in args.skip:
        log("command line")
        startups = [cli_import(empty_bundle(), 0, "empty bundle (start-up cost)")
                    for _ in range(3)]  # fmt: skip
        startup = sorted(startups, key=lambda run: run["wall_s"])[1]  # the median of three
        startup["runs"] = [run["wall_s"] for run in startups]
        report["cli"] = [startup, cli_import(ICS_BUNDLE, len(ics), "ics-attack-18.1")]
        for size in args.sizes:
            report["cli"].append(cli_import(ensure_bundle(size), size, f"generated {size}"))
            log(f"  {size}: {report['cli'][-1]['wall_s']} s, {report['cli'][-1]['max_rss_mb']} MB")
    if "http" not in args.skip:
        log("Puente over HTTP")
        report["puente_http"] = {
            str(total): http_import(objects, total, args.envelope) for total in args.http_sizes
        }
    if "medallion" not in args.skip:
        log("medallion over HTTP")
        report["medallion"] = medallion(objects, args.http_sizes, args.envelope,
                                        args.medallion_repeat)  # fmt: skip
    report["machine"]["load_average_after"] = machine()["load_average"]
    write_json(args.out, report)
    print(table(report))
    log(f"wrote {args.out}")
    shutil.rmtree(WORK_DIR / "cli-node", ignore_errors=True)
    return 0


def table(report: dict[str, Any]) -> str:
    lines = [f"machine: {report['machine']['nproc']} CPUs, {report['machine']['cpu']}, "
             f"load {report['machine']['load_average']}"]  # fmt: skip
    if "service" in report:
        lines += [
            "",
            "Puente, records.service.import_objects (SQLite, one transaction)",
            f"{'bundle':<20}{'objects':>9}{'seconds':>10}{'obj/s':>10}{'obj/CPU-s':>11}",
        ]
        for row in report["service"]:
            lines.append(f"{row['label']:<20}{row['objects']:>9}{row['seconds']:>10.3f}"
                         f"{row['rate']:>10.0f}{row['cpu_rate']:>11.0f}")  # fmt: skip
    if "cli" in report:
        lines += [
            "",
            "Puente, `puente import stix FILE` end to end",
            f"{'bundle':<30}{'objects':>9}{'wall s':>9}{'CPU s':>8}{'peak RSS MB':>13}",
        ]
        for row in report["cli"]:
            cpu = row["user_s"] + row["system_s"]
            lines.append(f"{row['label']:<30}{row['objects']:>9}{row['wall_s']:>9.2f}"
                         f"{cpu:>8.2f}{row['max_rss_mb']:>13.0f}")  # fmt: skip
    if "puente_http" in report or "medallion" in report:
        lines += [
            "",
            f"HTTP, envelopes of {report['envelope_size']}",
            f"{'peer':<34}{'objects':>9}{'seconds':>9}{'obj/s':>9}{'last/first':>11}",
        ]
        for total, row in report.get("puente_http", {}).items():
            lines.append(
                f"{'Puente POST /api/v1/bundles':<34}{total:>9}{row['seconds']:>9.2f}"
                f"{row['overall_rate']:>9.0f}{row['last_over_first']:>11.2f}"
            )
        for total, row in report.get("medallion", {}).get("totals", {}).items():
            lines.append(
                f"{'medallion TAXII POST objects':<34}{total:>9}{row['seconds']:>9.2f}"
                f"{row['overall_rate']:>9.0f}{row['last_over_first']:>11.2f}"
            )
        for total in report.get("medallion", {}).get("totals", {}):
            ours = report.get("puente_http", {}).get(total)
            theirs = report["medallion"]["totals"][total]
            if ours:
                lines.append(
                    f"Puente / medallion at {total}: HTTP "
                    f"{ours['overall_rate'] / theirs['overall_rate']:.1f}x"
                )
        service = {row["objects"]: row for row in report.get("service", [])
                   if row["label"].startswith("generated")}  # fmt: skip
        for total in report.get("medallion", {}).get("totals", {}):
            if int(total) in service:
                theirs = report["medallion"]["totals"][total]
                lines.append(
                    f"Puente service / medallion HTTP at {total}: "
                    f"{service[int(total)]['rate'] / theirs['overall_rate']:.1f}x"
                )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
