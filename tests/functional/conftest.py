"""Fixtures for tests that serve real `puente` processes on loopback: the nodes are set up in
this process, only the servers run as processes of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import databases
from tests.support.servers import Pair, free_port, make_partner_nodes, start_server


@pytest.fixture
def mx_database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """Mexico's database: a SQLite file in its data directory, where `puente init` puts it."""
    (tmp_path / "mx").mkdir()
    return databases.sqlite_copy(sqlite_template, tmp_path / "mx")


@pytest.fixture
def pair(tmp_path: Path, database_url: str, mx_database_url: str) -> Iterator[Pair]:
    """The US node (on the test database, served) and the Mexico node (in a SQLite file of its
    own, not served), paired."""
    us, mx = tmp_path / "us", tmp_path / "mx"
    port = free_port()
    us_url = f"http://127.0.0.1:{port}"
    make_partner_nodes(us, mx, database_url, mx_database_url, us_url)
    server = start_server(us, port)
    try:
        yield Pair(us, mx, us_url, {})
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def served_pair(tmp_path: Path, database_url: str, mx_database_url: str) -> Iterator[Pair]:
    """Both nodes served on loopback, each knowing where the other is (messages go both ways).
    The tests sync when they mean to, not on the servers' schedule."""
    us, mx = tmp_path / "us", tmp_path / "mx"
    us_port, mx_port = free_port(), free_port()
    us_url, mx_url = f"http://127.0.0.1:{us_port}", f"http://127.0.0.1:{mx_port}"
    make_partner_nodes(us, mx, database_url, mx_database_url, us_url, mx_url,
                       scheduled_sync=False)  # fmt: skip
    pair = Pair(us, mx, us_url, {}, mx_url)
    try:
        pair.servers[us] = start_server(us, us_port)
        pair.servers[mx] = start_server(mx, mx_port)
        yield pair
    finally:
        for server in pair.servers.values():
            server.terminate()
            server.wait(timeout=30)
