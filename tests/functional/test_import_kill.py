"""A `kill -9` in the middle of a large import leaves a consistent database and audit chain."""

from __future__ import annotations

import os
import signal
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
