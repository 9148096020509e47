"""The SQLite checkpointer: off the request path, and never starved by a long burst."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from puente.db import Checkpointer


class Recording(Checkpointer):
    def __init__(self, path: str, **timing: float) -> None:
        self.moments: list[float] = []
        super().__init__(path, **timing)

    def checkpoint(self, connection: sqlite3.Connection) -> None:  # type: ignore[override]
        self.moments.append(time.monotonic())
        super().checkpoint(connection)


def _commits(path: Path, checkpointer: Checkpointer, seconds: float) -> float:
    """Commit a row every 50 ms for ``seconds``, telling the checkpointer; when it ended."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        db.execute("INSERT INTO t VALUES (1)")
        db.commit()
        checkpointer.committed()
        time.sleep(0.05)
    db.close()
    return time.monotonic()


def test_a_short_burst_of_commits_ends_with_one_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "short.db"
    checkpointer = Recording(str(path), settle_seconds=0.2, idle_seconds=60, burst_seconds=5)
    ended = _commits(path, checkpointer, 0.5)
    time.sleep(0.6)
    checkpointer.stop()
    during = [m for m in checkpointer.moments if m < ended]
    assert during == []  # nothing while the commits came
    assert len(checkpointer.moments) == 2  # once after the burst, once at stop


def test_a_long_burst_is_checkpointed_while_it_lasts(tmp_path: Path) -> None:
    # A sync commits a page every ~100 ms for minutes: waiting for it to end would let the
    # write-ahead log grow with everything it stores.
    path = tmp_path / "long.db"
    checkpointer = Recording(str(path), settle_seconds=0.2, idle_seconds=60, burst_seconds=0.4)
    ended = _commits(path, checkpointer, 2.0)
    checkpointer.stop()
    during = [m for m in checkpointer.moments if m < ended]
    assert len(during) >= 3
