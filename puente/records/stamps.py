"""The date a record was added (``date_added``): strictly increasing, in commit order, so that a
partner paging by it (TAXII 2.1 ``added_after``, exclusive) never misses a record."""

from __future__ import annotations

import calendar
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puente.db import lock_writes
from puente.records.models import Definition, Record


class _Clock:
    """Strictly increasing date_added stamps (microseconds) within this process."""

    def __init__(self) -> None:
        self.last = 0
        self._lock = threading.Lock()
        self._second = -1
        self._prefix = ""

    def next(self) -> str:
        return self.take(1)[0]

    def take(self, count: int, after: int = 0) -> list[str]:
        """``count`` consecutive stamps, each later than every stamp handed out before.

        ``after`` (microseconds) is the latest stamp in the database: another process (a
        worker on another host, with its own clock) may have handed it out.
        """
        with self._lock:
            start = max(time.time_ns() // 1000, self.last + 1, after + 1)
            self.last = start + count - 1
            return [self._format(moment) for moment in range(start, start + count)]

    def _format(self, micros: int) -> str:
        second, fraction = divmod(micros, 1_000_000)
        if second != self._second:  # strftime once a second, not once a row
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{fraction:06d}Z"


clock = _Clock()


def stamp_micros(stamp: str) -> int:
    """A date_added stamp (2026-01-31T17:05:00.123456Z) as microseconds since the epoch."""
    seconds = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))
    return seconds * 1_000_000 + int(stamp[20:26])


def latest_stamp(session: Session) -> int:
    """Take the records write lock, then read the latest date_added (microseconds).

    TAXII partners page by date_added (added_after is exclusive): a stamp must be later than
    every stamp already committed and commit before any later one, or a partner that paged
    past it would never see it: writers of records take turns (:func:`puente.db.lock_writes`).
    """
    lock_writes(session)
    # The definitions every collection serves beside the records are paged with them.
    latest = max(
        session.execute(select(func.max(Record.date_added))).scalar() or "",
        session.execute(select(func.max(Definition.date_added))).scalar() or "",
    )
    return stamp_micros(latest) if latest else 0
