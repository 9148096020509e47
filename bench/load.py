"""Load (issue 15): 50 analysts searching and browsing, 2 partners pulling, one import running.

One command, on loopback, in this order:

1. **Node** — a fresh node (``puente init``; ``--database-url`` for PostgreSQL, else SQLite)
   imports the first ``--objects`` objects of the seeded generated bundle
   (``--tlp GREEN --rel-to USA --rel-to MEX``: analysts and partners see them). ``--reuse``
   keeps a node loaded by an earlier run with the same size and database.
2. **People** — ``--analysts`` analysts across five agencies (half of them reading in Spanish),
   each with a password and an API token; two Mexican partner nodes with their TAXII secrets.
   The words they search are names drawn from the bundle's persons (common and rare alike).
3. **Load** — ``puente serve --workers W``; locust (in a virtualenv of its own under
   ``$PUENTE_BENCH_DIR``, headless) starts the analysts and partners of bench/load_users.py;
   after ``--warmup`` seconds a ``puente import stix`` of ``--import-objects`` more objects
   starts against the same node; the run lasts ``--duration`` seconds. The server's memory
   (every process of it: the sum of their RSS) is sampled every 0.5 s.

It reports latency percentiles per request kind and for pages, API and TAXII overall (locust's
own histogram), every error, requests per second, the import's wall time and rate, and the
server's memory at start, peak and end. Writes bench/results/load.json.

Usage::

    python bench/load.py [--objects 100000] [--database-url postgresql+psycopg://...]
                         [--analysts 50] [--partners 2] [--duration 180] [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgserver
from common import (
    ADMIN_PASSWORD,
    BENCH_DIR,
    RESULTS_DIR,
    SEED,
    WORK_DIR,
    ensure_bundle,
    free_port,
    log,
    machine,
    puente,
    set_setting,
    stream_objects,
    write_json,
)

from puente.accounts import service as accounts
from puente.node import open_node

LOCUST_VERSION = "2.47.0"
AGENCIES = ("CBP", "DEA", "ATF", "HSI", "FBI")
PASSWORD = "bench-load-password-1"  # throwaway accounts on loopback: not secrets
PARTNERS = (
    ("mx-load-fgr", "bench-load-issued-fgr-0001"),
    ("mx-load-sspc", "bench-load-issued-sspc-0001"),
)


def locust_binary() -> Path:
    """locust in a virtualenv outside the repository (it pins its own web stack)."""
    venv = WORK_DIR / "locust-venv"
    binary = venv / "bin" / "locust"
    if not binary.exists():
        log(f"installing locust {LOCUST_VERSION} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"locust=={LOCUST_VERSION}"],
                       check=True)  # fmt: skip
    return binary


def slice_bundle(start: int, count: int) -> Path:
    """Objects ``start`` .. ``start + count`` of the generated bundle, as a bundle of their own
    (the generator is deterministic per position: the same objects in every run)."""
    path = WORK_DIR / "load" / f"objects-{start}-{count}-seed{SEED}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        source = ensure_bundle(start + count)
        objects = list(islice(stream_objects(source), start, start + count))
        body = {"type": "bundle", "id": f"bundle--00000000-0000-4000-8000-{start + count:012d}",
                "objects": objects}  # fmt: skip
        path.write_bytes(orjson.dumps(body))
    return path


def user_exists(session: Any, username: str) -> bool:
    from sqlalchemy import select

    from puente.accounts.models import User

    return session.execute(select(User.id).where(User.username == username)).first() is not None


def fresh_database(server_url: str, name: str) -> str:
    """A new, empty PostgreSQL database ``name`` on the server of ``server_url``: its URL."""
    from sqlalchemy import create_engine, make_url, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def prepare_node(args: argparse.Namespace) -> tuple[Path, int]:
    """The loaded node, and where in the generated bundle the objects it does not hold yet
    begin (each run's import takes the next ones: a rerun with --reuse imports new objects)."""
    label = "pg" if args.database_url else "sqlite"
    node_dir = WORK_DIR / "load" / f"node-{label}-{args.objects}"
    ready = node_dir / "loaded.json"
    if args.reuse and ready.exists():
        state = json.loads(ready.read_text())
        log(f"reusing {node_dir}")
        ready.write_text(json.dumps({**state, "next": state["next"] + args.import_objects}))
        return node_dir, int(state["next"])
    if node_dir.exists():
        subprocess.run(["rm", "-rf", str(node_dir)], check=True)
    init = ["init", "--node-id", "us-load", "--country", "USA", "--admin-password", ADMIN_PASSWORD]
    if args.database_url:
        url = fresh_database(args.database_url, f"puente_bench_load_{args.objects}")
        init += ["--database-url", url]
    puente(*init, data_dir=node_dir)
    bundle = slice_bundle(0, args.objects)
    log(f"importing {args.objects} objects into {node_dir}")
    started = time.perf_counter()
    puente("import", "stix", str(bundle), "--tlp", "GREEN", "--rel-to", "USA", "--rel-to", "MEX",
           data_dir=node_dir, timeout=7200)  # fmt: skip
    ready.write_text(json.dumps({"objects": args.objects, "seconds": time.perf_counter() - started,
                                 "next": args.objects + args.import_objects}))  # fmt: skip
    return node_dir, args.objects


def prepare_people(node_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Analysts with tokens, the partners, and words to search: the locust configuration."""
    node = open_node(node_dir)
    people = []
    try:
        with node.db.session() as session:
            admin = accounts.principal_for(accounts.get_user(session, "admin"), node.settings)
            for number in range(args.analysts):
                username = f"analyst{number:03d}"
                agency = AGENCIES[number % len(AGENCIES)]
                if not user_exists(session, username):
                    accounts.create_user(session, admin, username, PASSWORD, agency, ["analyst"],
                                         username, node.settings)  # fmt: skip
                user = accounts.principal_for(accounts.get_user(session, username), node.settings)
                token = accounts.issue_on_host(session, user, username, "load", 30).token
                people.append({"username": username, "password": PASSWORD, "token": token,
                               "lang": "es" if number % 2 else "en"})  # fmt: skip
    finally:
        node.close()
    existing = puente("partner", "list", data_dir=node_dir).stdout
    for node_id, secret in PARTNERS:
        if node_id not in existing:
            puente("partner", "add", node_id, "--country", "MEX", "--url", "http://127.0.0.1:9",
                   "--key", "cd" * 32, "--secret", f"unused-outbound-{node_id}",
                   "--issue-secret", secret, data_dir=node_dir)  # fmt: skip
    return {
        "accounts": people,
        "partners": [{"node_id": n, "secret": s} for n, s in PARTNERS[: args.partners]],
        "analysts": args.analysts,
        "partner_count": args.partners,
        "partner_pause_s": args.partner_pause,
        "words": search_words(args.objects),
    }


def search_words(objects: int, wanted: int = 400) -> list[str]:
    """Surnames and given names of the bundle's persons, by how often they occur: the most
    common and an even spread of the rest down to names held once."""
    counts: dict[str, int] = {}
    for obj in stream_objects(ensure_bundle(objects), min(objects, 200_000)):
        if obj["type"] == "identity" and obj.get("identity_class") == "individual":
            for word in obj["name"].split():
                if len(word) > 2:
                    counts[word.lower()] = counts.get(word.lower(), 0) + 1
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    step = max(1, len(ranked) // wanted)
    return ranked[:40] + ranked[40::step][: wanted - 40]


class MemorySampler(threading.Thread):
    """Sums the RSS of a process and its children every 0.5 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self.stopping = threading.Event()

    def tree(self) -> list[int]:
        found, frontier = [self.pid], [self.pid]
        while frontier:
            pid = frontier.pop()
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            found += [int(c) for c in children]
            frontier += [int(c) for c in children]
        return found

    def rss_mb(self) -> float:
        total = 0
        for pid in self.tree():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def run(self) -> None:
        started = time.monotonic()
        while not self.stopping.wait(0.5):
            self.samples.append((round(time.monotonic() - started, 1), round(self.rss_mb(), 1)))


def serve(node_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    log_file = (node_dir.parent / f"serve-{node_dir.name}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "puente", "serve", "--data-dir", str(node_dir), "--port",
         str(port), "--workers", str(workers)],
        stdout=log_file, stderr=subprocess.STDOUT, env={**os.environ, "PUENTE_LANG": "en"},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("puente serve did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as an operator stops it; killed if its workers are still busy after 20 s."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        log("puente serve still running 20 s after Ctrl-C: killed")
        server.kill()
        server.wait()


def read_stats(prefix: Path) -> dict[str, Any]:
    """locust's per-request statistics (its CSV), and its failures."""
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    kinds = {}
    for row in rows:
        if not row["Name"] or row["Name"] == "Aggregated":
            continue
        kinds[row["Name"]] = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]), "max_ms": float(row["Max Response Time"]),
            "per_s": float(row["Requests/s"]),
        }  # fmt: skip
    failures_path = prefix.parent / f"{prefix.name}_failures.csv"
    failures = list(csv.DictReader(failures_path.open())) if failures_path.exists() else []
    return {"kinds": kinds, "failures": failures}


def group_percentiles(prefix: Path) -> dict[str, dict[str, float]]:
    """p50/p95/p99/max over every request of a group (pages, API, TAXII), from locust's
    response-time histogram history (``--csv-full-history`` is not needed: the stats CSV of
    each kind gives its own percentiles; the group's are the worst of its kinds', the honest
    bound since locust keeps no per-request log)."""
    stats = read_stats(prefix)["kinds"]
    groups: dict[str, dict[str, float]] = {}
    for name, row in stats.items():
        group = name.split(":")[0]
        if group.startswith("sign in"):
            continue
        current = groups.setdefault(group, {"requests": 0, "failures": 0, "p99_ms": 0.0,
                                            "p95_ms": 0.0, "max_ms": 0.0})  # fmt: skip
        current["requests"] += row["requests"]
        current["failures"] += row["failures"]
        for key in ("p95_ms", "p99_ms", "max_ms"):
            current[key] = max(current[key], row[key])
    return groups


def run(args: argparse.Namespace) -> dict[str, Any]:
    node_dir, next_object = prepare_node(args)
    if args.bulk_wait_ms is not None:
        set_setting(node_dir, "bulk_wait_ms", args.bulk_wait_ms)
    config = prepare_people(node_dir, args)
    config_path = node_dir.parent / "locust-config.json"
    config_path.write_text(json.dumps(config))
    extra = slice_bundle(next_object, args.import_objects)
    locust = locust_binary()
    server, base = serve(node_dir, args.workers)
    sampler = MemorySampler(server.pid)
    sampler.start()
    prefix = node_dir.parent / "locust"
    users = args.analysts + args.partners
    log(f"load: {args.analysts} analysts, {args.partners} partners for {args.duration} s on {base}")
    crowd = subprocess.Popen(
        [str(locust), "-f", str(BENCH_DIR / "load_users.py"), "--headless", "--host", base,
         "-u", str(users), "-r", str(args.spawn_rate), "--run-time", f"{args.duration}s",
         "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--csv-full-history"],
        env={**os.environ, "PUENTE_LOAD_CONFIG": str(config_path)},
        stdout=subprocess.DEVNULL, stderr=(node_dir.parent / "locust.log").open("wb"),
    )  # fmt: skip
    time.sleep(args.warmup)
    log(f"import of {args.import_objects} objects starts")
    import_started = time.monotonic()
    importer = subprocess.Popen(
        [sys.executable, "-m", "puente", "import", "stix", str(extra), "--tlp", "GREEN",
         "--rel-to", "USA", "--rel-to", "MEX", "--data-dir", str(node_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PUENTE_LANG": "en"},
    )  # fmt: skip
    _, import_errors = importer.communicate()
    import_seconds = time.monotonic() - import_started
    crowd.wait()
    sampler.stopping.set()
    stop(server)
    memory = [mb for _, mb in sampler.samples]
    stats = read_stats(prefix)
    return {
        "machine": machine(),
        "postgresql_settings": pgserver.settings(args.database_url) if args.database_url else {},
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "base": base,
        "kinds": stats["kinds"],
        "groups": group_percentiles(prefix),
        "failures": stats["failures"],
        "import": {
            "objects": args.import_objects,
            "returncode": importer.returncode,
            "seconds": round(import_seconds, 2),
            "objects_per_s": round(args.import_objects / import_seconds),
            "stderr": import_errors.decode()[-2000:],
        },
        "server_memory_mb": {
            "start": memory[0] if memory else None,
            "peak": max(memory, default=None),
            "end": memory[-1] if memory else None,
            "samples": sampler.samples[:: max(1, len(sampler.samples) // 200)],
        },
    }


def report(result: dict[str, Any]) -> None:
    print(f"{'request':40} {'n':>7} {'fail':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}")
    for name, row in sorted(result["kinds"].items()):
        print(f"{name:40} {row['requests']:>7} {row['failures']:>5} {row['p50_ms']:>7.0f} "
              f"{row['p95_ms']:>7.0f} {row['p99_ms']:>7.0f} {row['max_ms']:>7.0f}")  # fmt: skip
    for group, row in result["groups"].items():
        print(
            f"{group:12} requests {row['requests']}, failures {row['failures']}, "
            f"p99 {row['p99_ms']:.0f} ms (worst kind), max {row['max_ms']:.0f} ms"
        )
    imported = result["import"]
    print(f"import: {imported['objects']} objects in {imported['seconds']} s "
          f"({imported['objects_per_s']}/s), exit {imported['returncode']}")  # fmt: skip
    memory = result["server_memory_mb"]
    print(
        f"server memory (MB): start {memory['start']}, peak {memory['peak']}, end {memory['end']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000, help="records the node holds")
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server's URL: the node gets a new database there (default: SQLite)",
    )
    parser.add_argument("--analysts", type=int, default=50)
    parser.add_argument("--partners", type=int, default=2, choices=(0, 1, 2))
    parser.add_argument("--partner-pause", type=float, default=0.0,
                        help="seconds a partner waits between pages")  # fmt: skip
    parser.add_argument("--import-objects", type=int, default=20_000)
    parser.add_argument("--duration", type=int, default=180, help="seconds of load")
    parser.add_argument("--warmup", type=int, default=20, help="seconds before the import starts")
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2, help="puente serve --workers")
    parser.add_argument(
        "--bulk-wait-ms",
        type=int,
        default=None,
        help="the node's limits.bulk_wait_ms (default: the node's own)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep a node loaded earlier")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "load.json")
    args = parser.parse_args(argv)
    result = run(args)
    write_json(args.out, result)
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
