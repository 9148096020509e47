"""Ingest benchmark, peer side: OASIS medallion via TAXII 2.1 "Add Objects".

For each total (default 1,000 and 10,000 objects) a fresh medallion is started
under gunicorn (memory backend, so a restart empties the store), the objects
are POSTed in envelopes of 1,000 to
``/<api-root>/collections/<id>/objects/`` and every envelope is timed.

What a timed envelope covers: medallion 3.0.0 processes Add Objects
synchronously (``MemoryBackend.add_objects`` stores every object, then the
view answers 202 with a status resource whose ``status`` is already
``"complete"``).  The timer runs from sending the POST until that status says
complete; if a server answered ``"pending"`` instead, the timer keeps running
while the status endpoint is polled until it is complete.  After the last
envelope (untimed) the status success counts must add up to ``total`` and the
first, middle and last objects must be readable by id; ``--verify-manifest``
also counts the whole manifest (slow: medallion's filtering is quadratic).

Why medallion slows down as the collection grows (read from 3.0.0's source):
for every incoming object ``add_objects`` scans the whole collection for an
id+modified duplicate, and each request deep-copies the collection twice
(``collection_exists`` and ``permission_to_write`` both call
``get_collection``), so envelope k costs roughly O(k) and a total costs O(n^2).

Each total is run ``--repeat`` times (default 3), each on a fresh server; the
run with the median overall rate is reported in full.

gunicorn runs ONE worker: the memory backend lives in the worker process, so
more workers would each hold a different store.

Usage::

    python bench/peers/medallion_ingest.py --out /tmp/puente-bench/medallion.json

Traffic goes to 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

PEERS_DIR = Path(__file__).resolve().parent
BENCH_DIR = PEERS_DIR.parent
sys.path.insert(0, str(PEERS_DIR))

from medallion_config import TAXII_MEDIA_TYPE, MedallionSetup, write_config  # noqa: E402

WORK_DIR = Path(os.environ.get("PUENTE_BENCH_DIR", "/tmp/puente-bench"))
DEFAULT_VENV = WORK_DIR / "medallion-venv"
WORKERS = 1  # memory backend is per-process: one worker = one store
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 600.0
STATUS_POLL_TIMEOUT_S = 600.0
STATUS_POLL_INTERVAL_S = 0.01
TAXII_HEADERS = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[medallion-bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_venv(venv: Path, mirror: str | None, skip_setup: bool) -> None:
    if not skip_setup:
        cmd = [str(PEERS_DIR / "setup_medallion.sh")]
        if mirror:
            cmd.append(mirror)
        env = {**os.environ, "PUENTE_BENCH_DIR": str(venv.parent)}
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, timeout=900)
    if not (venv / "bin" / "gunicorn").exists():
        raise BenchError(f"no gunicorn in {venv}; run bench/peers/setup_medallion.sh")


def peer_versions(venv: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys;"
        "print(json.dumps({p: m.version(p) for p in ('medallion', 'gunicorn', 'flask', 'werkzeug')}"
        " | {'python': sys.version.split()[0]}))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    versions: dict[str, str] = json.loads(out.stdout)
    source = venv / "puente-install-source.txt"
    versions["install_source"] = source.read_text().strip() if source.exists() else "unknown"
    return versions


def load_objects(bundle: Path) -> list[dict[str, Any]]:
    with bundle.open(encoding="utf-8") as fh:
        objects: list[dict[str, Any]] = json.load(fh)["objects"]
    return objects


def ensure_bundle(count: int, seed: int) -> Path:
    path = WORK_DIR / f"bundle-{count}-seed{seed}.json"
    if not path.exists():
        log(f"generating {count} objects -> {path}")
        tmp = path.with_suffix(".tmp")
        subprocess.run(
            [
                sys.executable,
                str(BENCH_DIR / "gen_bundle.py"),
                str(count),
                str(tmp),
                "--seed",
                str(seed),
            ],
            check=True,
            timeout=900,
        )
        tmp.rename(path)
    return path


@contextmanager
def medallion_server(venv: Path, run_dir: Path) -> Iterator[MedallionSetup]:
    """Start a fresh gunicorn+medallion on a free loopback port; stop it on exit."""
    port = free_port()
    setup = write_config(port, run_dir / f"medallion-{port}")
    log_path = setup.config_path.parent / "gunicorn.log"
    cmd = [
        str(venv / "bin" / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--timeout",
        str(int(REQUEST_TIMEOUT_S)),
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
        "--pythonpath",
        str(PEERS_DIR),
        "medallion_wsgi:app",
    ]
    env = {**os.environ, "PUENTE_MEDALLION_CONFIG": str(setup.config_path)}
    with log_path.open("wb") as log_fh:
        proc = subprocess.Popen(
            cmd, env=env, stdout=log_fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_ready(setup, proc, log_path)
            yield setup
        finally:
            stop_server(proc)


def wait_ready(setup: MedallionSetup, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    auth = (setup.username, setup.password)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(
                f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}"
            )
        try:
            resp = httpx.get(
                f"{setup.base_url}/{setup.api_root}/collections/{setup.collection_id}/",
                headers={"Accept": TAXII_MEDIA_TYPE},
                auth=auth,
                timeout=2.0,
            )
            if resp.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise BenchError(
        f"medallion not ready after {READY_TIMEOUT_S}s:\n{log_path.read_text()[-4000:]}"
    )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # gunicorn master: graceful shutdown of its worker
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log("gunicorn did not stop on SIGTERM; killing its process group")
            os.killpg(proc.pid, signal.SIGKILL)  # the group this script created
            proc.wait(timeout=STOP_TIMEOUT_S)


def wait_status_complete(
    client: httpx.Client, setup: MedallionSetup, status: dict[str, Any]
) -> dict[str, Any]:
    """Poll the status resource until it is complete (no-op if it already is)."""
    deadline = time.monotonic() + STATUS_POLL_TIMEOUT_S
    while status.get("status") != "complete":
        if time.monotonic() > deadline:
            raise BenchError(
                f"status {status.get('id')} not complete after {STATUS_POLL_TIMEOUT_S}s"
            )
        time.sleep(STATUS_POLL_INTERVAL_S)
        resp = client.get(setup.status_path(status["id"]))
        resp.raise_for_status()
        status = resp.json()
    return status


def stored_count(client: httpx.Client, setup: MedallionSetup, expected: int) -> int:
    """Number of entries in the collection's manifest, following ``next`` pages."""
    count = 0
    params: dict[str, str] = {"limit": str(max(expected, 1))}
    for _ in range(10_000):
        resp = client.get(setup.manifest_path, params=params)
        if resp.status_code == 404 and count == 0:
            return 0
        resp.raise_for_status()
        body = resp.json()
        count += len(body.get("objects", []))
        if not body.get("more"):
            return count
        params = {"limit": params["limit"], "next": str(body["next"])}
    raise BenchError("manifest paging did not end")


