"""A record leaves a partner's hit/no-hit index with the write that stops the partner from
searching it.

The refresh (:mod:`puente.hits.index`) follows the records up to a sync interval behind. Until
it ran, a partner's index still held the keys of a record its originator had recalled, revoked
or re-marked out of the partner's SEARCHABLE BY, and the partner's queries still hit it. So
records and sharing tell hits of those writes (:mod:`puente.records.events`), and the record's
entries are marked removed in the writer's transaction, under a new sequence number of the
index: once the write commits, no download of the index (whole, or the changes since any
earlier sequence) and so no query gives them; a write rolled back leaves them.

Only removals are made here: a new record, or a key that a new version changed, waits for the
refresh, which computes fingerprints in bulk (a write should not pay for them, nor an import of
new records for anything). The cost falls on records that may have entries: those of a kind
matched whose versions were once searchable by the partner. A partner's indexes in every spec
version (one each, puente.hits.index) lose them, those of versions no longer served too: one
served again later picks up from where it was, and must hold nothing withdrawn meanwhile.

Locks, on PostgreSQL: the index state's row lock is taken after the records' write lock (every
writer of records takes that first), so a refresh that is writing entries for the record
finishes before they are looked up, and a refresh that starts later reads the committed write.
A transaction waiting here may hold the audit chain's head: nothing that holds this lock waits
for the head (:func:`puente.hits.answering.index_changes` appends to the chain first).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from puente.config import Settings
from puente.db import batches, one_of
from puente.hits.index import LOOKUP_BATCH, MATCHED_TYPES, searchable, state_of
from puente.hits.models import HitIndexEntry, HitIndexState
from puente.policy.gate import HitIndex
from puente.policy.roles import Principal
from puente.records.models import Record
from puente.records.rows import GATE_COLUMNS, markings_from
from puente.sharing.models import Partner

_COLUMNS = (Record.pk, Record.stix_id, Record.is_current, Record.revoked, *GATE_COLUMNS)
_GATE_START = 4
_SEQ = "puente.hits.withdrawal_seq"  # session.info: (transaction, {(partner, version): seq})


def withdraw_keys(
    session: Session, settings: Settings, writer: Principal, stix_ids: list[str]
) -> int:
    """Mark removed the index entries of these own records in every index (each spec version's)
    of every partner that may no longer search them (a records.events listener); how many."""
    if not stix_ids:
        return 0
    partners = session.execute(select(Partner.id, Partner.country).order_by(Partner.id)).all()
    if not partners:
        return 0
    # Every index there is, and every one a refresh may be building for the first time: that
    # build's state is not committed yet, and only taking its lock (below, which waits for the
    # build to commit) finds the entries it is adding for a record withdrawn meanwhile.
    built = session.execute(select(HitIndexState.partner_id, HitIndexState.spec_version)).all()
    indexes = sorted({(p.id, v) for p in partners for v in settings.hits.spec_versions}
                     | {(row.partner_id, row.spec_version) for row in built})  # fmt: skip
    audiences = [(p.id, HitIndex(p.country)) for p in partners]
    doomed: dict[int, list[int]] = defaultdict(list)  # partner id -> version pks
    for batch in batches(session, sorted(set(stix_ids))):
        rows = session.execute(
            select(*_COLUMNS)
            .where(
                one_of(session, Record.stix_id, batch),
                Record.type.in_(MATCHED_TYPES),
                Record.received.is_(False),
            )
            .order_by(Record.stix_id)
        ).all()
        for _, group in groupby(rows, key=lambda row: row.stix_id):
            versions = list(group)
            for partner_id, audience in audiences:
                if _withdrawn(versions, audience):
                    doomed[partner_id] += [version.pk for version in versions]
    # In one order, whoever the writer: two writers never wait on each other's index.
    return sum(
        _remove(session, partner_id, version, doomed[partner_id])
        for partner_id, version in indexes
        if partner_id in doomed
    )


def _withdrawn(versions: Sequence[Any], audience: HitIndex) -> bool:
    """Whether the index for ``audience`` may hold entries of this record that it must not."""
    current = next((v for v in versions if v.is_current), None)
    if (
        current is not None
        and not current.revoked
        and searchable(current.stix_id, tuple(current[_GATE_START:]), audience)
    ):
        return False  # still searchable: its keys are the refresh's to follow
    # Only a version once marked searchable by the partner can have given it entries (a
    # recalled one too: the flag came after). Records never searchable by it cost nothing more.
    return any(
        audience.country in markings_from(tuple(v[_GATE_START:])).searchable_by for v in versions
    )


def _remove(session: Session, partner_id: int, version: int, pks: list[int]) -> int:
    """Mark the live entries from these record versions removed in the partner's index in
    spec ``version``; how many."""
    partner = session.get(Partner, partner_id)
    assert partner is not None
    # Locked before the entries are read, and held until the write commits: a refresh that
    # is adding entries for these versions (it read them before this write) commits first,
    # and its entries are found below; one that starts later reads the write.
    state = state_of(session, partner, version, lock=True)
    live: list[int] = []
    for start in range(0, len(pks), LOOKUP_BATCH):
        found = session.execute(
            select(HitIndexEntry.id, HitIndexEntry.removed_seq).where(
                HitIndexEntry.partner_id == partner_id,
                HitIndexEntry.spec_version == version,
                HitIndexEntry.record_pk.in_(pks[start : start + LOOKUP_BATCH]),
            )
        ).all()
        # removed_seq tested here, not in SQL: see index._apply (the planner's choice).
        live += [row.id for row in found if row.removed_seq is None]
    if not live:
        return 0
    seq = _seq(session, state)
    for start in range(0, len(live), 500):
        session.execute(
            update(HitIndexEntry)
            .where(HitIndexEntry.id.in_(live[start : start + 500]))
            .values(removed_seq=seq)
        )
    state.key_count -= len(live)
    return len(live)


def _seq(session: Session, state: HitIndexState) -> int:
    """The sequence number the removals carry: a new one, as a refresh takes (a partner holding
    the sequence before it gets them as removed), and the same one for every removal of one
    transaction (an import tells its listeners once a batch)."""
    transaction = session.get_transaction()
    held = session.info.get(_SEQ)
    if held is None or held[0] is not transaction:
        held = session.info[_SEQ] = (transaction, {})
    taken: dict[tuple[int, int], int] = held[1]
    index = (state.partner_id, state.spec_version)
    # A savepoint rolled back since would have taken the number back with it.
    if taken.get(index) != state.seq:
        state.seq += 1
        taken[index] = state.seq
    return state.seq
