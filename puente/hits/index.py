"""Each partner's hit/no-hit index: the fingerprints of the match keys it may test.

A partner has an index in each match-key spec version this node serves (``hits.spec_versions``):
each is an index of its own, with its own PSI secret, sequence and watermark, built from the
keys of that version; every function here takes the version it is about.

The index for a partner holds the keys of this node's own current records of kind person,
firearm or vehicle that the egress gate lets that partner search (its country in SEARCHABLE
BY; never received, revoked or recalled records). :func:`refresh` follows the records from
the last version it took into account: a new record, a new version (new markings included),
a revocation or a recall (through the recall's own record) changes the index at the next
refresh. A record the partner may no longer search leaves sooner, with the very write that
withdrew it (:mod:`puente.hits.withdrawals`); the refresh finds it gone. Removed fingerprints
stay as tombstones carrying the sequence number of the change that removed them (a refresh's
or a withdrawal's), so a partner can be sent exactly what changed since the one it last saw.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Table, case, delete, insert, select, update
from sqlalchemy.orm import Session

from puente.clock import now
from puente.db import get_or_add
from puente.hits import psi
from puente.hits.extract import record_keys
from puente.hits.models import HitIndexEntry, HitIndexState
from puente.policy import gate
from puente.policy.gate import HitIndex
from puente.records.kinds import FIREARM_TYPE, VEHICLE_TYPE
from puente.records.models import Record
from puente.records.rows import GATE_COLUMNS, GateValues, facts_from
from puente.sharing.models import Partner
from puente.sharing.recalls import RECALL_TYPE
from puente.statistics import RUN_BASE, refresh_statistics

ENTRIES = HitIndexEntry.__tablename__
# The STIX types of the kinds matched (person, firearm, vehicle), followed by type, not kind:
# a person's new version may be of another kind (an identity whose identity_class is no
# longer "individual"), and it must take the record's keys out of the index.
MATCHED_TYPES = ("identity", FIREARM_TYPE, VEHICLE_TYPE)
BATCH = 2000  # record versions per round: bounded memory, however far behind the index is
GATE_START = 4
_COLUMNS = (Record.pk, Record.stix_id, Record.date_added, Record.content, *GATE_COLUMNS)
LOOKUP_BATCH = 1000  # record versions per lookup of their entries
CHUNK = 250  # records per task when a process pool computes fingerprints
# Only a recall's own record is read whole (it names the record it recalls).
_RECALL_CONTENT = case((Record.type == RECALL_TYPE, Record.content), else_="").label("content")


@dataclass
class RefreshReport:
    partner: str
    spec_version: int = 1
    versions: int = 0  # record versions looked at
    added: int = 0
    removed: int = 0
    keys: int = 0  # live fingerprints afterwards
    seq: int = 0
    seconds: float = 0.0


def state_of(
    session: Session, partner: Partner, version: int, *, lock: bool = False
) -> HitIndexState:
    """The state of the partner's index in spec ``version``, made on first use. ``lock``: held
    until the transaction ends (a refresh), read as committed last: each `puente serve` worker
    refreshes every index on its tick, and two refreshes from one state wrote the same entries
    twice."""
    return get_or_add(
        session, HitIndexState, (partner.id, version),
        lambda: HitIndexState(partner_id=partner.id, spec_version=version,
                              secret=psi.new_secret(), watermark="", seq=0, key_count=0),
        lock=lock,
    )  # fmt: skip


def record_prints(
    secret: bytes, records: Sequence[tuple[int, str]], version: int = 1
) -> list[tuple[int, list[bytes]]]:
    """Each record's (pk, stored JSON) → its index keys' fingerprints in spec ``version``
    (run in a worker)."""
    index_secret = psi.IndexSecret(secret)
    found = []
    for pk, content in records:
        keys = record_keys(orjson.loads(content), version)
        if keys is not None and keys.keys:
            found.append((pk, [index_secret.fingerprint(key) for key in keys.encoded()]))
    return found


def _submit(
    secret: bytes, records: list[tuple[int, str]], version: int, pool: Executor | None
) -> Callable[[], list[tuple[int, list[bytes]]]]:
    """:func:`record_prints` started on the pool (when there is one and work enough for it):
    what it returns gives the result, waiting for it if need be."""
    if pool is None or len(records) <= CHUNK:
        return lambda: record_prints(secret, records, version)
    chunks = [records[i : i + CHUNK] for i in range(0, len(records), CHUNK)]
    futures = [pool.submit(record_prints, secret, chunk, version) for chunk in chunks]
    return lambda: [found for future in futures for found in future.result()]


@dataclass
class _Batch:
    """Changed records whose fingerprints are being computed while the previous batch is
    written: the two processes of the pool and this one work at the same time."""

    stix_ids: list[str]
    id_by_pk: dict[int, str]
    prints: Callable[[], list[tuple[int, list[bytes]]]]
    watermark: str
    versions: int


def searchable(stix_id: str, gate_values: GateValues, audience: HitIndex) -> bool:
    """Whether a current, unrevoked version (its GATE_COLUMNS) belongs in the index."""
    facts = facts_from(stix_id, gate_values)
    return facts.owned_here and not facts.recalled and bool(gate.decide(facts, audience))


def _searchable(row: Any, audience: HitIndex) -> bool:
    return searchable(row.stix_id, tuple(row[GATE_START:]), audience)


def _prepare(
    session: Session,
    state: HitIndexState,
    changed: Sequence[Any],
    audience: HitIndex,
    pool: Executor | None,
) -> _Batch:
    """Read the current versions of the changed records and start their fingerprints."""
    # A recall flags the versions it recalls without a new one: its own record says which.
    stix_ids = sorted({_followed_id(row) for row in changed})
    current = session.execute(
        select(*_COLUMNS).where(
            Record.stix_id.in_(stix_ids),
            Record.is_current.is_(True),
            Record.revoked.is_(False),
        )
    ).all()
    searchable = [(row.pk, row.content) for row in current if _searchable(row, audience)]
    return _Batch(stix_ids, {row.pk: row.stix_id for row in current},
                  _submit(state.secret, searchable, state.spec_version, pool),
                  changed[-1].date_added,
                  len(changed))  # fmt: skip


def _apply(
    session: Session, state: HitIndexState, batch: _Batch, report: RefreshReport, seq: int
) -> None:
    """Bring the entries of these records in line with their current versions."""
    stix_ids = batch.stix_ids
    new: dict[str, dict[bytes, int]] = defaultdict(dict)  # stix id -> fingerprint -> pk
    for pk, prints in batch.prints():
        for fingerprint in prints:
            new[batch.id_by_pk[pk]][fingerprint] = pk
    # The lookup starts from these records' versions (their pks, then their entries through
    # the (partner, record) index), never from the index: a join left to the planner walked
    # the whole index of millions of entries on PostgreSQL for a batch of 2,000 records.
    # removed_seq is tested here, not in SQL: with it there, SQLite walks the (partner,
    # removed_seq) index over every live entry instead of starting from these records.
    versions_of = select(Record.pk, Record.stix_id).where(Record.stix_id.in_(stix_ids))
    id_of: dict[int, str] = {row.pk: row.stix_id for row in session.execute(versions_of)}
    versions = list(id_of)
    live = []
    for start in range(0, len(versions), LOOKUP_BATCH):
        found = session.execute(
            select(HitIndexEntry.id, HitIndexEntry.fingerprint, HitIndexEntry.record_pk,
                   HitIndexEntry.removed_seq)
            .where(HitIndexEntry.partner_id == state.partner_id,
                   HitIndexEntry.spec_version == state.spec_version,
                   HitIndexEntry.record_pk.in_(versions[start : start + LOOKUP_BATCH]))
        ).all()  # fmt: skip
        live += [(row.id, row.fingerprint, row.record_pk, id_of[row.record_pk])
                 for row in found if row.removed_seq is None]  # fmt: skip
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
        (state.partner_id, state.spec_version, pk, fingerprint, seq)
        for stix_id, prints_of in new.items()
        for fingerprint, pk in prints_of.items()
        if fingerprint not in held[stix_id]
    ]
    if added:
        _insert_entries(session, added)
    report.added += len(added)
    report.removed += len(gone)


_ENTRY_COLUMNS = ("partner_id", "spec_version", "record_pk", "fingerprint", "seq")


def _insert_entries(session: Session, rows: list[tuple[int, int, int, bytes, int]]) -> None:
    """Insert entries through the driver: a first build writes millions of them, and Core's
    per-row parameter processing cost more than the database's insert."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        copy_rows(session, ENTRIES, _ENTRY_COLUMNS, rows)
        return
    sql = str(insert(cast(Table, HitIndexEntry.__table__)).compile(
        dialect=dialect, column_keys=list(_ENTRY_COLUMNS)))  # fmt: skip
    if dialect.paramstyle in ("qmark", "format", "numeric"):
        connection.exec_driver_sql(sql, rows)
    else:  # named or pyformat placeholders take mappings
        connection.exec_driver_sql(sql, [dict(zip(_ENTRY_COLUMNS, r, strict=True)) for r in rows])


