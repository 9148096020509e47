"""Throwaway PostgreSQL clusters on this machine: a primary and a streaming replica.

The machine's own cluster (5432) is never touched: each cluster here is a fresh ``initdb`` in a
temporary directory, listening on a free loopback port, owned and run by the ``postgres`` OS
user (PostgreSQL refuses to run as root). The replica is a ``pg_basebackup -R`` of the primary.
Speed over durability: ``fsync=off``, small buffers, a fast checkpoint for the base backup.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.servers import free_port

BIN = Path(os.environ.get("PUENTE_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"
SUPERUSER = "root"  # the clusters' superuser: the same name as the machine's cluster uses


def unavailable() -> str:
    """Why clusters cannot be built here ("" when they can)."""
    for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres"):
        if not (BIN / tool).exists():
            return f"PostgreSQL's {tool} is not in {BIN} (set PUENTE_PG_BIN)"
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        return f"there is no {OS_USER!r} OS user to run PostgreSQL as"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != OS_USER:
        return f"clusters are run as {OS_USER!r}: run the tests as root or as {OS_USER!r}"
    return ""


def _as_postgres(*command: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    argv = [str(part) for part in command]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", OS_USER, "--", *argv]
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=120)


@dataclass
class Cluster:
    """One running cluster: its data directory and port."""

    directory: Path
    port: int
    running: bool = field(default=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _as_postgres(BIN / "pg_ctl", "-D", self.directory, "-l", self.directory / "server.log",
                     "-w", "-t", "60", "start")  # fmt: skip
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            _as_postgres(BIN / "pg_ctl", "-D", self.directory, "-m", mode, "-w", "stop",
                         check=False)  # fmt: skip
            self.running = False

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[object, ...]]:
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(text(sql))
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()


SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{directory}'
max_connections = 60
shared_buffers = 32MB
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 4
hot_standby = on
hot_standby_feedback = on
log_min_messages = warning
"""


@dataclass
class ReplicatedPair:
    """A primary and its streaming replica, in one temporary directory."""

    root: Path
    primary: Cluster
    replica: Cluster

    def wait_replayed(self, timeout: float = 10.0) -> None:
        """Wait until the replica has replayed everything the primary has written."""
        target = self.primary.execute("SELECT pg_current_wal_lsn()::text")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            query = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
            if self.replica.execute(query)[0][0]:
                return
            time.sleep(0.05)
        raise TimeoutError(f"the replica did not replay up to {target} in {timeout} s")

    def close(self) -> None:
        self.replica.stop("immediate")
        self.primary.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def replicated_pair() -> ReplicatedPair:
    """Start a fresh primary on a free port and a streaming replica of it on another."""
    root = Path(tempfile.mkdtemp(prefix="puente-replica-"))
    os.chmod(root, 0o755)
    shutil.chown(root, OS_USER)
    primary = Cluster(root / "primary", free_port())
    replica = Cluster(root / "replica", free_port())
    pair = ReplicatedPair(root, primary, replica)
    try:
        _as_postgres(BIN / "initdb", "-D", primary.directory, "-U", SUPERUSER, "--auth=trust",
                     "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        with (primary.directory / "postgresql.conf").open("a") as conf:
            conf.write(SETTINGS.format(port=primary.port, directory=primary.directory))
        primary.start()
        _as_postgres(BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
                     "-U", SUPERUSER, "-D", replica.directory, "-R", "-X", "stream",
                     "-c", "fast", "--no-sync")  # fmt: skip
        with (replica.directory / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"port = {replica.port}\nunix_socket_directories = '{replica.directory}'\n")
        replica.start()
        pair.wait_replayed(timeout=30)
    except BaseException:
        pair.close()
        raise
    return pair
