"""Write a medallion (OASIS TAXII 2.1 reference server) configuration.

medallion's memory backend is configured by two JSON files:

* the server config (``users``, ``taxii``, ``backend``) that the app loads, and
* the backend's data file (``backend.filename``): discovery document, API
  roots, status list and collections (each with ``objects`` and
  ``manifest``), all held in process memory.

Usage::

    python bench/peers/medallion_config.py --port 8123 [--dir /tmp/puente-bench/medallion-8123]

prints the path of the written config file.  ``MedallionSetup`` carries what a
client needs (API root, collection id, credentials).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

API_ROOT = "bench"
COLLECTION_ID = "5b1e7a1c-3f0d-4c55-9b39-2f6d0e6a9c01"
USERNAME = "puente-bench"
# Loopback-only throwaway server; the password is not a secret.
PASSWORD = "bench-only-password"
TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
# medallion rejects POST bodies above the API root's max_content_length.
MAX_CONTENT_LENGTH = 256 * 1024 * 1024
# Large enough that one GET can list a whole benchmark collection's manifest.
MAX_PAGE_SIZE = 100_000


@dataclass(frozen=True)
class MedallionSetup:
    config_path: Path
    data_path: Path
    port: int
    api_root: str = API_ROOT
    collection_id: str = COLLECTION_ID
    username: str = USERNAME
    password: str = PASSWORD

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def objects_path(self) -> str:
        return f"/{self.api_root}/collections/{self.collection_id}/objects/"

    @property
    def manifest_path(self) -> str:
        return f"/{self.api_root}/collections/{self.collection_id}/manifest/"

    def status_path(self, status_id: str) -> str:
        return f"/{self.api_root}/status/{status_id}/"


def backend_data(port: int) -> dict[str, Any]:
    """The memory backend's initial store: one API root, one empty writable collection."""
    base = f"http://127.0.0.1:{port}"
    return {
        "/discovery": {
            "title": "medallion (Puente ingest benchmark peer)",
            "description": "Reference TAXII 2.1 server, memory backend, benchmark only",
            "contact": "benchmark",
            "default": f"{base}/{API_ROOT}/",
            "api_roots": [f"{base}/{API_ROOT}/"],
        },
        API_ROOT: {
            "information": {
                "title": "Benchmark API root",
                "description": "Receives the ingest benchmark's envelopes",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": MAX_CONTENT_LENGTH,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION_ID,
                    "title": "Ingest benchmark collection",
                    "description": "Empty at start; written by the benchmark",
                    "can_read": True,
                    "can_write": True,
                    "media_types": [STIX_MEDIA_TYPE],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }


def server_config(data_path: Path) -> dict[str, Any]:
    return {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(data_path),
            # medallion's development HEAD refuses the memory backend under a
            # WSGI server unless told otherwise; the 3.0.0 release ignores it.
            "force_wsgi": True,
        },
        "users": {USERNAME: PASSWORD},
        "taxii": {"max_page_size": MAX_PAGE_SIZE},
    }


def write_config(port: int, directory: Path | None = None) -> MedallionSetup:
    """Write config + data files for a server on 127.0.0.1:``port``."""
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix=f"medallion-{port}-", dir="/tmp"))
    directory.mkdir(parents=True, exist_ok=True)
    data_path = directory / "medallion-data.json"
    config_path = directory / "medallion-config.json"
    data_path.write_text(json.dumps(backend_data(port), indent=2), encoding="utf-8")
    config_path.write_text(json.dumps(server_config(data_path), indent=2), encoding="utf-8")
    return MedallionSetup(config_path=config_path, data_path=data_path, port=port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a medallion memory-backend config.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--dir", type=Path, default=None, help="output directory (default: new dir in /tmp)"
    )
    args = parser.parse_args(argv)
    setup = write_config(args.port, args.dir)
    print(setup.config_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