def spot_check(
    client: httpx.Client, setup: MedallionSetup, objects: Sequence[dict[str, Any]]
) -> int:
    """GET a few stored objects by id (first, middle, last); return how many were checked."""
    picks = sorted({0, len(objects) // 2, len(objects) - 1})
    for i in picks:
        obj_id = objects[i]["id"]
        resp = client.get(f"{setup.objects_path}{obj_id}/")
        resp.raise_for_status()
        if [o["id"] for o in resp.json().get("objects", [])] != [obj_id]:
            raise BenchError(f"object {obj_id} not returned by medallion")
    return len(picks)


def run_total(
    venv: Path,
    run_dir: Path,
    objects: Sequence[dict[str, Any]],
    total: int,
    envelope_size: int,
    verify_manifest: bool,
) -> dict[str, Any]:
    # Serialize every envelope before the clock starts: client-side JSON
    # encoding is not part of what is measured.
    bodies = [
        json.dumps({"objects": list(objects[i : i + envelope_size])}, ensure_ascii=False).encode(
            "utf-8"
        )
        for i in range(0, total, envelope_size)
    ]
    envelopes: list[dict[str, Any]] = []
    with medallion_server(venv, run_dir) as setup:
        log(f"total={total}: medallion ready on 127.0.0.1:{setup.port}, {len(bodies)} envelope(s)")
        with httpx.Client(
            base_url=setup.base_url,
            auth=(setup.username, setup.password),
            headers=TAXII_HEADERS,
            timeout=REQUEST_TIMEOUT_S,
        ) as client:
            # Untimed warm-up (keep-alive connection, Flask first-request work).
            client.get(f"/{setup.api_root}/collections/").raise_for_status()

            done = 0
            cumulative = 0.0
            pending_seen = False
            for index, body in enumerate(bodies):
                n = min(envelope_size, total - index * envelope_size)
                started = time.perf_counter()
                resp = client.post(setup.objects_path, content=body)
                if resp.status_code != 202:
                    raise BenchError(
                        f"envelope {index}: HTTP {resp.status_code}: {resp.text[:500]}"
                    )
                first_status = resp.json()
                pending_seen |= first_status.get("status") != "complete"
                status = wait_status_complete(client, setup, first_status)
                seconds = time.perf_counter() - started
                if status.get("success_count") != n or status.get("failure_count", 0):
                    raise BenchError(f"envelope {index}: status {json.dumps(status)[:500]}")
                done += n
                cumulative += seconds
                envelopes.append(
                    {
                        "index": index,
                        "objects": n,
                        "seconds": round(seconds, 6),
                        "rate": round(n / seconds, 1),
                        "cumulative_objects": done,
                        "cumulative_seconds": round(cumulative, 6),
                        "cumulative_rate": round(done / cumulative, 1),
                    }
                )
                log(
                    f"  envelope {index:3d}: {seconds:8.3f}s {n / seconds:9.1f} obj/s"
                    f" (cumulative {done / cumulative:9.1f} obj/s)"
                )

            # Untimed checks that the objects really are stored.  Listing the
            # whole manifest is quadratic in medallion (~40 s at 10,000), so it
            # is opt-in; by default the status counts plus spot GETs suffice.
            stored = sum(e["objects"] for e in envelopes)
            checks: dict[str, Any] = {
                "status_success_count": stored,
                "spot_gets": spot_check(client, setup, objects[:total]),
            }
            if verify_manifest:
                checks["manifest_count"] = stored_count(client, setup, total)
                if checks["manifest_count"] != total:
                    raise BenchError(
                        f"total={total}: manifest lists {checks['manifest_count']} objects"
                    )

    first, last = envelopes[0]["seconds"], envelopes[-1]["seconds"]
    return {
        "objects": total,
        "envelope_size": envelope_size,
        "seconds": round(cumulative, 6),
        "overall_rate": round(total / cumulative, 1),
        "last_over_first": round(last / first, 2),
        "status_was_async": pending_seen,
        "verification": checks,
        "envelopes": envelopes,
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median overall rate, plus a one-line summary of every run."""
    ranked = sorted(runs, key=lambda run: run["overall_rate"])
    chosen = dict(ranked[(len(ranked) - 1) // 2])
    chosen["runs"] = [
        {
            "overall_rate": run["overall_rate"],
            "seconds": run["seconds"],
            "last_over_first": run["last_over_first"],
            "envelope_seconds": [env["seconds"] for env in run["envelopes"]],
        }
        for run in runs
    ]
    chosen["reported_run"] = runs.index(ranked[(len(ranked) - 1) // 2])
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark medallion TAXII 2.1 ingest (peer side)."
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON result here")
    parser.add_argument("--totals", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--envelope-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20250304, help="gen_bundle.py seed")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument(
        "--mirror", default=None, help="bare git dir of cti-taxii-server (fallback)"
    )
    parser.add_argument("--skip-setup", action="store_true", help="use --venv as is")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per total, each on a fresh server; the run with the median overall rate"
        " is reported in full, the others summarised",
    )
    parser.add_argument(
        "--verify-manifest",
        action="store_true",
        help="after each total, count the whole manifest (slow: quadratic in medallion)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.envelope_size < 1 or min(args.totals) < 1:
        parser.error("--repeat, --envelope-size and --totals must be >= 1")

    ensure_venv(args.venv, args.mirror, args.skip_setup)
    versions = peer_versions(args.venv)
    largest = max(args.totals)
    objects = load_objects(ensure_bundle(largest, args.seed))
    run_dir = WORK_DIR / "runs" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    results: dict[str, Any] = {
        "peer": "medallion",
        "version": versions["medallion"],
        "versions": versions,
        "backend": "memory",
        "server": f"gunicorn {versions['gunicorn']} (sync worker)",
        "workers": WORKERS,
        "workers_note": "memory backend is per-process: one gunicorn worker holds the only store",
        "envelope_size": args.envelope_size,
        "repeat": args.repeat,
        "bundle": {"generator": "bench/gen_bundle.py", "seed": args.seed, "objects": largest},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "totals": {},
    }
    for total in args.totals:
        runs = [
            run_total(args.venv, run_dir, objects, total, args.envelope_size, args.verify_manifest)
            for _ in range(args.repeat)
        ]
        results["totals"][str(total)] = median_run(runs)

    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    for total, res in results["totals"].items():
        rate, ratio = res["overall_rate"], res["last_over_first"]
        log(f"total={total}: overall {rate} obj/s, last/first envelope {ratio}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
