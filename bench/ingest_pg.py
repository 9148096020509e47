"""The bulk write path on PostgreSQL (issue 15): `puente import stix` and `puente sync`.

One command measures, for each size:

1. **import** — ``puente import stix FILE`` end to end into a fresh PostgreSQL node (its own
   database on the server at ``--pg``), for the generated realistic mix (bench/gen_bundle.py,
   written as it streams, so a 10,000,000-object file costs no memory to make): wall time,
   the importer's CPU time (with its worker process's, if it used one) and peak RSS (of the
   largest of its processes), the PostgreSQL server's CPU time over the run (its processes
   sampled as it runs), the machine's load, and whether the node left its planner statistics
   behind (``pg_class.reltuples``, ``pg_stat_user_tables``). Importer and server CPU per
   object bound the rate: on a machine of C cores it cannot pass C / (their sum per object).
2. **sync** (``--sync-sizes``) — two PostgreSQL nodes: A imports N objects released to Mexico
   and serves them (``puente serve``); B runs ``puente sync`` (wall, CPU, peak RSS; the
   serving node's and the PostgreSQL server's CPU) and must then hold N received records.

Usage::

    python bench/ingest_pg.py --sizes 100000 1000000 [--sync-sizes 100000]
    python bench/ingest_pg.py --sizes 10000000        # the national node, in a quiet period

Each database is named ``{--prefix}_{what}_{size}`` and dropped at the end (``--keep``
keeps them). Results go to ``bench/results/ingest_pg.json``; a table is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgserver
from common import (
    ADMIN_PASSWORD,
    NUMBER,
    RESULTS_DIR,
    SEED,
    WORK_DIR,
    ensure_bundle,
    free_port,
    log,
    machine,
    measure_command,
    puente,
    puente_serve,
    set_setting,
    write_json,
)

DEFAULT_PG = "postgresql+psycopg://root@127.0.0.1:5432/test"
US_NODE, MX_NODE = "us-bench", "mx-bench"
US_ISSUED = "bench-issued-by-us-to-mexico-1"  # throwaway nodes on loopback: not secrets
MX_ISSUED = "bench-issued-by-mexico-to-us-1"
SYNCED = re.compile(r"(\d+) stored, (\d+) already held")
# issue 15's targets
IMPORT_RATE = 20_000.0
IMPORT_RSS_MB = 300.0
SYNC_RATE = 10_000.0


# -- PostgreSQL ----------------------------------------------------------------------------------


def psql(server: str, sql: str, database: str | None = None) -> str:
    """Run one statement with psql on the server of ``server`` (a SQLAlchemy URL)."""
    url = server.replace("postgresql+psycopg://", "postgresql://")
    if database is not None:
        url = url.rsplit("/", 1)[0] + "/" + database
    done = subprocess.run(["psql", url, "-tAqc", sql], capture_output=True, text=True,
                          check=True)  # fmt: skip
    return done.stdout.strip()


@contextmanager
def fresh_database(server: str, name: str, keep: bool) -> Iterator[str]:
    psql(server, f'DROP DATABASE IF EXISTS "{name}"')
    psql(server, f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        if not keep:
            psql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_cpu(databases: tuple[str, ...]) -> dict[int, tuple[str, float]]:
    """The database and CPU seconds (user + system) of each PostgreSQL backend serving one of
    ``databases`` (its process title names the database), by pid."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() not in ("postgres", "postmaster"):
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            database = next((d for d in databases if f" {d} " in title), None)
            if database is None:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        found[int(entry.name)] = (database, (int(fields[11]) + int(fields[12])) / ticks)
    return found


