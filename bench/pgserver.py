"""A PostgreSQL server configured as docs/operator.md tells a national node's operator to.

The machine's own server (5432) runs at Debian's defaults (128 MB of shared buffers, 1 GB of
WAL between checkpoints, autovacuum off here): right for the test suite, wrong for a node of
10,000,000 records. Its configuration is shared with CI, so it is not retuned; instead this
starts a second server of the same PostgreSQL on another port, in ``$PUENTE_BENCH_DIR/pg-node``,
with the settings of docs/operator.md ("PostgreSQL settings") sized for this machine, and
durability untouched (fsync, full page writes and synchronous commit stay on).

Usage::

    python bench/pgserver.py start      # prints the URL to pass as --database-url / --pg
    python bench/pgserver.py stop
    python bench/pgserver.py settings   # what the benchmarks record beside their figures

The data directory is kept between runs (``start`` on an existing one just starts it), so a
10,000,000-record node loaded once can be reused; ``destroy`` removes it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WORK_DIR

BIN = Path(os.environ.get("PUENTE_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"  # PostgreSQL refuses to run as root
SUPERUSER = "root"  # the same role name as the machine's own server, so URLs differ only by port
PORT = int(os.environ.get("PUENTE_BENCH_PG_PORT", "5442"))
DIRECTORY = WORK_DIR / "pg-node"

# docs/operator.md, "PostgreSQL settings", for this machine (2 vCPUs, 24 GiB, SSD).
SETTINGS = {
    "shared_buffers": "6GB",  # a quarter of memory
    "effective_cache_size": "16GB",
    "maintenance_work_mem": "1GB",
    "work_mem": "32MB",
    "wal_buffers": "64MB",
    "max_wal_size": "16GB",  # a checkpoint every ~15 min under bulk load, not every GB
    "min_wal_size": "2GB",
    "checkpoint_timeout": "15min",
    "checkpoint_completion_target": "0.9",
    "wal_compression": "lz4",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "max_connections": "200",
    "autovacuum": "on",
}
REPORTED = (*SETTINGS, "fsync", "full_page_writes", "synchronous_commit", "server_version")


def url(database: str = "postgres") -> str:
    return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{PORT}/{database}"


def _as_postgres(*command: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    argv = [str(part) for part in command]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", OS_USER, "--", *argv]
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=600)


def _create() -> None:
    DIRECTORY.parent.mkdir(parents=True, exist_ok=True)
    DIRECTORY.mkdir(mode=0o700)
    shutil.chown(DIRECTORY, OS_USER)
    _as_postgres(BIN / "initdb", "-D", DIRECTORY, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8")  # fmt: skip
    lines = [f"{name} = '{value}'" for name, value in SETTINGS.items()]
    lines += ["listen_addresses = '127.0.0.1'", f"port = {PORT}",
              f"unix_socket_directories = '{DIRECTORY}'", "jit = off"]  # fmt: skip
    with (DIRECTORY / "postgresql.conf").open("a") as conf:
        conf.write("\n# bench/pgserver.py: docs/operator.md's settings\n" + "\n".join(lines) + "\n")


def start() -> str:
    if not (DIRECTORY / "PG_VERSION").exists():
        _create()
    running = _as_postgres(BIN / "pg_ctl", "-D", DIRECTORY, "status", check=False)
    if running.returncode != 0:
        _as_postgres(BIN / "pg_ctl", "-D", DIRECTORY, "-l", DIRECTORY / "server.log", "-w",
                     "-t", "120", "start")  # fmt: skip
    return url()


def stop() -> None:
    _as_postgres(BIN / "pg_ctl", "-D", DIRECTORY, "-m", "fast", "-w", "stop", check=False)


def settings(server_url: str) -> dict[str, str]:
    """The settings of the server at ``server_url`` that bound the write path's speed."""
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    names = ",".join(f"'{name}'" for name in REPORTED)
    query = f"SELECT name, setting || coalesce(' ' || unit, '') FROM pg_settings WHERE name IN ({names})"
    for _ in range(3):  # a server just started may still refuse for a moment
        done = subprocess.run(["psql", plain, "-tAF", "\t", "-c", query], capture_output=True,
                              text=True)  # fmt: skip
        if done.returncode == 0:
            return dict(line.split("\t", 1) for line in done.stdout.splitlines() if line)
        time.sleep(1)
    return {"error": done.stderr.strip()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop", "settings", "destroy"))
    args = parser.parse_args(argv)
    if args.action == "start":
        print(start())
    elif args.action == "stop":
        stop()
    elif args.action == "settings":
        for name, value in settings(url()).items():
            print(f"{name} = {value}")
    else:
        stop()
        shutil.rmtree(DIRECTORY, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
