"""People first: a partner's bulk pull waits while people's requests are being answered.

A partner catching up pulls page after page of 1,000 objects as fast as the node answers; two
of them can keep every core busy, and an analyst's search then queues behind their pages
(issue 15's load test: p99 390 ms with partners pulling back to back, against 150 ms without).
Partner pulls are not interactive: a page served half a second later costs a partner nothing
a person would notice. So every request a person makes is counted as in flight on a board all
of the node's worker processes share, and a partner's request, once it is known to be a
partner's, waits (up to ``limits.partner_wait_ms``) until no person's request is in flight on
any worker before it goes on. Nothing is refused, and a node no person is using serves its
partners at full speed.

The board is a small file in the data directory, mapped into every worker's memory: each
process owns one slot (``fcntl`` locks the slot's bytes for the process's lifetime, so the
slot of a process that died is free for the next one), writes only its own slot from its event
loop, and reads the sum of all. Scheduling only: nothing here decides who may see what.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import threading
import time
import weakref
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

SLOTS = 256
SLOT = 16  # two int64: the owner's pid, and how many of people's requests it has in flight
POLL_S = 0.002
SCOPE_KEY = "puente.priority"


class Board:
    """The node's count of people's requests in flight, over all its worker processes."""

    def __init__(self, path: Path | None) -> None:
        self._fd = -1
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                os.ftruncate(self._fd, SLOTS * SLOT)
            except OSError:  # a read-only data directory: this process counts alone
                self._fd = -1
        if self._fd >= 0:
            weakref.finalize(self, os.close, self._fd)  # an app dropped without shutting down
        self._map = (
            mmap.mmap(self._fd, SLOTS * SLOT) if self._fd >= 0 else mmap.mmap(-1, SLOTS * SLOT)
        )
        self._words = memoryview(self._map).cast("q")
        self._lock = threading.Lock()  # a ticket may leave from a worker thread
        self._slot = self._claim()
        self._words[2 * self._slot] = os.getpid()
        self._words[2 * self._slot + 1] = 0

    def _claim(self) -> int:
        if self._fd < 0:
            return 0
        for slot in range(SLOTS):
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, SLOT, slot * SLOT)
            except OSError:
                continue  # a live process holds it
            return slot
        return 0  # more workers than slots: share the first (counts stay approximate)

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

    def close(self) -> None:
        """For tests; an app's board lives as long as the app (requests may still be in
        flight after its lifespan ends) and is released with it."""
        self._words.release()
        self._map.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Ticket:
    """One request's place on the board: a person's until it is known to be a partner's."""

    def __init__(self, board: Board) -> None:
        self._board: Board | None = board
        board.enter()

    def leave(self) -> None:
        if self._board is not None:
            self._board.leave()
            self._board = None


class PeopleFirst:
    """Pure ASGI middleware: every HTTP request counts as a person's while it is answered."""

    def __init__(self, app: ASGIApp, board: Board) -> None:
        self.app = app
        self.board = board

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ticket = Ticket(self.board)
        scope[SCOPE_KEY] = ticket
        try:
            await self.app(scope, receive, send)
        finally:
            ticket.leave()


def yield_to_people(scope: Scope, board: Board | None, limit_ms: int) -> None:
    """Called once a request is known to be a partner's (in its worker thread): it stops
    counting as a person's and waits for people's requests to finish."""
    ticket = scope.get(SCOPE_KEY)
    if isinstance(ticket, Ticket):
        ticket.leave()
    if board is not None and limit_ms > 0:
        board.wait_for_people(limit_ms / 1000)
