"""Federation benchmark: one Puente node pulling from another, TAXII reads beside medallion.

One command measures, in this order (issue 3, "Speed"):

1. **Pull** — node A (USA) holds the generated 100,000-object bundle, released to Mexico
   (``--tlp GREEN --rel-to USA --rel-to MEX``); node B (MEX) runs ``puente sync us-bench``
   against A's ``puente serve`` on loopback. The clock runs around the whole command: the
   gate on A, the transfer, validation and storage on B, the receipts B signs and posts to
   A's inbox. Wall time, CPU time and peak RSS of the sync process; peak RSS of A's server
   during the pull (its ``VmHWM``, reset just before); then B's received records are counted.
   A second sync with nothing new gives the command's fixed cost.
2. **OASIS taxii2-client** — ``as_pages(collection.get_objects, per_request=1000)`` over A's
   collection for mx-bench, every page timed; then the time to the first byte of the first
   page (httpx, streamed ``GET …/objects/?limit=1000``), on a fresh connection each time.
3. **First page and whole pagination against collection size** — Puente (a fresh node holding
   the first N objects) and OASIS medallion (memory backend, gunicorn, one sync worker,
   loaded with the same N objects, ``max_page_size`` 1,000) at N = 1,000, 2,000 and 5,000
   (and Puente at the pull's 100,000): ``GET objects/?limit=1000``, then ``next`` to the end.

Work files go to ``$PUENTE_BENCH_DIR`` (default /tmp/puente-bench). Usage::

    python bench/federation.py [--out bench/results/federation.json] [--sizes 1000 2000 5000]
                               [--snapshot HEAD]

Medallion's first page is quadratic in the collection: at 5,000 objects it takes minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))

from common import (
    ADMIN_PASSWORD,
    NUMBER,
    REPO,
    RESULTS_DIR,
    SEED,
    WORK_DIR,
    ensure_bundle,
    free_port,
    load_objects,
    log,
    machine,
    measure_command,
    puente,
    puente_serve,
    write_json,
)

TAXII = "application/taxii+json;version=2.1"
US_NODE, MX_NODE = "us-bench", "mx-bench"
# What A issued to B (B signs in to A as mx-bench with it) and what B issued to A.
# Throwaway nodes on loopback: not secrets.
US_ISSUED = "bench-issued-by-us-to-mexico-1"
MX_ISSUED = "bench-issued-by-mexico-to-us-1"
PAGE = 1000
HTTP_TIMEOUT_S = 900.0
RSS_POLL_S = 0.05
SYNCED = re.compile(
    r"(\d+) stored, (\d+) already held, (\d+) quarantined, (\d+) pages, (\d+) receipts"
)

# issue 3's targets
PULL_RATE = 5000.0  # objects/s, end to end
MEMORY_MB = 500.0  # peak RSS of the sync and of the serving node
CLIENT_RATE = 20000.0  # objects/s through taxii2-client
FIRST_BYTE_MS = 100.0
LAST_OVER_FIRST = 1.5


# -- processes -----------------------------------------------------------------------------------


def status_kb(pid: int, field_name: str) -> int:
    """A ``VmRSS``/``VmHWM``-style line of /proc/PID/status, in kB (0 if gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as found:
            return [int(child) for child in found.read().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat), 0 if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ProcessWatch:
    """Peak resident memory and CPU time of one process over a stretch of time.

    Writing 5 to /proc/PID/clear_refs resets the kernel's high-water mark (``VmHWM``), so the
    peak read at the end is that of the stretch alone; where the reset is refused, the peak
    since the process started is reported instead (and said so). A thread also samples
    ``VmRSS`` every 50 ms, split into anonymous memory (``RssAnon``: the heap, SQLite's page
    cache) and mapped file pages (``RssFile``: the database file, which Puente maps with
    ``mmap_size``, and the code), and the resident size before and after.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[int] = []
        self.anon: list[int] = []  # private memory: the Python heap and SQLite's page cache
        self.file: list[int] = []  # file pages mapped: the database (mmap_size) and the code
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.reset = False

    def __enter__(self) -> ProcessWatch:
        self.before_kb = status_kb(self.pid, "VmRSS")
        self.cpu_before = cpu_seconds(self.pid)
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self.reset = True
        except OSError:
            self.reset = False
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = status_kb(self.pid, "VmHWM")
        self.cpu = cpu_seconds(self.pid) - self.cpu_before
        self.after_kb = status_kb(self.pid, "VmRSS")

    def _poll(self) -> None:
        while not self._stop.wait(RSS_POLL_S):
            self.samples.append(status_kb(self.pid, "VmRSS"))
            self.anon.append(status_kb(self.pid, "RssAnon"))
            self.file.append(status_kb(self.pid, "RssFile"))

    def report(self) -> dict[str, Any]:
        return {
            "rss_before_mb": round(self.before_kb / 1024, 1),
            "peak_rss_mb": round(self.peak_kb / 1024, 1),
            "peak_rss_sampled_mb": round(max(self.samples, default=0) / 1024, 1),
            "peak_rss_anon_sampled_mb": round(max(self.anon, default=0) / 1024, 1),
            "peak_rss_file_sampled_mb": round(max(self.file, default=0) / 1024, 1),
            "rss_after_mb": round(self.after_kb / 1024, 1),
            "cpu_s": round(self.cpu, 2),
            "peak_is": "during this stretch (VmHWM reset before it)"
            if self.reset
            else "since the process started (VmHWM could not be reset)",
        }


# -- nodes ---------------------------------------------------------------------------------------


def fresh_node(data_dir: Path, node_id: str, country: str) -> None:
    if data_dir.exists():
        shutil.rmtree(data_dir)
    puente("init", "--node-id", node_id, "--country", country, "--admin-password",
           ADMIN_PASSWORD, data_dir=data_dir)  # fmt: skip


def import_released(data_dir: Path, bundle: Path, expected: int) -> float:
    """``puente import stix`` with every object released to Mexico; its wall seconds."""
    started = time.perf_counter()
    out = puente("import", "stix", str(bundle), "--tlp", "GREEN", "--rel-to", "USA",
                 "--rel-to", "MEX", data_dir=data_dir, timeout=1800).stdout  # fmt: skip
    seconds = time.perf_counter() - started
    found = NUMBER.search(" ".join(out.split()))
    if not found or int(found.group(1)) != expected:
        raise RuntimeError(f"import of {bundle}: unexpected output {out!r}")
    return round(seconds, 2)


def node_key(data_dir: Path) -> str:
    return puente("node", "key", data_dir=data_dir).stdout.strip()


def add_partner(data_dir: Path, node_id: str, country: str, url: str, key: str, secret: str,
                issued: str) -> None:  # fmt: skip
    puente("partner", "add", node_id, "--country", country, "--url", url, "--key", key,
           "--secret", secret, "--issue-secret", issued, data_dir=data_dir)  # fmt: skip


def first_objects(objects: list[dict[str, Any]], count: int) -> Path:
    """A bundle of the first ``count`` objects of the generated bundle (made once)."""
    path = WORK_DIR / "federation" / f"first-{count}-seed{SEED}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"type": "bundle", "id": f"bundle--00000000-0000-4000-8000-{count:012d}",
                "objects": objects[:count]}  # fmt: skip
        path.write_bytes(orjson.dumps(body))
    return path


def puente_package() -> Path:
    """Where ``python -m puente`` run from the current directory imports Puente from."""
    found = subprocess.run(
        [sys.executable, "-c", "import puente, pathlib; print(pathlib.Path(puente.__file__).parent)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return Path(found.stdout.strip())


def source_digest(package: Path) -> str:
    """SHA-256 over Puente's Python sources as they are now (the work tree may be uncommitted)."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def snapshot(commit: str) -> tuple[Path, str]:
    """``git archive`` of a commit under the work directory: a tree nobody edits while it runs.

    Every Puente process of the benchmark starts in that directory, so ``python -m puente``
    imports the snapshot's package (the current directory comes first on ``sys.path``), not
    the shared work tree's.
    """
    full = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", commit],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    tree = WORK_DIR / f"tree-{full}"
    if not (tree / "puente").is_dir():
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", full],
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree, full


def count_rows(data_dir: Path, query: str) -> int:
    with sqlite3.connect(f"file:{data_dir / 'puente.db'}?mode=ro", uri=True) as db:
        return int(db.execute(query).fetchone()[0])


# -- 1. the pull ---------------------------------------------------------------------------------


@dataclass
class Pair:
    us: Path
    mx: Path
    import_seconds: float
    objects: int
    port: int  # A serves here: B's partner entry points to it


def make_pair(bundle: Path, objects: int) -> Pair:
    root = WORK_DIR / "federation"
    us, mx = root / "us-node", root / "mx-node"
    log(f"node A (USA): importing {objects:,} objects released to Mexico")
    fresh_node(us, US_NODE, "USA")
    seconds = import_released(us, bundle, objects)
    log(f"  imported in {seconds} s")
    fresh_node(mx, MX_NODE, "MEX")
    port = free_port()
    us_key, mx_key = node_key(us), node_key(mx)
    add_partner(us, MX_NODE, "MEX", "http://127.0.0.1:9", mx_key, MX_ISSUED, US_ISSUED)
    add_partner(mx, US_NODE, "USA", f"http://127.0.0.1:{port}", us_key, US_ISSUED, MX_ISSUED)
    return Pair(us, mx, seconds, objects, port)


def pull(pair: Pair) -> dict[str, Any]:
    """Time ``puente sync us-bench`` on B against A's server; check what B holds."""
    with puente_serve(pair.us, pair.port) as server:
        command = [sys.executable, "-m", "puente", "sync", US_NODE, "--data-dir", str(pair.mx)]
        log(f"pull: puente sync {US_NODE} ({pair.objects:,} objects)")
        with ProcessWatch(server.pid) as watch:
            first = measure_command(command)
        synced = parse_sync(first)
        log(f"  {synced['stored']:,} stored in {first['wall_s']} s: "
            f"{synced['stored'] / first['wall_s']:,.0f} objects/s")  # fmt: skip
        with ProcessWatch(server.pid) as idle_watch:
            again = measure_command(command)
        nothing_new = parse_sync(again)
    received = count_rows(pair.mx, "SELECT count(*) FROM records WHERE received = 1")
    checks = {
        "received_records_on_b": received,
        "receipts_issued_by_b": count_rows(
            pair.mx, "SELECT count(*) FROM receipts WHERE direction = 'issued'"
        ),
        "receipts_posted_by_b": count_rows(
            pair.mx,
            "SELECT count(*) FROM receipts WHERE direction = 'issued' AND posted_at IS NOT NULL",
        ),
        "receipts_held_by_a": count_rows(
            pair.us, "SELECT count(*) FROM receipts WHERE direction = 'held'"
        ),
        "acknowledged_on_a": count_rows(pair.us, "SELECT count(*) FROM acknowledgements"),
        "receipts_verify_b": verify_receipts(pair.mx),
        "receipts_verify_a": verify_receipts(pair.us),
    }
    if received != pair.objects:
        raise RuntimeError(f"B holds {received} received records, expected {pair.objects}")
    wall, cpu = first["wall_s"], first["user_s"] + first["system_s"]
    rates = {
        "rate": round(synced["stored"] / wall, 1),
        "cpu_rate": round(synced["stored"] / cpu, 1),
    }
    return {
        "objects": pair.objects,
        "node_a_import_seconds": pair.import_seconds,
        "sync": {**_measured(first), **synced, **rates},
        "server_a": watch.report(),
        "pages": page_curve(pair.mx),
        "nothing_new": {**_measured(again), **nothing_new, "server_a": idle_watch.report()},
        "checks": checks,
    }


def _measured(measured: dict[str, Any]) -> dict[str, Any]:
    return {key: measured[key] for key in ("wall_s", "user_s", "system_s", "max_rss_mb")}


def parse_sync(measured: dict[str, Any]) -> dict[str, int]:
    found = SYNCED.search(" ".join(measured["stdout"].split()))
    if not found:
        raise RuntimeError(f"unexpected output of puente sync: {measured['stdout']!r}")
    names = ("stored", "unchanged", "quarantined", "pages", "receipts_delivered")
    return dict(zip(names, (int(value) for value in found.groups()), strict=True))


def verify_receipts(data_dir: Path) -> str:
    out = puente("receipts", "verify", data_dir=data_dir, timeout=600).stdout
    return " ".join(out.split())


def page_curve(mx: Path) -> dict[str, Any]:
    """Seconds between the receipts B signed, one per page: the pull's rate page by page."""
    with sqlite3.connect(f"file:{mx / 'puente.db'}?mode=ro", uri=True) as db:
        stamps = [
            datetime.fromisoformat(str(row[0]))
            for row in db.execute(
                "SELECT created_at FROM receipts WHERE direction = 'issued' ORDER BY created_at"
            )
        ]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(stamps)]
    if not gaps:
        return {}
    tenth = max(1, len(gaps) // 10)
    return {
        "what": "seconds between successive receipts on B (one receipt per page of 1,000)",
        "n": len(gaps),
        "median_s": round(statistics.median(gaps), 4),
        "first_tenth_median_s": round(statistics.median(gaps[:tenth]), 4),
        "last_tenth_median_s": round(statistics.median(gaps[-tenth:]), 4),
        "max_s": round(max(gaps), 4),
        "seconds": [round(gap, 4) for gap in gaps],
    }


# -- 2. the OASIS client -------------------------------------------------------------------------


def taxii_client(pair: Pair, repeat_first_byte: int) -> dict[str, Any]:
    from taxii2client.v21 import Server as TaxiiServer
    from taxii2client.v21 import as_pages

    with puente_serve(pair.us) as server:
        discovery = TaxiiServer(f"{server.base}/taxii2/", user=MX_NODE, password=US_ISSUED)
        (root,) = discovery.api_roots
        readable = [c for c in root.collections if c.can_read]
        if len(readable) != 1:
            raise RuntimeError(f"expected one readable collection, found {len(readable)}")
        collection = readable[0]
        log(f"taxii2-client: as_pages over {collection.url}")
        pages: list[dict[str, Any]] = []
        with ProcessWatch(server.pid) as watch:
            started = previous = time.perf_counter()
            for envelope in as_pages(collection.get_objects, per_request=PAGE):
                moment = time.perf_counter()
                pages.append({"objects": len(envelope.get("objects", [])),
                              "seconds": round(moment - previous, 4)})  # fmt: skip
                previous = moment
            total = time.perf_counter() - started
        served = sum(page["objects"] for page in pages)
        log(f"  {served:,} objects in {total:.2f} s: {served / total:,.0f} objects/s")
        first_byte = first_bytes(f"{collection.url}objects/", (MX_NODE, US_ISSUED),
                                 repeat_first_byte)  # fmt: skip
        raw = paginate(f"{collection.url}objects/", (MX_NODE, US_ISSUED))
    if served != pair.objects:
        raise RuntimeError(f"taxii2-client read {served} objects, expected {pair.objects}")
    seconds = [page["seconds"] for page in pages]
    return {
        "client": f"taxii2-client {_version('taxii2-client')}",
        "per_request": PAGE,
        "objects": served,
        "pages": len(pages),
        "seconds": round(total, 3),
        "rate": round(served / total, 1),
        "first_page_s": seconds[0],
        # The last page may be short; the last full page is compared too.
        "last_page_s": seconds[-1],
        "last_over_first": round(seconds[-1] / seconds[0], 2),
        "last_full_page_s": [p["seconds"] for p in pages if p["objects"] == PAGE][-1],
        "page_seconds": percentiles_of(seconds),
        "page_list": pages,
        "server_a": watch.report(),
        "first_byte": first_byte,
        "httpx_pagination": raw,
    }


def _version(package: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(package)


def percentiles_of(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "median": round(statistics.median(ordered), 4),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
    }


def first_bytes(url: str, auth: tuple[str, str], repeat: int) -> dict[str, Any]:
    """Time to the first byte of the body of ``GET url?limit=1000``, a new connection each."""
    runs = []
    for _ in range(repeat):
        with httpx.Client(auth=auth, headers={"Accept": TAXII}, timeout=HTTP_TIMEOUT_S) as client:
            started = time.perf_counter()
            with client.stream("GET", url, params={"limit": str(PAGE)}) as response:
                headers = time.perf_counter()
                response.raise_for_status()
                chunks = response.iter_raw()
                first = next(chunks)
                first_at = time.perf_counter()
                size = len(first) + sum(len(chunk) for chunk in chunks)
                done = time.perf_counter()
        runs.append({"headers_ms": round((headers - started) * 1000, 2),
                     "first_byte_ms": round((first_at - started) * 1000, 2),
                     "complete_ms": round((done - started) * 1000, 2), "bytes": size})  # fmt: skip
    values = [run["first_byte_ms"] for run in runs]
    return {
        "what": "GET objects/?limit=1000, httpx streaming, new connection each time; "
        "ms from sending the request to the first chunk of the body",
        "first_ms": values[0],
        "median_ms": round(statistics.median(values), 2),
        "max_ms": max(values),
        "runs": runs,
    }


def paginate(url: str, auth: tuple[str, str]) -> dict[str, Any]:
    """``GET url?limit=1000`` then ``next`` to the end, raw httpx; every page timed."""
    pages: list[dict[str, Any]] = []
    with httpx.Client(auth=auth, headers={"Accept": TAXII}, timeout=HTTP_TIMEOUT_S) as client:
        params = {"limit": str(PAGE)}
        started = time.perf_counter()
        while True:
            before = time.perf_counter()
            response = client.get(url, params=params)
            response.raise_for_status()
            after = time.perf_counter()
            body = orjson.loads(response.content)
            pages.append({"objects": len(body.get("objects", [])),
                          "seconds": round(after - before, 4),
                          "bytes": len(response.content)})  # fmt: skip
            if not body.get("more"):
                break
            params = {"limit": str(PAGE), "next": str(body["next"])}
        total = time.perf_counter() - started
    objects = sum(page["objects"] for page in pages)
    return {
        "objects": objects,
        "pages": len(pages),
        "first_page_s": pages[0]["seconds"],
        "last_page_s": pages[-1]["seconds"],
        "seconds": round(total, 4),
        "rate": round(objects / total, 1),
        "page_objects": [page["objects"] for page in pages],
        "page_seconds": [page["seconds"] for page in pages],
    }


# -- 3. first page against collection size ---------------------------------------------------


def puente_curve(objects: list[dict[str, Any]], sizes: list[int], repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for size in sizes:
        data_dir = WORK_DIR / "federation" / f"curve-node-{size}"
        fresh_node(data_dir, US_NODE, "USA")
        import_released(data_dir, first_objects(objects, size), size)
        add_partner(data_dir, MX_NODE, "MEX", "http://127.0.0.1:9", "cd" * 32, MX_ISSUED,
                    US_ISSUED)  # fmt: skip
        runs = []
        with puente_serve(data_dir) as server:
            url = readable_objects_url(server.base, (MX_NODE, US_ISSUED))
            for _ in range(repeat):
                runs.append(paginate(url, (MX_NODE, US_ISSUED)))
        results[str(size)] = summarize_runs(runs, size)
        log(f"  Puente {size:>6,}: first page {results[str(size)]['first_page_s']:.3f} s, "
            f"all {results[str(size)]['seconds']:.3f} s")  # fmt: skip
        shutil.rmtree(data_dir, ignore_errors=True)
    return results


def readable_objects_url(base: str, auth: tuple[str, str]) -> str:
    """The objects URL of the one collection the partner may read (untimed: also a warm-up)."""
    with httpx.Client(auth=auth, headers={"Accept": TAXII}, timeout=60) as client:
        found = client.get(f"{base}/taxii2/api/collections/")
        found.raise_for_status()
        (collection,) = [c for c in found.json()["collections"] if c["can_read"]]
    return f"{base}/taxii2/api/collections/{collection['id']}/objects/"


def summarize_runs(runs: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """Median first page and total over the runs, the first run (cold) and every run kept."""
    for run in runs:
        if run["objects"] != size:
            raise RuntimeError(f"paged {run['objects']} objects, expected {size}")
    ranked = sorted(runs, key=lambda run: run["seconds"])
    chosen = dict(ranked[(len(ranked) - 1) // 2])
    # Medians of each figure on its own (the page lists are those of the median run).
    chosen["first_page_s"] = round(statistics.median(run["first_page_s"] for run in runs), 4)
    chosen["seconds"] = round(statistics.median(run["seconds"] for run in runs), 4)
    chosen["rate"] = round(size / chosen["seconds"], 1)
    chosen["cold_first_page_s"] = runs[0]["first_page_s"]
    chosen["runs"] = [{"first_page_s": run["first_page_s"], "seconds": run["seconds"]}
                      for run in runs]  # fmt: skip
    return chosen


def medallion_curve(objects: list[dict[str, Any]], sizes: list[int], repeat: int) -> dict[str, Any]:
    import medallion_ingest as peer
    import medallion_serve

    peer.ensure_venv(peer.DEFAULT_VENV, None, skip_setup=False)
    versions = peer.peer_versions(peer.DEFAULT_VENV)
    run_dir = WORK_DIR / "runs" / time.strftime("federation-%Y%m%dT%H%M%S")
    results: dict[str, Any] = {
        "version": versions["medallion"],
        "versions": versions,
        "backend": "memory",
        "server": f"gunicorn {versions['gunicorn']}, {peer.WORKERS} sync worker",
        "max_page_size": PAGE,
        "loaded": "the memory backend's data file, objects and manifest written before start",
        "repeat": repeat,
        "sizes": {},
    }
    for size in sizes:
        runs = []
        for _ in range(repeat):
            with medallion_serve.loaded_server(objects[:size], PAGE, run_dir) as server:
                setup = server.setup
                log(f"  medallion {size:>6,}: paging (the first page is quadratic)")
                run = paginate(f"{setup.base_url}{setup.objects_path}",
                               (setup.username, setup.password))  # fmt: skip
                workers = children(server.pid)
                run["worker_peak_rss_mb"] = round(
                    max((status_kb(pid, "VmHWM") for pid in workers), default=0) / 1024, 1
                )
                run["data_file_mb"] = server.data_file_mb
                runs.append(run)
        results["sizes"][str(size)] = summarize_runs(runs, size)
        row = results["sizes"][str(size)]
        log(f"  medallion {size:>6,}: first page {row['first_page_s']:.3f} s, "
            f"all {row['seconds']:.3f} s, pages {row['page_objects']}")  # fmt: skip
    return results


# -- targets and table ---------------------------------------------------------------------------


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(target: str, measured: str, met: bool, margin: str = "") -> None:
        rows.append({"target": target, "measured": measured, "met": met, "margin": margin})

    if "pull" in report:
        sync, server = report["pull"]["sync"], report["pull"]["server_a"]
        add(f"pull of {report['pull']['objects']:,} objects >= {PULL_RATE:,.0f} objects/s",
            f"{sync['rate']:,.0f} objects/s ({sync['stored']:,} in {sync['wall_s']:.2f} s)",
            sync["rate"] >= PULL_RATE, f"{sync['rate'] / PULL_RATE:.2f}x the target")  # fmt: skip
        add(f"peak RSS of puente sync < {MEMORY_MB:.0f} MB", f"{sync['max_rss_mb']:.0f} MB",
            sync["max_rss_mb"] < MEMORY_MB)  # fmt: skip
        add(f"peak RSS of A's server during the pull < {MEMORY_MB:.0f} MB",
            f"{server['peak_rss_mb']:.0f} MB", server["peak_rss_mb"] < MEMORY_MB)  # fmt: skip
    if "taxii_client" in report:
        client = report["taxii_client"]
        add(f"taxii2-client as_pages >= {CLIENT_RATE:,.0f} objects/s",
            f"{client['rate']:,.0f} objects/s ({client['objects']:,} in {client['seconds']:.2f} s)",
            client["rate"] >= CLIENT_RATE, f"{client['rate'] / CLIENT_RATE:.2f}x the target")  # fmt: skip
        first = client["first_byte"]
        add(f"first byte of the first page < {FIRST_BYTE_MS:.0f} ms",
            f"{first['first_ms']:.1f} ms first request, median {first['median_ms']:.1f} ms",
            first["first_ms"] < FIRST_BYTE_MS and first["median_ms"] < FIRST_BYTE_MS)  # fmt: skip
        add(f"last page within {LAST_OVER_FIRST}x the first",
            f"{client['last_page_s']:.3f} s / {client['first_page_s']:.3f} s = "
            f"{client['last_over_first']:.2f}x", client["last_over_first"] <= LAST_OVER_FIRST)  # fmt: skip
    curve = report.get("curve", {})
    puente_sizes = curve.get("puente", {})
    medallion_sizes = curve.get("medallion", {}).get("sizes", {})
    if puente_sizes:
        small, large = min(puente_sizes, key=int), max(puente_sizes, key=int)
        ratio = puente_sizes[large]["first_page_s"] / puente_sizes[small]["first_page_s"]
        add("Puente's first page does not grow with the collection",
            f"{puente_sizes[small]['first_page_s']:.3f} s at {int(small):,}, "
            f"{puente_sizes[large]['first_page_s']:.3f} s at {int(large):,} ({ratio:.2f}x)",
            ratio <= LAST_OVER_FIRST)  # fmt: skip
    if medallion_sizes:
        small, large = min(medallion_sizes, key=int), max(medallion_sizes, key=int)
        ratio = medallion_sizes[large]["first_page_s"] / medallion_sizes[small]["first_page_s"]
        add("(medallion, for comparison) first page against collection size",
            f"{medallion_sizes[small]['first_page_s']:.2f} s at {int(small):,}, "
            f"{medallion_sizes[large]['first_page_s']:.2f} s at {int(large):,} ({ratio:.1f}x)",
            False, "not a target")  # fmt: skip
        rows[-1]["met"] = None
    return rows


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [f"machine: {m['nproc']} CPUs, {m['cpu']}, load {m['load_average']} -> "
             f"{m.get('load_average_after')}", ""]  # fmt: skip
    for row in report["targets"]:
        met = {True: "yes", False: "NO", None: "-"}[row["met"]]
        lines.append(f"{met:>4}  {row['target']}: {row['measured']}")
    curve = report.get("curve", {})
    if curve:
        lines += ["", f"{'peer':<12}{'objects':>9}{'first page s':>14}{'all pages s':>13}"
                      f"{'pages':>7}"]  # fmt: skip
        peers: list[tuple[str, dict[str, Any]]] = [
            ("Puente", curve.get("puente", {})),
            ("medallion", curve.get("medallion", {}).get("sizes", {})),
        ]
        for name, sizes in peers:
            for size, row in sizes.items():
                lines.append(f"{name:<12}{int(size):>9,}{row['first_page_s']:>14.3f}"
                             f"{row['seconds']:>13.3f}{row['pages']:>7}")  # fmt: skip
    return "\n".join(lines)


# -- the run -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "federation.json")
    parser.add_argument("--pull-size", type=int, default=100_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000],
                        help="collection sizes of the first-page curve, both peers")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3,
                        help="Puente paginations per curve size (the median is reported)")  # fmt: skip
    parser.add_argument("--medallion-repeat", type=int, default=1,
                        help="medallion paginations per size, each on a fresh server")  # fmt: skip
    parser.add_argument("--first-byte-repeat", type=int, default=11)
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["pull", "client", "puente-curve", "medallion"])  # fmt: skip
    parser.add_argument("--snapshot", metavar="COMMIT", default=None,
                        help="measure this commit (a git archive of it), not the work tree")  # fmt: skip
    args = parser.parse_args(argv)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    measured_commit = ""
    if args.snapshot:
        tree, measured_commit = snapshot(args.snapshot)
        os.chdir(tree)
    package = puente_package()
    log(f"measuring Puente from {package}")

    bundle = ensure_bundle(max(args.pull_size, *args.sizes))
    objects = load_objects(bundle)
    report: dict[str, Any] = {
        "machine": machine(),
        "bundle": {"generator": "bench/gen_bundle.py", "seed": SEED, "objects": len(objects)},
        "page_size": PAGE,
        "puente": {"package": str(package), "sources_sha256": source_digest(package)},
    }
    if measured_commit:
        report["machine"]["git_commit"] = measured_commit
        report["puente"]["snapshot_of"] = measured_commit
    steps: list[tuple[str, Callable[[], None]]] = []
    pair: Pair | None = None

    def need_pair() -> Pair:
        nonlocal pair
        if pair is None:
            pair = make_pair(first_objects(objects, args.pull_size), args.pull_size)
        return pair

    def do_pull() -> None:
        report["pull"] = pull(need_pair())

    def do_client() -> None:
        report["taxii_client"] = taxii_client(need_pair(), args.first_byte_repeat)

    def do_puente_curve() -> None:
        log("first page against collection size: Puente")
        curve = report.setdefault("curve", {"sizes": args.sizes})
        curve["puente"] = puente_curve(objects, args.sizes, args.repeat)
        client = report.get("taxii_client", {}).get("httpx_pagination")
        if client:  # the pull's node, same measurement, one run
            curve["puente"][str(args.pull_size)] = {**client, "cold_first_page_s": None,
                                                    "runs": [], "note": "node A, one run"}  # fmt: skip

    def do_medallion() -> None:
        log("first page against collection size: medallion")
        curve = report.setdefault("curve", {"sizes": args.sizes})
        curve["medallion"] = medallion_curve(objects, args.sizes, args.medallion_repeat)

    steps = [("pull", do_pull), ("client", do_client), ("puente-curve", do_puente_curve),
             ("medallion", do_medallion)]  # fmt: skip
    for name, step in steps:
        if name not in args.skip:
            step()
    report["machine"]["load_average_after"] = machine()["load_average"]
    if source_digest(package) != report["puente"]["sources_sha256"]:
        # A shared work tree: someone edited Puente while it was being measured.
        report["puente"]["sources_sha256_after"] = source_digest(package)
        log("WARNING: puente/ changed during the run; the figures mix two versions of the code")
    report["targets"] = targets(report)
    write_json(args.out, report)
    print(table(report))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
