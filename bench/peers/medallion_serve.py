"""OASIS medallion loaded with N objects, for the federation benchmark's read side.

medallion's memory backend reads its whole store from one JSON data file when it starts
(``MemoryBackend.load_data_from_file``), so a collection can hold N objects before the first
request: each collection carries ``objects`` (the STIX objects) and ``manifest`` (one entry
per object version: ``id``, ``date_added``, ``version``, ``media_type``, as medallion's own
``_update_manifest`` writes them after an "Add Objects"). Loading the file instead of POSTing
the objects keeps medallion's quadratic ingest out of the setup; the reads are what is timed.

The server runs as in the ingest benchmark (gunicorn, one sync worker, memory backend) with
``taxii.max_page_size`` set to the page size asked for, so a ``limit=1000`` request is served
as asked.

Usage (a loaded server to poke at by hand; Ctrl-C stops it)::

    python bench/peers/medallion_serve.py 1000 [--max-page-size 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PEERS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(PEERS_DIR))

from medallion_config import (  # noqa: E402
    COLLECTION_ID,
    MedallionSetup,
    backend_data,
    server_config,
)
from medallion_ingest import (  # noqa: E402
    DEFAULT_VENV,
    REQUEST_TIMEOUT_S,
    WORK_DIR,
    WORKERS,
    ensure_venv,
    free_port,
    load_objects,
    log,
    stop_server,
    wait_ready,
)

STIX_21 = "application/stix+json;version=2.1"
# The loaded objects' date_added: one microsecond apart, in bundle order, from this moment.
LOADED_AT = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class LoadedServer:
    setup: MedallionSetup
    pid: int  # the gunicorn master; its one worker holds the store
    objects: int
    max_page_size: int
    data_file_mb: float


def _timestamp(moment: datetime) -> str:
    """medallion's own format (common.datetime_to_string): microseconds, a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def loaded_data(port: int, objects: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The memory backend's store with ``objects`` already in the benchmark collection."""
    data = backend_data(port)
    (collection,) = data["bench"]["collections"]
    assert collection["id"] == COLLECTION_ID
    collection["title"] = "Federation benchmark collection"
    collection["description"] = f"{len(objects)} objects loaded from the data file"
    collection["objects"] = list(objects)
    collection["manifest"] = [
        {
            "id": obj["id"],
            "date_added": _timestamp(LOADED_AT + timedelta(microseconds=index)),
            # common.determine_version: modified, else created, else the date added
            "version": obj.get("modified") or obj.get("created"),
            "media_type": STIX_21,
        }
        for index, obj in enumerate(objects)
    ]
    return data


def write_loaded_config(
    port: int, directory: Path, objects: Sequence[dict[str, Any]], max_page_size: int
) -> MedallionSetup:
    directory.mkdir(parents=True, exist_ok=True)
    data_path = directory / "medallion-data.json"
    config_path = directory / "medallion-config.json"
    data_path.write_text(json.dumps(loaded_data(port, objects)), encoding="utf-8")
    config = server_config(data_path)
    config["taxii"]["max_page_size"] = max_page_size
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return MedallionSetup(config_path=config_path, data_path=data_path, port=port)


@contextmanager
def loaded_server(
    objects: Sequence[dict[str, Any]],
    max_page_size: int,
    run_dir: Path,
    venv: Path = DEFAULT_VENV,
) -> Iterator[LoadedServer]:
    """gunicorn + medallion on a free loopback port, its collection holding ``objects``."""
    port = free_port()
    setup = write_loaded_config(port, run_dir / f"medallion-{port}", objects, max_page_size)
    log_path = setup.config_path.parent / "gunicorn.log"
    command = [
        str(venv / "bin" / "gunicorn"),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS),
        "--worker-class", "sync",
        "--timeout", str(int(REQUEST_TIMEOUT_S)),
        "--graceful-timeout", "10",
        "--log-level", "warning",
        "--pythonpath", str(PEERS_DIR),
        "medallion_wsgi:app",
    ]  # fmt: skip
    env = {**os.environ, "PUENTE_MEDALLION_CONFIG": str(setup.config_path)}
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_ready(setup, proc, log_path)
            yield LoadedServer(
                setup, proc.pid, len(objects), max_page_size,
                round(setup.data_path.stat().st_size / 2**20, 2),
            )  # fmt: skip
        finally:
            stop_server(proc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("objects", type=int, help="how many of the generated objects to load")
    parser.add_argument("--max-page-size", type=int, default=1000)
    parser.add_argument("--bundle", type=Path,
                        default=WORK_DIR / "bundle-100000-seed20250304.json")  # fmt: skip
    args = parser.parse_args(argv)
    ensure_venv(DEFAULT_VENV, None, skip_setup=False)
    objects = load_objects(args.bundle)[: args.objects]
    run_dir = WORK_DIR / "runs" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with loaded_server(objects, args.max_page_size, run_dir) as server:
        setup = server.setup
        log(f"{server.objects} objects at {setup.base_url}{setup.objects_path} "
            f"(user {setup.username}, password {setup.password}); Ctrl-C stops it")  # fmt: skip
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
