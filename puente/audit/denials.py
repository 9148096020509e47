"""Refused reads in the audit chain, counted so that guessing ids cannot flood it.

A read the gate refuses (a record that does not exist, or that the reader may not see: both
answer 404 alike) is noted by the service that refuses it, with :func:`note`. The refusal
rolls the request's unit of work back, so the edge that owns the unit of work records what
was noted afterwards, in a unit of work of its own (:func:`record`).

Refusals are counted per user, action and hour in ``audit_denials``. The chain gets an
entry, through :func:`puente.audit.service.append` like any other, at the 1st refusal of
the hour, at the 10th, the 100th, the 1,000th …, each with the count so far, the first ids
refused and the latest; and a last one with the hour's total once the hour has ended (when
the next refusal of any user is recorded). A user guessing a million ids in an hour leaves
seven entries, not a million; no entry is ever changed, so the chain stays verifiable.
Between two entries the running count is only in the table, which is not evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.audit.models import AuditDenial
from puente.clock import now
from puente.db import DENIALS_LOCK_KEY, lock_writes

KEY = "puente.audit.denials"
IDS_KEPT = 10  # the first ids refused in an hour, kept in its entries


@dataclass(frozen=True)
class Denial:
    actor: str
    action: str  # e.g. "record.denied"
    target: str  # the id asked for


def note(session: Session, actor: str, action: str, target: str) -> None:
    """Note a refused read in ``session``; the edge that owns the unit of work records it."""
    session.info.setdefault(KEY, []).append(Denial(actor, action, target[:200]))


def collect_into(session: Session, pending: list[Denial]) -> None:
    """Gather what ``session`` notes into ``pending``, which outlives a rollback."""
    session.info[KEY] = pending


def hour_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:00Z")


def _logs_at(count: int) -> bool:
    """1, 10, 100, 1000 …: an entry at each power of ten."""
    while count % 10 == 0:
        count //= 10
    return count == 1


def record(session: Session, denials: list[Denial]) -> None:
    """Count ``denials`` and append the chain entries they are due (see the module)."""
    if not denials:
        return
    # One writer counts at a time (SQLite's BEGIN IMMEDIATE already), by a lock of its own:
    # the node's write lock is an import's for its whole run, and a refused read is answered
    # once it is counted.
    lock_writes(session, DENIALS_LOCK_KEY)
    hour = hour_of(now())
    _close_ended(session, hour)
    for denial in denials:
        row = session.get(AuditDenial, (denial.actor, denial.action, hour))
        if row is None:
            row = AuditDenial(actor=denial.actor, action=denial.action, hour=hour, count=0,
                              logged=0, ids="[]", last_target="")  # fmt: skip
            session.add(row)
        row.count += 1
        row.last_target = denial.target
        ids: list[str] = orjson.loads(row.ids)
        if len(ids) < IDS_KEPT and denial.target not in ids:
            row.ids = orjson.dumps([*ids, denial.target]).decode()
        if _logs_at(row.count):
            _append(session, row, final=False)
    session.flush()


def _close_ended(session: Session, hour: str) -> None:
    """Give every ended hour's total to the chain (if an entry lacks it), then forget it."""
    ended = session.execute(select(AuditDenial).where(AuditDenial.hour < hour)).scalars().all()
    for row in sorted(ended, key=lambda r: (r.hour, r.actor, r.action)):
        if row.count > row.logged:
            _append(session, row, final=True)
        session.delete(row)


def _append(session: Session, row: AuditDenial, final: bool) -> None:
    audit.append(
        session,
        row.actor,
        row.action,
        row.last_target,
        details={"hour": row.hour, "count": row.count, "ids": orjson.loads(row.ids),
                 "final": final},
    )  # fmt: skip
    row.logged = row.count
