"""A real node served on loopback by uvicorn, and headless Debian chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from puente.web.app import create_app
from tests.support.demo import Demo, Served, serve_demo
from tests.support.nodes import make_node

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    """A fresh node, served by uvicorn in a thread for the length of one test."""
    node = make_node(tmp_path / "node", database_url)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(node), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # startup, not an assertion: wait until it listens
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", node)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        node.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # en-US fixes the order of a date input's parts (month, day, year) for typing.
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where tests leave screenshots: $PUENTE_SCREENSHOTS, or the test's temporary folder."""
    folder = Path(os.environ.get("PUENTE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The two-node demo, seeded and served once for the browser tests that walk through it."""
    yield from serve_demo(tmp_path_factory.mktemp("demo"))
