"""How busy the node is with people: requests of people in flight, over all its processes.

Bulk work (a partner's pull, a command-line import) asks :meth:`Board.wait_for_people` before
each step and goes on once nobody's request is being answered, or after a bounded wait: people
are served first, and a node nobody is using runs its bulk work at full speed. The web's
middleware (puente.web.priority) counts people's requests in.

The board is a small file in the data directory (``run/people.board``), mapped into the memory
of every process of the node: each process owns one slot (``fcntl`` locks the slot's bytes for
the process's lifetime, so the slot of a process that died is free for the next one), writes
only its own slot, and reads the sum of all. Scheduling only: nothing here decides who may see
what.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from puente.node import Node

SLOTS = 256
SLOT = 16  # two int64: the owner's pid, and how many of people's requests it has in flight
POLL_S = 0.002


def board_path(data_dir: Path) -> Path:
    return data_dir / "run" / "people.board"


def give_way(node: Node) -> float:
    """One step of bulk work gives way: it waits while people's requests are in flight on
    any process of the node, up to limits.bulk_wait_ms (0: never); how long it waited."""
    limit_s = node.settings.limits.bulk_wait_ms / 1000
    if limit_s <= 0:
        return 0.0
    return Board(board_path(node.settings.data_dir)).wait_for_people(limit_s)


class _Mapped:
    """One process's view of one board file, and the slot the process owns in it."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.ftruncate(fd, SLOTS * SLOT)
        except OSError:  # a read-only data directory: this process counts alone
            fd = -1
        self.fd = fd
        self.map = mmap.mmap(fd, SLOTS * SLOT) if fd >= 0 else mmap.mmap(-1, SLOTS * SLOT)
        self.words = memoryview(self.map).cast("q")
        self.lock = threading.Lock()  # a ticket may leave from a worker thread
        self.slot = self._claim()
        self.words[2 * self.slot] = os.getpid()
        self.words[2 * self.slot + 1] = 0

    def _claim(self) -> int:
        if self.fd < 0:
            return 0
        for slot in range(SLOTS):
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, SLOT, slot * SLOT)
            except OSError:
                continue  # a live process holds it
            return slot
        return 0  # more workers than slots: share the first (counts stay approximate)


# One mapping per process and file: POSIX record locks do not tell a process's own holders
# apart, so a second board of the same file in one process (the server's sync thread beside
# its app) must share the first's slot, not claim it again and reset its count. Keyed by pid
# too: a forked child holds none of its parent's locks and takes a slot of its own.
_mapped: dict[tuple[int, str], _Mapped] = {}
_mapping = threading.Lock()


class Board:
    """The node's count of people's requests in flight, over all its processes."""

    def __init__(self, path: Path) -> None:
        key = (os.getpid(), str(path.resolve()))
        with _mapping:
            if key not in _mapped:
                _mapped[key] = _Mapped(path)
            mapped = _mapped[key]
        self._words = mapped.words
        self._lock = mapped.lock
        self._slot = mapped.slot

    def enter(self) -> None:
        with self._lock:
            self._words[2 * self._slot + 1] += 1

    def leave(self) -> None:
        with self._lock:
            self._words[2 * self._slot + 1] -= 1

    def people_in_flight(self) -> int:
        counts = self._words[1::2]
        if not any(counts):
            return 0
        total = 0
        for slot, count in enumerate(counts):
            if count > 0 and (slot == self._slot or _alive(self._words[2 * slot])):
                total += count
        return total

    def wait_for_people(self, limit_s: float) -> float:
        """Block until no person's request is in flight, or ``limit_s`` has passed; the wait."""
        started = time.monotonic()
        deadline = started + limit_s
        while self.people_in_flight() > 0 and time.monotonic() < deadline:
            time.sleep(POLL_S)
        return time.monotonic() - started


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
