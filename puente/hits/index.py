"""Each partner's hit/no-hit index: the fingerprints of the match keys it may test.

The index for a partner holds the keys of this node's own current records of kind person,
firearm or vehicle that the egress gate lets that partner search (its country in SEARCHABLE
BY; never received, revoked or recalled records). :func:`refresh` follows the records from
the last version it took into account: a new record, a new version (new markings included),
a revocation or a recall (through the recall's own record) changes the index at the next
refresh. Removed fingerprints stay as tombstones carrying the refresh that removed them, so a
partner can be sent exactly what changed since the refresh it last saw.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from puente.accounts.service import now
from puente.hits import psi
from puente.hits.extract import record_keys
from puente.hits.models import HitIndexEntry, HitIndexState
from puente.node import Node
from puente.policy import gate
from puente.policy.gate import HitIndex
from puente.records.models import Record
from puente.records.rows import GATE_COLUMNS, facts_from
from puente.sharing.models import Partner
from puente.sharing.partners import get_partner
from puente.sharing.recalls import RECALL_TYPE

MATCHED_KINDS = ("person", "firearm", "vehicle")
BATCH = 2000  # record versions per round: bounded memory, however far behind the index is
GATE_START = 4
_COLUMNS = (Record.pk, Record.stix_id, Record.date_added, Record.content, *GATE_COLUMNS)
CHUNK = 250  # records per task when a process pool computes fingerprints


@dataclass
class RefreshReport:
    partner: str
    versions: int = 0  # record versions looked at
    added: int = 0
    removed: int = 0
    keys: int = 0  # live fingerprints afterwards
    seq: int = 0
    seconds: float = 0.0


def state_of(session: Session, partner: Partner) -> HitIndexState:
    state = session.get(HitIndexState, partner.id)
    if state is None:
        state = HitIndexState(partner_id=partner.id, secret=psi.new_secret(), watermark="",
                              seq=0, key_count=0)  # fmt: skip
        session.add(state)
        session.flush()
    return state


def record_prints(
    secret: bytes, records: Sequence[tuple[int, str]]
) -> list[tuple[int, list[bytes]]]:
    """Each record's (pk, stored JSON) → its index keys' fingerprints (run in a worker)."""
    index_secret = psi.IndexSecret(secret)
    found = []
    for pk, content in records:
        keys = record_keys(orjson.loads(content))
        if keys is not None and keys.keys:
            found.append((pk, [index_secret.fingerprint(key) for key in keys.encoded()]))
    return found


def _prints(
    secret: bytes, records: list[tuple[int, str]], pool: Executor | None
) -> list[tuple[int, list[bytes]]]:
    """:func:`record_prints`, on a process pool when there are many records."""
    if pool is None or len(records) <= CHUNK:
        return record_prints(secret, records)
    chunks = [records[i : i + CHUNK] for i in range(0, len(records), CHUNK)]
    found: list[tuple[int, list[bytes]]] = []
    for part in pool.map(record_prints, [secret] * len(chunks), chunks):
        found += part
    return found


def _searchable(row: Any, audience: HitIndex) -> bool:
    facts = facts_from(row.stix_id, tuple(row[GATE_START:]))
    return facts.owned_here and not facts.recalled and bool(gate.decide(facts, audience))


def _apply(
    session: Session,
    state: HitIndexState,
    stix_ids: list[str],
    audience: HitIndex,
    pool: Executor | None,
    report: RefreshReport,
    seq: int,
) -> None:
    """Bring the entries of these records in line with their current versions."""
    current = session.execute(
        select(*_COLUMNS).where(
            Record.stix_id.in_(stix_ids),
            Record.is_current.is_(True),
            Record.revoked.is_(False),
        )
    ).all()
    searchable = [(row.pk, row.content) for row in current if _searchable(row, audience)]
    id_by_pk = {row.pk: row.stix_id for row in current}
    new: dict[str, dict[bytes, int]] = defaultdict(dict)  # stix id -> fingerprint -> pk
    for pk, prints in _prints(state.secret, searchable, pool):
        for fingerprint in prints:
            new[id_by_pk[pk]][fingerprint] = pk
    # removed_seq is tested here, not in SQL: with it there, SQLite walks the (partner,
    # removed_seq) index over every live entry instead of starting from these records.
    found = session.execute(
        select(HitIndexEntry.id, HitIndexEntry.fingerprint, HitIndexEntry.record_pk,
               Record.stix_id, HitIndexEntry.removed_seq)
        .join(Record, Record.pk == HitIndexEntry.record_pk)
        .where(HitIndexEntry.partner_id == state.partner_id, Record.stix_id.in_(stix_ids))
    ).all()  # fmt: skip
    live = [row[:4] for row in found if row.removed_seq is None]
    gone: list[int] = []
    moved: dict[int, list[int]] = defaultdict(list)  # new pk -> entry ids kept for it
    held: dict[str, set[bytes]] = defaultdict(set)
    for entry_id, fingerprint, record_pk, stix_id in live:
        target = new[stix_id].get(fingerprint)
        if target is None or fingerprint in held[stix_id]:
            gone.append(entry_id)  # no longer a key of the record (or a duplicate)
            continue
        held[stix_id].add(fingerprint)
        if target != record_pk:
            moved[target].append(entry_id)  # same key, newer version: the partner keeps it
    for start in range(0, len(gone), 500):
        session.execute(
            update(HitIndexEntry)
            .where(HitIndexEntry.id.in_(gone[start : start + 500]))
            .values(removed_seq=seq)
        )
    for pk, entry_ids in moved.items():
        session.execute(
            update(HitIndexEntry).where(HitIndexEntry.id.in_(entry_ids)).values(record_pk=pk)
        )
    added = [
        {"partner_id": state.partner_id, "record_pk": pk, "fingerprint": fingerprint, "seq": seq}
        for stix_id, prints_of in new.items()
        for fingerprint, pk in prints_of.items()
        if fingerprint not in held[stix_id]
    ]
    if added:
        session.connection().execute(insert(cast(Table, HitIndexEntry.__table__)), added)
    report.added += len(added)
    report.removed += len(gone)


def _followed_id(row: Any) -> str:
    """The record a changed row is about: itself, or the one a recall names."""
    if row.type == RECALL_TYPE:
        return str(orjson.loads(row.content).get("record_id", ""))
    return str(row.stix_id)


def refresh(
    session: Session,
    partner: Partner,
    *,
    pool: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> RefreshReport:
    """Bring the partner's index up to date with this node's records; what changed."""
    started = time.perf_counter()
    state = state_of(session, partner)
    audience = HitIndex(partner.country)
    report = RefreshReport(partner.node_id)
    seq = state.seq + 1  # every change of this refresh carries it; taken only if one is made
    while True:
        changed = session.execute(
            select(Record.stix_id, Record.date_added, Record.type, Record.content)
            .where(
                Record.kind.in_(MATCHED_KINDS) | (Record.type == RECALL_TYPE),
                Record.date_added > state.watermark,
            )
            .order_by(Record.date_added, Record.pk)
            .limit(BATCH)
        ).all()
        if not changed:
            break
        # A recall flags the versions it recalls without a new one: its own record says which.
        stix_ids = sorted({_followed_id(row) for row in changed})
        _apply(session, state, stix_ids, audience, pool, report, seq)
        state.watermark = changed[-1].date_added
        report.versions += len(changed)
        if progress is not None:
            progress(report.versions)
    if report.added or report.removed:
        state.seq = seq
    state.key_count += report.added - report.removed
    state.refreshed_at = now()
    report.keys, report.seq = state.key_count, state.seq
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def live_fingerprints(session: Session, partner: Partner) -> set[bytes]:
    """What the partner may test its keys against now."""
    return set(
        session.execute(
            select(HitIndexEntry.fingerprint).where(
                HitIndexEntry.partner_id == partner.id, HitIndexEntry.removed_seq.is_(None)
            )
        ).scalars()
    )


def refresh_partners(
    node: Node,
    only: str | None = None,
    *,
    pool: Executor | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> list[RefreshReport]:
    """Refresh the index of every enabled partner (or of ``only``), each in its own transaction."""
    with node.db.session() as session:
        if only is not None:
            names = [get_partner(session, only).node_id]
        else:
            names = list(
                session.execute(
                    select(Partner.node_id)
                    .where(Partner.enabled.is_(True))
                    .order_by(Partner.node_id)
                ).scalars()
            )
    reports = []
    for name in names:
        with node.db.session() as session:
            partner = get_partner(session, name)
            tick = None if progress is None else (lambda done, n=name: progress(n, done))
            reports.append(refresh(session, partner, pool=pool, progress=tick))
    return reports
