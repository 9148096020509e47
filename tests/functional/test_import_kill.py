"""A `kill -9` in the middle of a large import leaves a consistent database and audit chain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from puente.records.models import Record
from tests.support.servers import puente, puente_process, write_bundle

pytestmark = pytest.mark.slow


def test_kill_9_during_import_stores_nothing_and_the_chain_verifies(
    tmp_path: Path, database_url: str
) -> None:
    data = tmp_path / "node"
    puente(
        "init",
        "--node-id",
        "us-kill",
        "--country",
        "USA",
        "--admin-password",
        "admin-password-1",
        "--database-url",
        database_url,
        data_dir=data,
    )
    puente("import", "stix", str(_bundle(tmp_path, 200)), data_dir=data)  # some committed work
    big = _bundle(tmp_path, 60_000)
    whole = _seconds_to_import(tmp_path / "calibration", big)
    proc = puente_process("import", "stix", str(big), data_dir=data,
                          env={"PUENTE_DATABASE_URL": database_url})  # fmt: skip
    engine = create_engine(database_url)
    # Kill it well inside its one transaction: at 40% of what the whole import took on this
    # machine (a fixed sleep was too long on a fast machine, which had committed by then).
    time.sleep(0.4 * whole)
    assert proc.poll() is None, "the import finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(Record)).scalar_one()
    engine.dispose()
    assert stored == 200, "the interrupted import must leave nothing half-written"
    verified = puente("audit", "verify", data_dir=data, env={"PUENTE_DATABASE_URL": database_url})
    assert "intact" in verified.stdout
    again = puente(
        "import",
        "stix",
        str(big),
        data_dir=data,
        env={"PUENTE_DATABASE_URL": database_url},
    )
    assert "Imported 60000 objects" in again.stdout


def _seconds_to_import(data: Path, bundle: Path) -> float:
    """Wall seconds of the whole import command on a throwaway SQLite node, start-up included."""
    puente("init", "--node-id", "us-calibration", "--country", "USA", "--admin-password",
           "admin-password-1", data_dir=data)  # fmt: skip
    started = time.perf_counter()
    # A process, as the import to be killed is: its start-up counts too.
    imported = puente_process("import", "stix", str(bundle), data_dir=data)
    assert imported.wait(timeout=300) == 0, imported.communicate()
    return time.perf_counter() - started


def _bundle(folder: Path, count: int) -> Path:
    path = folder / f"bundle-{count}.json"
    write_bundle(path, count)
    return path


# The import of a big file on a machine with cores to spare (ingest.PARALLEL_MIN_CPUS), in
# chunks of 200 its worker process prepares slowly: killed while the worker has work left.
_PARALLEL_IMPORT = """
import sys, time
from puente.records import ingest
ingest.PARALLEL_MIN_CPUS = 1
ingest.CHUNK = 200
prepare = ingest._prepare_chunk
def slowly(*args, **kwargs):
    time.sleep(0.3)
    return prepare(*args, **kwargs)
ingest._prepare_chunk = slowly
from puente.cli.main import app
sys.argv = ["puente", *sys.argv[1:]]
app()
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_of_a_parallel_import_leaves_no_worker_and_frees_the_node(
    tmp_path: Path, database_url: str
) -> None:
    """The worker process that prepares a big import's chunks is a fork of the import: it
    held a copy of the import's database connection. Killed, the import left it waiting on
    its queue for ever, and on PostgreSQL the connection it held kept the import's transaction
    open, idle, with the node's write lock: every later write on the node waited."""
    data = tmp_path / "node"
    env = {"PUENTE_DATABASE_URL": database_url}
    puente("init", "--node-id", "us-kill", "--country", "USA", "--admin-password",
           "admin-password-1", "--database-url", database_url, data_dir=data)  # fmt: skip
    script = tmp_path / "parallel_import.py"
    script.write_text(_PARALLEL_IMPORT)
    big = _bundle(tmp_path, 4000)
    proc = subprocess.Popen(
        [sys.executable, str(script), "import", "stix", str(big), "--data-dir", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PUENTE_LANG": "en", **env},
    )  # fmt: skip
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while not workers and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        workers = _children(proc.pid)
    assert workers, "the import started no worker process"
    time.sleep(1.0)  # a few chunks stored, in the import's one transaction
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    try:
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "the worker outlived the import"
        small = _bundle(tmp_path, 10)
        done = puente_process("import", "stix", str(small), data_dir=data, env=env)
        assert done.wait(timeout=60) == 0, done.communicate()
    finally:
        for worker in workers:
            if _alive(worker):
                os.kill(worker, signal.SIGKILL)