class ServerCpu:
    """The CPU time PostgreSQL's backends for ``databases`` spend while the block runs: they
    are sampled every ``interval`` seconds (a backend ends with its client, so reading them
    only at the end would miss it). The server's own processes (WAL writer, checkpointer)
    are not counted: they serve every database of a shared server."""

    def __init__(self, *databases: str, interval: float = 0.2) -> None:
        self.databases = databases
        self.interval = interval
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.database: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.seconds = 0.0

    def _sample(self) -> None:
        for pid, (database, cpu) in _postgres_cpu(self.databases).items():
            self.first.setdefault(pid, cpu if not self.last else 0.0)
            self.last[pid] = cpu
            self.database[pid] = database

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> ServerCpu:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.seconds = round(sum(self.last[pid] - self.first[pid] for pid in self.last), 2)
        self.by_database = {
            database: round(sum(self.last[pid] - self.first[pid] for pid in self.last
                                if self.database[pid] == database), 2)
            for database in self.databases
        }  # fmt: skip


def _process_cpu(pid: int) -> float:
    """CPU seconds of a process and the children it waited for (``puente serve``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def planner_statistics(server: str, database: str) -> dict[str, Any]:
    row = psql(
        server,
        "SELECT c.reltuples::bigint, s.last_analyze IS NOT NULL, s.last_autoanalyze IS NOT NULL "
        "FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
        "WHERE c.relname = 'records'",
        database,
    ).split("|")
    return {"records_reltuples": int(row[0]), "analyzed_by_puente": row[1] == "t",
            "analyzed_by_autovacuum": row[2] == "t",
            "autovacuum": psql(server, "SHOW autovacuum", database)}  # fmt: skip


def init_node(data_dir: Path, url: str, node_id: str = US_NODE, country: str = "USA") -> None:
    subprocess.run(["rm", "-rf", str(data_dir)], check=True)
    puente("init", "--node-id", node_id, "--country", country, "--admin-password",
           ADMIN_PASSWORD, "--database-url", url, data_dir=data_dir)  # fmt: skip


# -- 1. import -----------------------------------------------------------------------------------


def import_run(server: str, prefix: str, size: int, keep: bool) -> dict[str, Any]:
    bundle = ensure_bundle(size)
    data_dir = WORK_DIR / "pg-import-node"
    with fresh_database(server, f"{prefix}_import_{size}", keep) as url:
        init_node(data_dir, url)
        load_before = os.getloadavg()
        with ServerCpu(url.rsplit("/", 1)[1]) as server_cpu:
            measured = measure_command(
                [sys.executable, "-m", "puente", "import", "stix", str(bundle), "--data-dir",
                 str(data_dir)], timeout=36_000,
            )  # fmt: skip
        found = NUMBER.search(" ".join(measured["stdout"].split()))
        if not found or int(found.group(1)) != size:
            raise RuntimeError(f"import of {size}: unexpected output {measured['stdout']!r}")
        statistics = planner_statistics(server, url.rsplit("/", 1)[1])
        size_mb = int(psql(server, "SELECT pg_database_size(current_database()) / 1048576",
                           url.rsplit("/", 1)[1]))  # fmt: skip
    wall = measured["wall_s"]
    return {
        "objects": size, "file_mb": round(bundle.stat().st_size / 2**20, 1),
        "wall_s": wall, "rate": round(size / wall, 1),
        "importer_cpu_s": round(measured["user_s"] + measured["system_s"], 2),
        "server_cpu_s": server_cpu.seconds,
        "max_rss_mb": measured["max_rss_mb"], "database_mb": size_mb,
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "statistics": statistics,
    }  # fmt: skip


# -- 2. sync -------------------------------------------------------------------------------------


def profiled(command: list[str], profile: Path | None, name: str) -> list[str]:
    """``command``, run under py-spy (its collapsed stacks into ``profile``/``name``.txt) when
    a profile is asked for: where each thread spends its time, waits included (``--profile``)."""
    if profile is None:
        return command
    profile.mkdir(parents=True, exist_ok=True)
    return ["py-spy", "record", "--format", "raw", "--rate", "200", "--subprocesses", "--idle",
            "--output", str(profile / f"{name}.txt"), "--", *command]  # fmt: skip


def sync_run(
    server: str,
    prefix: str,
    size: int,
    keep: bool,
    profile: Path | None = None,
    reuse: bool = False,
    page_size: int = 0,
) -> dict[str, Any]:
    bundle = ensure_bundle(size)
    root = WORK_DIR / "pg-sync"
    us, mx = root / f"us-node-{size}", root / "mx-node"  # A per size: --reuse keeps each
    us_name = f"{prefix}_sync_us_{size}"
    # Node A as a kept run left it (--reuse): the sync alone is measured again.
    reused = (
        reuse
        and (us / "puente.toml").exists()
        and psql(server, f"SELECT count(*) FROM pg_database WHERE datname = '{us_name}'") == "1"
    )
    with (nullcontext(server.rsplit("/", 1)[0] + "/" + us_name) if reused
          else fresh_database(server, us_name, keep or reuse)) as us_url, \
            fresh_database(server, f"{prefix}_sync_mx_{size}", keep) as mx_url:  # fmt: skip
        import_seconds = indexed_seconds = 0.0
        if not reused:
            init_node(us, us_url)
            started = time.perf_counter()
            puente("import", "stix", str(bundle), "--tlp", "GREEN", "--rel-to", "USA",
                   "--rel-to", "MEX", data_dir=us, timeout=36_000)  # fmt: skip
            import_seconds = time.perf_counter() - started
        init_node(mx, mx_url, MX_NODE, "MEX")
        if page_size:
            set_setting(mx, "page_size", page_size, "sync")
        port = free_port()
        us_key = puente("node", "key", data_dir=us).stdout.strip()
        mx_key = puente("node", "key", data_dir=mx).stdout.strip()
        if reused:  # B is new: A pins its new key (hex: nothing to quote)
            psql(server, f"UPDATE partners SET public_key = '{int(mx_key, 16):064x}' "
                 f"WHERE node_id = '{MX_NODE}'", us_name)  # fmt: skip
        else:
            puente("partner", "add", MX_NODE, "--country", "MEX", "--url",
                   "http://127.0.0.1:9", "--key", mx_key, "--secret", MX_ISSUED,
                   "--issue-secret", US_ISSUED, data_dir=us)  # fmt: skip
        puente("partner", "add", US_NODE, "--country", "USA", "--url",
               f"http://127.0.0.1:{port}", "--key", us_key, "--secret", US_ISSUED,
               "--issue-secret", MX_ISSUED, data_dir=mx)  # fmt: skip
        # A node at rest has indexed its records for its partners' hit/no-hit questions (its
        # scheduler does so after an import); done here first, so the sync measures the sync,
        # not A's scheduler catching up beside it (issue 4's benchmark measures that work).
        if not reused:
            indexed = measure_command([sys.executable, "-m", "puente", "hits", "index",
                                       "--data-dir", str(us)], timeout=36_000)  # fmt: skip
            indexed_seconds = indexed["wall_s"]
        databases = (us_url.rsplit("/", 1)[1], mx_url.rsplit("/", 1)[1])
        with puente_serve(us, port) as serving, ServerCpu(*databases) as server_cpu:
            served_before = _process_cpu(serving.pid)
            measured = measure_command(
                profiled([sys.executable, "-m", "puente", "sync", US_NODE, "--data-dir",
                          str(mx)], profile, f"sync-{size}"),
                timeout=36_000,
            )  # fmt: skip
            served_cpu = _process_cpu(serving.pid) - served_before
        found = SYNCED.search(" ".join(measured["stdout"].split()))
        if not found or int(found.group(1)) != size:
            raise RuntimeError(f"sync of {size}: unexpected output {measured['stdout']!r}")
        mx_db = mx_url.rsplit("/", 1)[1]
        received = int(psql(server, "SELECT count(*) FROM records WHERE received", mx_db))
        if received != size:
            raise RuntimeError(f"B holds {received} received records, expected {size}")
        statistics = planner_statistics(server, mx_db)
    wall = measured["wall_s"]
    return {
        "objects": size, "node_a_import_s": round(import_seconds, 2),
        "node_a_hit_index_s": indexed_seconds, "node_a_reused": reused, "page_size": page_size or None, "wall_s": wall,
        "rate": round(size / wall, 1),
        "sync_cpu_s": round(measured["user_s"] + measured["system_s"], 2),
        "serving_node_cpu_s": round(served_cpu, 2), "postgresql_cpu_s": server_cpu.seconds,
        "postgresql_cpu_s_serving_a": server_cpu.by_database[databases[0]],
        "postgresql_cpu_s_storing_b": server_cpu.by_database[databases[1]],
        "max_rss_mb": measured["max_rss_mb"], "statistics_on_b": statistics,
    }  # fmt: skip


# -- the run -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "ingest_pg.json")
    parser.add_argument(
        "--pg",
        default=os.environ.get("PUENTE_BENCH_PG", DEFAULT_PG),
        help="a database URL on the server to use (databases are made there)",
    )
    parser.add_argument("--prefix", default="puente_bench", help="of the databases made")
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--sync-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep sync's node A and use it again in later runs (B is new)",
    )
    parser.add_argument(
        "--page-size", type=int, default=0, help="node B's sync.page_size (default: the node's)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="profile the sync with py-spy into this folder (slows it down)",
    )
    args = parser.parse_args(argv)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": machine(),
        "postgresql": psql(args.pg, "SELECT version()"),
        "postgresql_settings": pgserver.settings(args.pg),
        "bundle": {"generator": "bench/gen_bundle.py", "seed": SEED},
        "targets": {
            "import_rate": IMPORT_RATE,
            "import_rss_mb": IMPORT_RSS_MB,
            "sync_rate": SYNC_RATE,
        },
        "import": [],
        "sync": [],
    }
    for size in args.sizes:
        log(f"import {size:,} objects into PostgreSQL")
        report["import"].append(import_run(args.pg, args.prefix, size, args.keep))
        row = report["import"][-1]
        log(f"  {row['rate']:,.0f} objects/s, peak RSS {row['max_rss_mb']:.0f} MB")
    for size in args.sync_sizes:
        log(f"sync {size:,} objects between two PostgreSQL nodes")
        report["sync"].append(
            sync_run(
                args.pg, args.prefix, size, args.keep, args.profile, args.reuse, args.page_size
            )
        )
        log(f"  {report['sync'][-1]['rate']:,.0f} objects/s")
    report["machine"]["load_average_after"] = os.getloadavg()
    write_json(args.out, report)
    print(table(report))
    log(f"wrote {args.out}")
    return 0


def table(report: dict[str, Any]) -> str:
    lines = [f"machine: {report['machine']['nproc']} CPUs, load {report['machine']['load_average']}"
             f" -> {report['machine']['load_average_after']}"]  # fmt: skip
    if report["import"]:
        lines += ["", "`puente import stix` into PostgreSQL",
                  f"{'objects':>10}{'wall s':>9}{'obj/s':>9}{'importer CPU':>14}"
                  f"{'server CPU':>12}{'peak RSS MB':>13}{'analyzed':>10}"]  # fmt: skip
        for row in report["import"]:
            lines.append(f"{row['objects']:>10}{row['wall_s']:>9.1f}{row['rate']:>9.0f}"
                         f"{row['importer_cpu_s']:>14.1f}{row['server_cpu_s']:>12.1f}"
                         f"{row['max_rss_mb']:>13.0f}"
                         f"{row['statistics']['analyzed_by_puente']!s:>10}")  # fmt: skip
    if report["sync"]:
        lines += [
            "",
            "`puente sync` between two PostgreSQL nodes",
            f"{'objects':>10}{'wall s':>9}{'obj/s':>9}{'sync CPU':>10}{'peak RSS MB':>13}",
        ]
        for row in report["sync"]:
            lines.append(f"{row['objects']:>10}{row['wall_s']:>9.1f}{row['rate']:>9.0f}"
                         f"{row['sync_cpu_s']:>10.1f}{row['max_rss_mb']:>13.0f}")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
