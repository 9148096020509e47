"""Helpers for tests that run real `puente` processes on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from typer.testing import CliRunner

from puente.cli.main import app
from puente.config import load_settings
from puente.node import public_key_hex
from tests.support.nodes import NOWHERE, make_node, pair

_runner = CliRunner()
TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
# The two-node pair of tests/functional/conftest.py: what each node issued to the other.


@dataclass
class Pair:
    """A United States node served on loopback, and a Mexico node, partners of each other."""

    us: Path
    mx: Path
    us_url: str
    mx_env: dict[str, str]
    mx_url: str = ""  # when Mexico's node is served too
    servers: dict[Path, subprocess.Popen[bytes]] = field(default_factory=dict)

    def stop(self, node: Path) -> None:
        """Take a served node off the network (its data stays), as a power cut would."""
        server = self.servers.pop(node)
        server.kill()
        server.wait(timeout=30)

    def start(self, node: Path) -> None:
        """Serve a stopped node again, at its address."""
        url = self.us_url if node == self.us else self.mx_url
        self.servers[node] = start_server(node, int(url.rsplit(":", 1)[1]))


def import_objects(data_dir: Path, objects: list[dict[str, object]], tmp: Path) -> None:
    """`puente import stix` of these objects, as a bundle written under ``tmp``."""
    bundle = tmp / f"bundle-{uuid.uuid4().hex}.json"
    bundle.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                     "objects": objects}))  # fmt: skip
    puente("import", "stix", str(bundle), data_dir=data_dir)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def puente(
    *args: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run the `puente` command in this process (Typer's runner), as an operator would type
    it, with English messages unless ``env`` says otherwise. Only the servers are processes:
    each command here would otherwise pay 1-3 s of interpreter start-up."""
    result = _runner.invoke(
        app,
        [*args, "--data-dir", str(data_dir)],
        env={"PUENTE_LANG": "en", **(env or {})},
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    done = subprocess.CompletedProcess(
        ["puente", *args], result.exit_code, result.stdout, result.stderr
    )
    if check and done.returncode != 0:  # say why, not only that it failed
        raise AssertionError(f"puente {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stderr[-4000:]}\n{done.stdout[-2000:]}")  # fmt: skip
    return done


def puente_process(
    *args: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """The `puente` command as a process of its own, for a test that must kill it."""
    return subprocess.Popen(
        [sys.executable, "-m", "puente", *args, "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PUENTE_LANG": "en", **(env or {})},
    )


def public_key(data_dir: Path) -> str:
    """What `puente node key` prints for the node in ``data_dir``."""
    return public_key_hex(load_settings(data_dir))


def make_partner_nodes(
    us: Path,
    mx: Path,
    us_database: str,
    mx_database: str,
    us_url: str,
    mx_url: str = NOWHERE,
    *,
    scheduled_sync: bool = True,
) -> None:
    """A United States node in ``us`` and a Mexico node in ``mx``, each the other's partner
    (what `puente init`, `puente node key` and `puente partner add` do on each side, in this
    process). ``mx_url`` defaults to an address where nothing listens."""
    sections = {} if scheduled_sync else {"sync": {"enabled": False}}
    nodes = {
        folder: make_node(folder, url, country, node_id, sections=sections)
        for folder, url, country, node_id in (
            (us, us_database, "USA", "us-node"),
            (mx, mx_database, "MEX", "mx-node"),
        )
    }
    try:
        pair(nodes[us], nodes[mx], us_url, mx_url)
    finally:
        for node in nodes.values():
            node.close()


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """`puente serve` for the node in ``data_dir``, once it answers on ``port``: its own
    answer (its node id), not another test's server that took the port first."""
    node_id = load_settings(data_dir).node_id
    proc = subprocess.Popen(
        [sys.executable, "-m", "puente", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server exited")
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.HTTPError:
            answer = None
        if answer is not None and answer.status_code == 200:
            if answer.json().get("node") != node_id:
                proc.kill()
                raise RuntimeError(f"port {port} answers for another node than {node_id}")
            return proc
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def write_bundle(path: Path, count: int) -> None:
    """A bundle of ``count`` simple, valid identity objects (fast to make, fast to parse)."""
    objects: list[dict[str, Any]] = []
    for index in range(count):
        objects.append(
            {
                "type": "identity",
                "spec_version": "2.1",
                "id": f"identity--{uuid.uuid4()}",
                "created": "2025-03-04T05:06:07.000Z",
                "modified": "2025-03-04T05:06:07.000Z",
                "name": f"Persona {index}",
                "identity_class": "individual",
                "object_marking_refs": [TLP_GREEN],
            }
        )
    path.write_bytes(
        orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})
    )


def sync_now(data_dir: Path, partner: str) -> None:
    """`puente sync PARTNER`, waiting while the served node's own scheduler holds the lease."""
    for _ in range(60):
        done = puente("sync", partner, data_dir=data_dir, check=False)
        if done.returncode == 0:
            return
        assert "Another worker is syncing" in done.stderr + done.stdout, done.stderr
        time.sleep(0.5)
    raise AssertionError("the partner's lease was never free")
