"""Syncing with every partner on a schedule, inside `puente serve`.

A thread wakes every few seconds and pulls from each enabled partner whose interval has
passed and whose backoff (after failures) has run out. With several workers, each runs its
own thread; the lease on the partner's row (see :mod:`puente.sharing.sync`) lets exactly one
of them pull a given partner at a time, and the others skip it.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import select

from puente.clock import as_utc, now
from puente.errors import PuenteError
from puente.node import Node
from puente.sharing import registry, sync
from puente.sharing.models import Partner

log = logging.getLogger(__name__)


class SyncScheduler:
    def __init__(self, node: Node, interval_seconds: int, tick_seconds: float = 2.0) -> None:
        self.node = node
        self.interval = timedelta(seconds=interval_seconds)
        self.tick = min(tick_seconds, interval_seconds)
        self._stop = threading.Event()
        self._ticks_due = now()
        self._thread = threading.Thread(target=self._run, name="partner-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def due(self) -> list[str]:
        """The partners to pull now: enabled, interval passed, backoff over."""
        moment = now()
        with self.node.db.session() as session:
            partners = session.execute(
                select(Partner).where(Partner.enabled.is_(True)).order_by(Partner.node_id)
            ).scalars()
            return [
                p.node_id
                for p in partners
                if (p.next_attempt_at is None or as_utc(p.next_attempt_at) <= moment)
                and (
                    p.last_attempt_at is None
                    or as_utc(p.last_attempt_at) <= moment - self.interval
                    or p.failures > 0
                )
            ]

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                for node_id in self.due():
                    if self._stop.is_set():
                        return
                    try:
                        sync.sync(self.node, node_id, worker="serve",
                                  page_size=self.node.settings.sync.page_size)  # fmt: skip
                    except PuenteError as exc:  # recorded on the partner; the next tick retries
                        log.warning("sync with %s: %s", node_id, exc)
                # What the domains refresh (hit/no-hit indexes) follows the records within
                # one sync interval.
                if now() >= self._ticks_due:
                    for name, job in registry.installed().ticks:
                        log.debug("scheduler: %s", name)
                        job(self.node)
                    self._ticks_due = now() + self.interval
            except Exception:  # the thread must outlive a database hiccup
                log.exception("partner sync scheduler")
