"""Served nodes for browser tests: one node, or the two-node demo seeded and served with a
person to ask about."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from puente.accounts import service as accounts
from puente.demo.logins import PASSWORD
from puente.demo.requests import approver, searchable_person
from puente.node import Node, open_node
from tests.support.servers import free_port, puente, start_server


@dataclass
class Served:
    """One node served on loopback for a browser test."""

    url: str
    node: Node


@dataclass
class Demo:
    us_url: str
    mx_url: str
    person: dict[str, str]  # a person the US node holds, searchable by Mexico
    name: str
    approver: str  # the user of its originating agency who approves releasing it


def _searchable_person(folder: Path) -> tuple[dict[str, str], str, str]:
    """A person the US node holds, Mexico may search and the US liaison may release."""
    node = open_node(folder)
    try:
        with node.db.session() as session:
            liaison = accounts.principal_for(accounts.get_user(session, "hsi.liaison"),
                                             node.settings)  # fmt: skip
        held = searchable_person(node, liaison, "MEX")
    finally:
        node.close()
    assert held is not None, "the demo holds no searchable person with a full date of birth"
    return held.fields, held.name, approver("USA", held.agency)


def serve_demo(folder: Path) -> Iterator[Demo]:
    """`puente demo --no-serve` into ``folder``, then both nodes served until the end."""
    port, mx_port = free_port(), free_port()
    puente("demo", "--no-serve", "--port", str(port), "--mx-port", str(mx_port),
           data_dir=folder)  # fmt: skip
    person, name, approving = _searchable_person(folder / "us")
    servers: list[subprocess.Popen[bytes]] = [
        start_server(folder / "us", port),
        start_server(folder / "mx", mx_port),
    ]
    try:
        yield Demo(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{mx_port}", person, name,
                   approving)  # fmt: skip
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def sign_in(page: Page, url: str, username: str) -> None:
    """Sign in to a demo node with the demo's password."""
    page.goto(url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(url + "/")