def copy_rows(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Rows into a table with ``COPY`` (PostgreSQL), in the session's transaction: measured on
    a million fingerprints, half the CPU of an ``INSERT ... SELECT FROM unnest(...)`` of
    arrays and a fifth of its wall time on a loaded machine; ``executemany`` is far slower."""
    driver = session.connection().connection.driver_connection
    # Table and column names come from this package's models, never from input.
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)


def _followed_id(row: Any) -> str:
    """The record a changed row is about: itself, or the one a recall names."""
    if row.type == RECALL_TYPE:
        return str(orjson.loads(row.content).get("record_id", ""))
    return str(row.stix_id)


def refresh(
    session: Session,
    partner: Partner,
    version: int,
    *,
    pool: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> RefreshReport:
    """Bring the partner's index in spec ``version`` up to date with this node's records;
    what changed."""
    started = time.perf_counter()
    state = state_of(session, partner, version, lock=True)
    audience = HitIndex(partner.country)
    report = RefreshReport(partner.node_id, version)
    seq = state.seq + 1  # every change of this refresh carries it; taken only if one is made
    pending: _Batch | None = None
    unanalyzed = 0  # entries written since the last ANALYZE
    while True:
        after = pending.watermark if pending is not None else state.watermark
        changed = session.execute(
            select(Record.stix_id, Record.date_added, Record.type, _RECALL_CONTENT)
            .where(
                Record.type.in_((*MATCHED_TYPES, RECALL_TYPE)),
                Record.date_added > after,
            )
            .order_by(Record.date_added, Record.pk)
            .limit(BATCH)
        ).all()
        batch = _prepare(session, state, changed, audience, pool) if changed else None
        if pending is not None:  # written while the pool computes the next batch
            before = report.added + report.removed
            _apply(session, state, pending, report, seq)
            unanalyzed += report.added + report.removed - before
            # A first build writes millions of entries in this transaction: the planner
            # learns their size as they grow (each time the table doubles), not at the end.
            if refresh_statistics(session, {ENTRIES: unanalyzed}, scale=1.0, base=RUN_BASE,
                                  quick=True):  # fmt: skip
                unanalyzed = 0
            state.watermark = pending.watermark
            report.versions += pending.versions
            if progress is not None:
                progress(report.versions)
        if batch is None:
            break
        pending = batch
    if report.added or report.removed:
        state.seq = seq
    if unanalyzed:  # autovacuum may be off: the node keeps its own statistics
        refresh_statistics(session, {ENTRIES: unanalyzed})
    state.key_count += report.added - report.removed
    state.refreshed_at = now()
    report.keys, report.seq = state.key_count, state.seq
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def live_fingerprints(session: Session, partner: Partner, version: int) -> set[bytes]:
    """What the partner may test its keys of spec ``version`` against now."""
    return set(
        session.execute(
            select(HitIndexEntry.fingerprint).where(
                HitIndexEntry.partner_id == partner.id,
                HitIndexEntry.spec_version == version,
                HitIndexEntry.removed_seq.is_(None),
            )
        ).scalars()
    )


def compact(session: Session, partner: Partner, version: int) -> int:
    """Delete the removed entries of the partner's index in spec ``version`` that the partner
    no longer needs: those removed at or before the refresh it last said it holds. A partner
    asking from before that gets the whole index."""
    state = state_of(session, partner, version)
    floor = min(state.partner_seq, state.seq)
    if floor <= state.compacted_seq:
        return 0
    result = session.execute(
        delete(HitIndexEntry).where(
            HitIndexEntry.partner_id == partner.id,
            HitIndexEntry.spec_version == version,
            HitIndexEntry.removed_seq.is_not(None),
            HitIndexEntry.removed_seq <= floor,
        )
    )
    state.compacted_seq = floor
    return int(getattr(result, "rowcount", 0) or 0)
