"""`puente demo`: a United States node and a Mexico node on this machine, partners, synced."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import typer
from rich.table import Table

from puente.accounts.bootstrap import initialize
from puente.cli.common import console, errors, handles_errors, t
from puente.config import CONFIG_FILE, write_settings
from puente.errors import N_, NP_, ConfigError, Conflict, PuenteError
from puente.node import Node, open_node

if TYPE_CHECKING:
    from puente.demo.seed import DemoSummary
    from puente.sharing.sync import SyncReport

DEMO_ADMIN_PASSWORD = "puente-demo-2026"  # noqa: S105 - printed to the demo's user on purpose
DEMO_SYNC_SECONDS = 20  # the demo's partners pull often, so shared records show up quickly
LEASE_WAIT_SECONDS = 120  # longer than a whole demo pull takes on a slow machine


@dataclass(frozen=True)
class DemoNode:
    node_id: str
    country: str
    name: str
    admin_agency: str
    folder: str


NODES = (
    DemoNode("us-demo", "USA", "Puente — United States (demo)", "INL", "us"),
    DemoNode("mx-demo", "MEX", "Puente — México (demo)", "SSPC", "mx"),
)


@handles_errors
def demo(
    data_dir: Path = typer.Option(
        Path("puente-demo"),
        "--data-dir",
        "-d",
        help="Where the two demo nodes live (created if missing).",
    ),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", help="The United States node's port."),
    mx_port: int = typer.Option(8001, "--mx-port", help="The Mexico node's port."),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Keep both nodes running after seeding and syncing."
    ),
) -> None:
    """Start two partner nodes, seeded with ports of entry, seizures, persons, firearms and
    vehicles under a mix of markings, and synced: each sees what the other shares."""
    from puente.demo.action_plan import seed_indicator_data, seed_plan
    from puente.demo.pairing import pair
    from puente.demo.seed import seed

    urls = [f"http://{host}:{port}", f"http://{host}:{mx_port}"]
    nodes = [_open(data_dir, spec) for spec in NODES]
    try:
        summaries = []
        for node, spec in zip(nodes, NODES, strict=True):
            with console.status(t("Seeding the {country} node…", country=spec.country)):
                summaries.append(seed(node))
                seed_indicator_data(node)
        seed_plan(nodes[0])  # the plan's structure and the United States' actions
        pair(nodes[0], urls[0], nodes[1], urls[1])
    finally:
        for node in nodes:
            node.close()
    servers = [
        _start(data_dir / spec.folder, host, p)
        for spec, p in zip(NODES, (port, mx_port), strict=True)
    ]
    try:
        _wait_ready(servers, urls)
        # Requests first: the records an answer releases then come with the sync.
        _seed_requests(data_dir)
        _sync_both(data_dir)
        # Mexico's part of the plan hangs under the objectives the sync just brought it.
        _seed_plan(data_dir / NODES[1].folder)
        _sync(data_dir, NODES[0], NODES[1])
        for spec, url, summary in zip(NODES, urls, summaries, strict=True):
            _print_node(spec, url, summary)
        if not serve:
            return
        console.print(t("Both nodes are running. Ctrl-C stops both."))
        while all(server.poll() is None for server in servers):
            time.sleep(0.5)
        errors.print(t("A demo node stopped; stopping the other."))
    except KeyboardInterrupt:
        console.print(t("Stopping both nodes…"))
    finally:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def _open(data_dir: Path, spec: DemoNode) -> Node:
    folder = data_dir / spec.folder
    if (folder / CONFIG_FILE).exists():
        return open_node(folder)
    node = initialize(folder, spec.node_id, spec.country, spec.name, "", "admin",
                      DEMO_ADMIN_PASSWORD, spec.admin_agency)  # fmt: skip
    node.settings.sync.interval_seconds = DEMO_SYNC_SECONDS
    write_settings(node.settings)
    return node


def _start(folder: Path, host: str, port: int) -> subprocess.Popen[bytes]:
    # This interpreter running this package, with arguments the demo built: no input involved.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "puente", "serve", "--data-dir", str(folder), "--host", host,
         "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_ready(servers: list[subprocess.Popen[bytes]], urls: list[str]) -> None:
    deadline = time.monotonic() + 60
    for server, url in zip(servers, urls, strict=True):
        while True:
            if server.poll() is not None:
                raise ConfigError(N_("The demo node at {url} did not start (is the port free?)."),
                                  url=url)  # fmt: skip
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise ConfigError(N_("The demo node at {url} did not start (is the port free?)."),
                                  url=url)  # fmt: skip
            time.sleep(0.2)


def _sync_both(data_dir: Path) -> None:
    """Each node pulls what the other releases to it, now (then every few seconds)."""
    for spec, other in ((NODES[0], NODES[1]), (NODES[1], NODES[0])):
        _sync(data_dir, spec, other)


def _sync(data_dir: Path, spec: DemoNode, other: DemoNode) -> None:
    # A failed pull stops the demo: the steps after it (Mexico's actions hang under the
    # objectives it brings) would fail less clearly.
    node = open_node(data_dir / spec.folder)
    try:
        with console.status(t("{node} pulls from {other}…", node=spec.node_id,
                              other=other.node_id)):  # fmt: skip
            report = _sync_when_free(node, other.node_id)
    finally:
        node.close()
    console.print(
        t(NP_("{node} received {count} record from {other}.",
              "{node} received {count} records from {other}."), node=spec.node_id,
          count=report.stored, other=other.node_id)
    )  # fmt: skip


def _sync_when_free(node: Node, partner_node_id: str) -> SyncReport:
    """Pull now, waiting while the served node's own scheduler holds the partner's lease: it
    starts pulling within seconds of the server starting, and a demo step that went ahead
    without this pull (Mexico's actions need the objectives it brings) would fail."""
    from puente.sharing import sync

    deadline = time.monotonic() + LEASE_WAIT_SECONDS
    while True:
        try:
            return sync.sync(node, partner_node_id, worker="demo")
        except Conflict:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _seed_plan(folder: Path) -> None:
    from puente.demo.action_plan import seed_plan

    node = open_node(folder)
    try:
        seed_plan(node)
    finally:
        node.close()


def _seed_requests(data_dir: Path) -> None:
    """A few requests for information each way, answered, in review, declined or open."""
    from puente.demo.requests import seed_requests

    us, mx = (open_node(data_dir / spec.folder) for spec in NODES)
    try:
        with console.status(t("Exchanging requests for information…")):
            made = seed_requests(us, mx)
    except PuenteError as exc:
        errors.print(t(exc.message, **exc.params))
        return
    finally:
        us.close()
        mx.close()
    if made:
        console.print(t(NP_("{count} request for information exchanged.",
                            "{count} requests for information exchanged."), count=made))  # fmt: skip


def _print_node(spec: DemoNode, url: str, summary: DemoSummary) -> None:
    address = f"{url}/"
    table = Table(title=t("{name}: {url}", name=spec.name, url=address))
    for column in (t("Username"), t("Password"), t("Role"), t("Agency")):
        table.add_column(column)
    for login in summary.logins:
        table.add_row(login.username, login.password, login.role, login.agency)
    console.print(table)
    console.print(t(NP_("{count} record of its own.", "{count} records of its own."),
                    count=summary.records))  # fmt: skip
