"""A person's request in flight on another process of the node, for bulk work to wait on."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from puente.activity import Board


def _hold(path: Path, entered: Any, release: Any, leave: bool) -> None:
    other = Board(path)
    other.enter()
    entered.set()
    release.wait(30)
    if leave:
        other.leave()


@contextmanager
def person_in_flight(path: Path, leave: bool = True) -> Iterator[Any]:
    """A forked process (another server worker) answering one person's request until the
    block ends (``leave=False``: it dies with the request still counted)."""
    context = multiprocessing.get_context("fork")
    entered, release = context.Event(), context.Event()
    process = context.Process(target=_hold, args=(path, entered, release, leave))
    process.start()
    try:
        assert entered.wait(10), "the other process did not start"
        yield release
    finally:
        release.set()
        process.join(10)
