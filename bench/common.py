"""What the Puente benchmarks share: the work directory, bundles, the machine, real processes.

Every benchmark runs Puente the way an operator does (``python -m puente ...`` in a fresh
data directory, ``puente serve`` on loopback) or calls its services in-process; nothing here
is imported by Puente itself.
"""

from __future__ import annotations

import os
import platform
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORK_DIR = Path(os.environ.get("PUENTE_BENCH_DIR", "/tmp/puente-bench"))
RESULTS_DIR = BENCH_DIR / "results"
SEED = 20250304
ICS_BUNDLE = REPO.parent / "shared" / "data" / "stix" / "ics-attack-18.1.json"
ADMIN_PASSWORD = "bench-admin-password-1"  # throwaway nodes on loopback: not secrets
ANALYST = "ana"
ANALYST_PASSWORD = "bench-analyst-password-1"
ANALYST_AGENCY = "CBP"
SERVER_START_TIMEOUT_S = 90.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def ensure_bundle(count: int, seed: int = SEED) -> Path:
    """The generated bundle of ``count`` objects (bench/gen_bundle.py), made once and kept.

    The generator is deterministic per position, so the first N objects of any bundle with
    the same seed are the same objects: every size and every peer sees identical data.
    """
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path = WORK_DIR / f"bundle-{count}-seed{seed}.json"
    if not path.exists():
        log(f"generating {count} objects -> {path}")
        partial = path.with_suffix(".tmp")
        subprocess.run(
            [sys.executable, str(BENCH_DIR / "gen_bundle.py"), str(count), str(partial),
             "--seed", str(seed)],
            check=True, timeout=1800,
        )  # fmt: skip
        partial.rename(path)
    return path


def load_objects(path: Path) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = orjson.loads(path.read_bytes())["objects"]
    return objects


def stream_objects(path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The bundle's objects one at a time (the first ``limit``): a 10,000,000-object bundle
    (4.8 GB) does not fit in memory as Python objects."""
    import ijson

    with path.open("rb") as handle:
        for position, obj in enumerate(ijson.items(handle, "objects.item", use_float=True)):
            if limit is not None and position >= limit:
                return
            yield obj


def machine() -> dict[str, Any]:
    """What the figures were measured on, including how busy the machine was."""
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    free = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": free.strip(),
        "python": sys.version.split()[0],
        "sqlite": sqlite_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
        "git_commit": git_commit(),
    }


def sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def git_commit() -> str:
    result = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return result.stdout.strip() + ("+uncommitted changes" if dirty else "")


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 (nearest rank), max and mean, in the values' unit."""
    ordered = sorted(values)
    if not ordered:
        return {}

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))]

    return {
        "n": len(ordered),
        "p50": round(rank(50), 3),
        "p95": round(rank(95), 3),
        "p99": round(rank(99), 3),
        "max": round(ordered[-1], 3),
        "mean": round(sum(ordered) / len(ordered), 3),
    }


