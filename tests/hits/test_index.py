"""A partner's index follows the records: searchable ones in, changed keys swapped, revoked,
unsearchable and recalled ones out, each change under the refresh that made it."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from puente.hits import index, psi
from puente.hits.models import HitIndexEntry
from puente.hits.persons import person_keys
from puente.node import Node
from puente.policy.markings import Markings, apply_markings
from puente.policy.roles import Principal
from puente.records import service as records
from puente.records.models import Record
from puente.sharing import recalls
from puente.sharing.models import Partner
from tests.support.partners import add_keyed_partner

SEARCHABLE = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"MEX"}))
NOT_SEARCHABLE = Markings(tlp="AMBER", rel_to=frozenset({"USA"}))
PERSON = {"given_names": "José Luis", "paternal_surname": "Hernández",
          "maternal_surname": "Peña", "date_of_birth": "1984-03-12"}  # fmt: skip


@pytest.fixture
def mexico(node: Node, admin: Principal, tmp_path: Path) -> Partner:
    add_keyed_partner(node, admin, tmp_path)
    with node.db.session() as session:
        return session.execute(select(Partner)).scalar_one()


def _person(node: Node, who: Principal, markings: Markings, **fields: str) -> str:
    with node.db.session() as session:
        view = records.create(session, node.settings, who, "person", {**PERSON, **fields},
                              markings)  # fmt: skip
    return view.stix_id


def _refresh(node: Node, partner: Partner) -> index.RefreshReport:
    with node.db.session() as session:
        return index.refresh(session, partner, 1)


def _hits(node: Node, partner: Partner, **asked: str) -> bool:
    """Whether the partner, asking about this person through PSI, gets a hit."""
    query = {**PERSON, **asked}
    keys = person_keys(query["given_names"], query["paternal_surname"],
                       query["maternal_surname"], date_of_birth=query["date_of_birth"],
                       query=True).encoded()  # fmt: skip
    with node.db.session() as session:
        secret = psi.IndexSecret(index.state_of(session, partner, 1).secret)
        published = index.live_fingerprints(session, partner, 1)
    blinding = psi.Blinding()
    return any(blinding.unblind(secret.answer(blinding.blind(k))) in published for k in keys)


def test_only_searchable_records_are_indexed(
    node: Node, analyst: Principal, mexico: Partner
) -> None:
    _person(node, analyst, SEARCHABLE)
    _person(node, analyst, NOT_SEARCHABLE, given_names="Ana", paternal_surname="Ruiz")
    report = _refresh(node, mexico)
    assert report.added == report.keys > 0
    assert _hits(node, mexico, given_names="Pepe", maternal_surname="")
    assert not _hits(node, mexico, given_names="Ana", paternal_surname="Ruiz")
    assert _refresh(node, mexico).added == 0  # nothing new: nothing changes, no new refresh


def test_a_new_version_swaps_only_the_keys_that_changed(
    node: Node, analyst: Principal, mexico: Partner
) -> None:
    stix_id = _person(node, analyst, SEARCHABLE)
    first = _refresh(node, mexico)
    with node.db.session() as session:
        records.new_version(session, node.settings, analyst, stix_id,
                            {**PERSON, "date_of_birth": "1984-03-13"}, SEARCHABLE)  # fmt: skip
    second = _refresh(node, mexico)
    assert second.seq == first.seq + 1
    assert 0 < second.removed < first.keys  # the date keys went; the year key stayed
    assert second.added == second.removed
    assert _hits(node, mexico, date_of_birth="1984-03-13")
    assert not _hits(node, mexico, date_of_birth="1984-03-12")


def test_unsearchable_markings_revocation_and_recall_take_records_out(
    node: Node, analyst: Principal, mexico: Partner
) -> None:
    relabelled = _person(node, analyst, SEARCHABLE)
    revoked = _person(node, analyst, SEARCHABLE, given_names="Ana", paternal_surname="Ruiz")
    recalled = _person(node, analyst, SEARCHABLE, given_names="Eva", paternal_surname="Soto")
    _refresh(node, mexico)
    with node.db.session() as session:
        records.new_version(session, node.settings, analyst, relabelled, PERSON, NOT_SEARCHABLE)
        records.revoke(session, node.settings, analyst, revoked)
        recalls.recall(session, node, analyst, recalled, "shared by mistake")
    report = _refresh(node, mexico)
    assert report.keys == 0
    for asked in ({}, {"given_names": "Ana", "paternal_surname": "Ruiz"},
                  {"given_names": "Eva", "paternal_surname": "Soto"}):  # fmt: skip
        assert not _hits(node, mexico, **asked)
    with node.db.session() as session:
        tombstones = session.execute(
            select(HitIndexEntry.removed_seq).where(HitIndexEntry.partner_id == mexico.id)
        ).scalars()
        assert set(tombstones) == {report.seq}  # every removal, under the write that made it


def test_a_person_versioned_as_another_kind_leaves_the_index(
    node: Node, analyst: Principal, mexico: Partner
) -> None:
    """A new version of a person's identity as an organization (identity_class changed),
    marked no longer searchable by Mexico: the index followed persons by kind, never saw the
    version, and Mexico kept its hits on the person."""
    stix_id = _person(node, analyst, SEARCHABLE)
    _refresh(node, mexico)
    assert _hits(node, mexico)
    with node.db.session() as session:
        stored = session.execute(
            select(Record.content).where(Record.stix_id == stix_id)
        ).scalar_one()
    organization = {**orjson.loads(stored), "identity_class": "organization",
                    "modified": "2030-01-01T00:00:00.000Z"}  # fmt: skip
    apply_markings(organization, NOT_SEARCHABLE)
    with node.db.session() as session:
        assert records.import_objects(session, node.settings, analyst, [organization]).stored == 1
    report = _refresh(node, mexico)
    assert report.keys == 0
    assert not _hits(node, mexico)


def test_received_records_are_never_offered(node: Node, mexico: Partner) -> None:
    from tests.support.partners import receive

    obj = {
        "type": "identity", "spec_version": "2.1", "identity_class": "individual",
        "id": "identity--9b7d6e52-1c41-4a57-9c1e-2f0e8d3a4b5c", "name": "Ana Ruiz",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
    }  # fmt: skip
    receive(node, "mx-node", [obj], "2026-01-02T00:00:00.000000Z")
    assert _refresh(node, mexico).keys == 0


def test_removed_entries_go_once_the_partner_holds_what_removed_them(
    node: Node, analyst: Principal, mexico: Partner
) -> None:
    from puente.hits import answering
    from puente.sharing.partners import PartnerPrincipal

    asker = PartnerPrincipal(mexico.id, mexico.node_id, mexico.country)
    stix_id = _person(node, analyst, SEARCHABLE)
    first = _refresh(node, mexico)
    with node.db.session() as session:
        records.new_version(session, node.settings, analyst, stix_id,
                            {**PERSON, "date_of_birth": "1984-03-13"}, SEARCHABLE)  # fmt: skip
    second = _refresh(node, mexico)

    def tombstones() -> int:
        with node.db.session() as session:
            return len(session.execute(select(HitIndexEntry).where(
                HitIndexEntry.removed_seq.is_not(None))).all())  # fmt: skip

    with node.db.session() as session:
        assert index.compact(session, mexico, 1) == 0  # the partner never said what it holds
        # Mexico holds the first refresh and asks what changed: it needs the removals still.
        delta = answering.index_changes(session, asker, first.seq)
        assert not delta["full"]
        assert index.compact(session, mexico, 1) == 0
        answering.index_changes(session, asker, second.seq)  # now it holds the second
    assert tombstones() == second.removed
    with node.db.session() as session:
        assert index.compact(session, mexico, 1) == second.removed
    assert tombstones() == 0
    with node.db.session() as session:
        late = answering.index_changes(session, asker, first.seq)  # from before the compaction
    assert late["full"]
    assert _hits(node, mexico, date_of_birth="1984-03-13")


def test_two_workers_refreshing_one_index_at_once_take_turns(
    node: Node, analyst: Principal, mexico: Partner
) -> None:
    """Each `puente serve` worker refreshes every index on its scheduler's tick. Two at once
    each read the index's state before the other wrote it: both added the same entries under
    the same refresh, and the key count went up twice."""
    if node.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes writers take turns")
    with node.db.session() as session:
        index.state_of(session, mexico, 1)  # as after a first refresh
    _person(node, analyst, SEARCHABLE)
    reports: list[index.RefreshReport] = []
    other = threading.Thread(target=lambda: reports.append(_refresh(node, mexico)), daemon=True)
    with node.db.session() as session:
        first = index.refresh(session, mexico, 1)
        other.start()
        other.join(1)  # the other worker starts while this refresh is not committed yet
    other.join(30)
    assert not other.is_alive()
    assert first.added > 0
    assert reports[0].added == reports[0].removed == 0
    with node.db.session() as session:
        live = session.execute(
            select(HitIndexEntry.record_pk, HitIndexEntry.fingerprint).where(
                HitIndexEntry.partner_id == mexico.id, HitIndexEntry.removed_seq.is_(None)
            )
        ).all()
        assert len(live) == len(set(live)) == first.added
        assert index.state_of(session, mexico, 1).key_count == first.added
