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
        self._traced: dict[str, str] = {}  # what failed → the fault whose traceback was logged

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
            self.run_once()

    def run_once(self) -> None:
        """One tick: pull from each partner due, then the domains' jobs once an interval.

        Each partner and each job on its own: one that fails (the partner down, a page that
        breaks a bug here, the database gone a moment) is logged, and recorded on the
        partner's row by the sync; the others still run in this tick."""
        try:
            due = self.due()
        except Exception as exc:  # the thread must outlive a database hiccup
            self._failed("partners due", exc)
            due = []
        for node_id in due:
            if self._stop.is_set():
                return
            try:
                sync.sync(self.node, node_id, worker="serve",
                          page_size=self.node.settings.sync.page_size)  # fmt: skip
            except Exception as exc:  # recorded on the partner; retried later
                self._failed(f"sync with {node_id}", exc)
            else:
                self._traced.pop(f"sync with {node_id}", None)
        # What the domains refresh (hit/no-hit indexes) follows the records within one sync
        # interval.
        if now() >= self._ticks_due:
            for name, job in registry.installed().ticks:
                log.debug("scheduler: %s", name)
                try:
                    job(self.node)
                except Exception as exc:  # the next interval tries again
                    self._failed(f"scheduler job {name}", exc)
                else:
                    self._traced.pop(f"scheduler job {name}", None)
            self._ticks_due = now() + self.interval

    def _failed(self, what: str, exc: Exception) -> None:
        """One line for each failure; the traceback of a fault of this node's (not a refusal
        or the network's) once until it stops failing, or a different fault comes, and
        otherwise at debug level only: a partner down for a day must not flood the log."""
        reason = " ".join(str(exc).split()) or type(exc).__name__
        fault = exc.__cause__ if isinstance(exc, PuenteError) else exc
        signature = f"{type(fault).__name__}: {fault}" if fault is not None else ""
        if fault is not None and self._traced.get(what) != signature:
            self._traced[what] = signature
            log.error("%s failed: %s", what, reason, exc_info=fault)
            return
        log.warning("%s failed: %s", what, reason)
        log.debug("%s failed", what, exc_info=exc)