def puente(*args: str, data_dir: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run ``python -m puente ARGS --data-dir DATA_DIR`` (English messages) and check it."""
    return subprocess.run(
        [sys.executable, "-m", "puente", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=timeout, check=True,
        env={**os.environ, "PUENTE_LANG": "en", "PUENTE_NEW_PASSWORD": ANALYST_PASSWORD},
    )  # fmt: skip


def init_node(data_dir: Path, node_id: str = "us-bench", database_url: str = "") -> None:
    """A fresh node (USA) with a CBP analyst, the way an operator sets one up: SQLite in the
    data directory, or the (empty) database at ``database_url``."""
    if data_dir.exists():
        subprocess.run(["rm", "-rf", str(data_dir)], check=True)
    database = ("--database-url", database_url) if database_url else ()
    puente("init", "--node-id", node_id, "--country", "USA", "--admin-password", ADMIN_PASSWORD,
           *database, data_dir=data_dir)  # fmt: skip
    puente("user", "add", ANALYST, "--agency", ANALYST_AGENCY, "--role", "analyst",
           data_dir=data_dir)  # fmt: skip


def create_token(data_dir: Path, username: str = ANALYST) -> str:
    """An API token from ``puente token create`` (its last line of output)."""
    out = puente("token", "create", username, data_dir=data_dir).stdout
    return out.strip().splitlines()[-1].strip()


def measure_command(command: Sequence[str], timeout: float = 1800) -> dict[str, Any]:
    """Run one command; its wall time, CPU time and peak RSS (from wait4's rusage).

    A wrapper process runs it so that the rusage is that of this command alone.
    """
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - start\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'returncode': done.returncode, 'wall_s': wall,\n"
        "    'user_s': usage.ru_utime, 'system_s': usage.ru_stime,\n"
        "    'max_rss_mb': usage.ru_maxrss / 1024, 'stdout': done.stdout[-2000:],\n"
        "    'stderr': done.stderr[-2000:]}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *command],
        capture_output=True, text=True, timeout=timeout, check=True,
        env={**os.environ, "PUENTE_LANG": "en"},
    )  # fmt: skip
    measured: dict[str, Any] = orjson.loads(result.stdout)
    if measured["returncode"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{measured['stderr']}")
    for key in ("wall_s", "user_s", "system_s", "max_rss_mb"):
        measured[key] = round(measured[key], 3)
    return measured


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    pid: int


@contextmanager
def puente_serve(data_dir: Path, port: int | None = None) -> Iterator[Server]:
    """``puente serve`` (one worker: uvicorn in that process) on loopback; stops it on exit."""
    port = port or free_port()
    log_path = data_dir.parent / f"serve-{data_dir.name}-{port}.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "puente", "serve", "--data-dir", str(data_dir),
             "--port", str(port)],
            stdout=log_file, stderr=subprocess.STDOUT,
            env={**os.environ, "PUENTE_LANG": "en"},
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"puente serve exited:\n{log_path.read_text()[-4000:]}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"puente serve not ready after {SERVER_START_TIMEOUT_S}s")
                time.sleep(0.1)
            yield Server(base, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


@contextmanager
def puente_server(data_dir: Path) -> Iterator[str]:
    """``puente serve`` on a free loopback port; yields its base URL, stops it on exit."""
    with puente_serve(data_dir) as server:
        yield server.base


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


NUMBER = re.compile(r"Imported (\d+) objects")


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database ``url`` names (a benchmark's own, never shared)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def node_name(count: int, database_url: str = "") -> str:
    """The work directory of the node the read benchmarks share for this size and backend."""
    return f"reads-{'postgresql' if database_url else 'sqlite'}-{count}"


def sized_url(database_url: str, count: int) -> str:
    """The database of the node of ``count`` objects: the URL's name with ``_count`` appended."""
    if not database_url:
        return ""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    return url.set(database=f"{url.database}_{count}").render_as_string(hide_password=False)


def loaded_node(count: int, name: str, database_url: str = "", reuse: bool = False) -> Path:
    """A node holding the first ``count`` generated objects (``puente import stix``, the
    bundle-size limit raised for it, REL TO MEX), its planner statistics fresh. With
    ``reuse``, a node loaded by an earlier run with the same name is kept."""
    bundle = ensure_bundle(count)
    data_dir = WORK_DIR / name
    marker = data_dir / "loaded"
    if not (reuse and marker.exists()):
        log(f"loading {count} objects into {data_dir} ({database_url or 'SQLite'})")
        if database_url:
            fresh_database(database_url)
        init_node(data_dir, database_url=database_url)
        raise_bundle_limit(data_dir, count)
        share_with(data_dir, "MEX")
        out = puente("import", "stix", str(bundle), data_dir=data_dir, timeout=7200).stdout
        found = NUMBER.search(out)
        if not found or int(found.group(1)) != count:
            raise RuntimeError(f"import went wrong: {out}")
        analyze(data_dir)
        marker.write_text(str(count))
    return data_dir


def raise_bundle_limit(data_dir: Path, count: int) -> None:
    """Let ``puente import stix`` take a bundle of ``count`` objects (default limit 250,000)."""
    set_setting(data_dir, "max_bundle_objects", max(count, 250_000))


def set_setting(data_dir: Path, name: str, value: int, section: str = "limits") -> None:
    """Set one setting of the node's puente.toml (``[limits]`` unless ``section`` says)."""
    path = data_dir / "puente.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith(f"{name} =")]
    if f"[{section}]" not in lines:
        lines += ["", f"[{section}]"]
    lines.insert(lines.index(f"[{section}]") + 1, f"{name} = {value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def share_with(data_dir: Path, country: str) -> None:
    """Put ``country`` in the REL TO of every default marking in the node's settings, so that a
    partner there has a collection to read; objects keep the TLP they carry."""
    path = data_dir / "puente.toml"
    settings = path.read_text(encoding="utf-8")

    def add(block: re.Match[str]) -> str:
        listed = block.group(0)
        return listed if f'"{country}"' in listed else listed.replace("[", f'["{country}",', 1)

    settings = re.sub(r"rel_to = \[[^\]]*\]", add, settings)
    path.write_text(settings, encoding="utf-8")


def analyze(data_dir: Path) -> None:
    """Planner statistics for the node's database: ANALYZE; on PostgreSQL VACUUM (ANALYZE), which
    also sets the visibility map that index-only scans need (autovacuum does the same for an
    insert-only table in time; a benchmark does not wait for it)."""
    from sqlalchemy import text

    from puente.node import open_node

    node = open_node(data_dir)
    try:
        postgresql = node.db.engine.dialect.name == "postgresql"
        options = {"isolation_level": "AUTOCOMMIT"} if postgresql else {}
        with node.db.engine.connect().execution_options(**options) as connection:
            connection.execute(text("VACUUM (ANALYZE)" if postgresql else "ANALYZE"))
            if not postgresql:
                connection.commit()
    finally:
        node.close()
