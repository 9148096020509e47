"""Fixtures for tests that run real `puente` processes on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.support import MX_SECRET, US_SECRET, Pair, free_port, puente, start_server


@pytest.fixture
def pair(tmp_path: Path, database_url: str) -> Iterator[Pair]:
    """The US node (on the test database, served) and the Mexico node, paired."""
    us, mx = tmp_path / "us", tmp_path / "mx"
    puente("init", "--node-id", "us-node", "--country", "USA", "--admin-password",
           "admin-password-1", "--database-url", database_url, data_dir=us)  # fmt: skip
    # Mexico's node in a SQLite file of its own (the test database holds the US node).
    puente("init", "--node-id", "mx-node", "--country", "MEX", "--admin-password",
           "admin-password-1", data_dir=mx)  # fmt: skip
    us_key = puente("node", "key", data_dir=us).stdout.strip()
    mx_key = puente("node", "key", data_dir=mx).stdout.strip()
    port = free_port()
    us_url = f"http://127.0.0.1:{port}"
    puente("partner", "add", "mx-node", "--country", "MEX", "--url", "http://127.0.0.1:9",
           "--key", mx_key, "--secret", MX_SECRET, "--issue-secret", US_SECRET,
           data_dir=us)  # fmt: skip
    puente("partner", "add", "us-node", "--country", "USA", "--url", us_url, "--key", us_key,
           "--secret", US_SECRET, "--issue-secret", MX_SECRET, data_dir=mx)  # fmt: skip
    server = start_server(us, port)
    try:
        yield Pair(us, mx, us_url, {})
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def served_pair(tmp_path: Path, database_url: str) -> Iterator[Pair]:
    """Both nodes served on loopback, each knowing where the other is (messages go both ways)."""
    us, mx = tmp_path / "us", tmp_path / "mx"
    us_port, mx_port = free_port(), free_port()
    us_url, mx_url = f"http://127.0.0.1:{us_port}", f"http://127.0.0.1:{mx_port}"
    puente("init", "--node-id", "us-node", "--country", "USA", "--admin-password",
           "admin-password-1", "--database-url", database_url, data_dir=us)  # fmt: skip
    puente("init", "--node-id", "mx-node", "--country", "MEX", "--admin-password",
           "admin-password-1", data_dir=mx)  # fmt: skip
    us_key = puente("node", "key", data_dir=us).stdout.strip()
    mx_key = puente("node", "key", data_dir=mx).stdout.strip()
    puente("partner", "add", "mx-node", "--country", "MEX", "--url", mx_url, "--key", mx_key,
           "--secret", MX_SECRET, "--issue-secret", US_SECRET, data_dir=us)  # fmt: skip
    puente("partner", "add", "us-node", "--country", "USA", "--url", us_url, "--key", us_key,
           "--secret", US_SECRET, "--issue-secret", MX_SECRET, data_dir=mx)  # fmt: skip
    for folder in (us, mx):  # the tests sync when they mean to, not on the servers' schedule
        config = folder / "puente.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("[sync]\nenabled = true", "[sync]\nenabled = false"),
                          encoding="utf-8")  # fmt: skip
    pair = Pair(us, mx, us_url, {}, mx_url)
    try:
        pair.servers[us] = start_server(us, us_port)
        pair.servers[mx] = start_server(mx, mx_port)
        yield pair
    finally:
        for server in pair.servers.values():
            server.terminate()
            server.wait(timeout=30)
