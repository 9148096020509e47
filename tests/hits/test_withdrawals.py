"""A record the partner may no longer search leaves its hit/no-hit index with the write that
withdrew it, not at the next refresh: from the moment the write commits, the partner's query
says no hit and its index downloads (whole, or what changed since the sequence it held) carry
none of the record's fingerprints; the records it may still search still hit. Both nodes serve
spec versions 1 and 2 (queries follow 2): the record leaves the index of each."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from puente.audit import service as audit
from puente.hits import answering, index, refresh
from puente.hits import transport as hit_transport
from puente.hits.models import HitIndexEntry
from puente.hits.subjects import Subject
from puente.node import Node
from puente.policy.markings import Markings, apply_markings
from puente.policy.roles import Principal
from puente.records import service as records
from puente.records.models import Record
from puente.sharing import recalls, taxii
from puente.sharing.models import Partner
from puente.sharing.partners import PartnerPrincipal
from puente.sharing.query import Filters
from tests.support.linked import HELD_FIREARM, HELD_PERSON, SEARCHABLE, Linked
from tests.support.nodes import add_user

PERSON = Subject.from_dict({"category": "person", **HELD_PERSON})
FIREARM = Subject.from_dict({"category": "firearm", "manufacturer": "Glock",
                             "serial": HELD_FIREARM["serial_number"]})  # fmt: skip
RED = Markings(tlp="RED", rel_to=frozenset({"USA"}))
RED_SEARCHABLE = Markings(tlp="RED", rel_to=frozenset({"USA"}), searchable_by=frozenset({"MEX"}))
NARROWED = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"CAN"}))
Change = Callable[[Any, Node, Principal, str], object]
VERSIONS = (1, 2)  # the indexes the US node keeps for Mexico (hits.spec_versions by default)


def _officer(linked: Linked) -> Principal:
    return add_user(linked.us, "cbp1", "CBP", ["analyst"])  # who made the held records


def _mexico(linked: Linked) -> PartnerPrincipal:
    """Mexico as the US node knows it, when it downloads the index."""
    with linked.us.db.session() as session:
        row = session.execute(select(Partner).where(Partner.node_id == "mx-node")).scalar_one()
        return PartnerPrincipal(row.id, row.node_id, row.country)


def _ask(linked: Linked) -> list[bool]:
    """Hit or no hit, person then firearm, as Mexico's analyst asks: its copy of the US index
    brought up to date (what changed since the last time) first."""
    fer = add_user(linked.mx, "fer", "FGR", ["analyst"])
    answer = hit_transport.ask(linked.mx, fer, "us-node", [PERSON, FIREARM],
                               case_reference="FGR/0042", legal_basis="TAJM art. 1")  # fmt: skip
    return [subject.hit for subject in answer.subjects]


def _prints(linked: Linked, stix_id: str, version: int | None = 1) -> set[bytes]:
    """Every fingerprint the record ever gave Mexico's index in ``version`` (None: any)."""
    with linked.us.db.session() as session:
        versions = select(Record.pk).where(Record.stix_id == stix_id)
        found = select(HitIndexEntry.fingerprint).where(HitIndexEntry.record_pk.in_(versions))
        if version is not None:
            found = found.where(HitIndexEntry.spec_version == version)
        return set(session.execute(found).scalars())


def _download(linked: Linked, since: int, version: int = 1) -> dict[str, Any]:
    with linked.us.db.session() as session:
        changes = answering.index_changes(session, _mexico(linked), since, version=version,
                                          served=VERSIONS)  # fmt: skip
    assert changes["next"] == ""  # one page
    for name in ("added", "removed"):
        raw = base64.b64decode(changes[name])
        changes[name] = {raw[i : i + 8] for i in range(0, len(raw), 8)}
    return changes


def _seq(linked: Linked, version: int = 1) -> int:
    with linked.us.db.session() as session:
        partner = session.get(Partner, _mexico(linked).partner_id)
        assert partner is not None
        return index.state_of(session, partner, version).seq


def _recall(session: Any, node: Node, who: Principal, stix_id: str) -> object:
    return recalls.recall(session, node, who, stix_id, "shared by mistake")


def _revoke(session: Any, node: Node, who: Principal, stix_id: str) -> object:
    return records.revoke(session, node.settings, who, stix_id)


def _taxii_delete(session: Any, node: Node, who: Principal, stix_id: str) -> object:
    """TAXII §5.7 Delete an Object: this node revokes it."""
    (collection,) = taxii.collections(session, node, who)["collections"]
    taxii.delete_object(session, node, who, collection["id"], stix_id, Filters(versions=("all",)))
    return None


def _remarked(markings: Markings) -> Change:
    def change(session: Any, node: Node, who: Principal, stix_id: str) -> object:
        return records.new_version(session, node.settings, who, stix_id, dict(HELD_PERSON),
                                   markings)  # fmt: skip

    return change


def _imported_red(session: Any, node: Node, who: Principal, stix_id: str) -> object:
    """A bundle holding the record's next version, TLP:RED and searchable by no one."""
    stored = session.execute(
        select(Record.content).where(Record.stix_id == stix_id, Record.is_current.is_(True))
    ).scalar_one()
    newer = {**orjson.loads(stored), "modified": "2030-01-01T00:00:00.000Z"}
    apply_markings(newer, RED)
    return records.import_objects(session, node.settings, who, [newer])


WAYS = {
    "recall": _recall,
    "revoke": _revoke,
    "taxii-delete": _taxii_delete,
    "version-tlp-red": _remarked(RED),
    "version-searchable-by-narrowed": _remarked(NARROWED),
    "import-tlp-red": _imported_red,
}


@pytest.mark.parametrize("way", WAYS.values(), ids=list(WAYS))
def test_a_withdrawn_record_stops_hitting_at_once(linked: Linked, way: Change) -> None:
    person, firearm = linked.held
    assert _ask(linked) == [True, True]  # Mexico holds a copy of the index at this sequence
    before = {v: _seq(linked, v) for v in VERSIONS}
    gone = {v: _prints(linked, person, v) for v in VERSIONS}
    kept = {v: _prints(linked, firearm, v) for v in VERSIONS}
    assert all(gone.values())
    assert all(kept.values())
    assert not gone[1] & gone[2]  # two indexes, two secrets
    officer = _officer(linked)
    with linked.us.db.session() as session:
        way(session, linked.us, officer, person)
    # No refresh ran: the write itself took the keys out, of the index in each version.
    assert _ask(linked) == [False, True]
    for v in VERSIONS:
        whole = _download(linked, 0, v)
        assert whole["full"]
        assert whole["seq"] == before[v] + 1
        assert not gone[v] & whole["added"]
        assert kept[v] <= whole["added"]
        since = _download(linked, before[v], v)
        assert not since["full"]
        assert since["seq"] == before[v] + 1
        assert gone[v] <= since["removed"]
        assert not kept[v] & since["removed"]
        assert not gone[v] & since["added"]
    # The refresh finds nothing left to do, and does not bring the keys back.
    reports = refresh.refresh_partners(linked.us)
    assert [r.spec_version for r in reports] == list(VERSIONS)
    for report in reports:
        assert (report.added, report.removed, report.seq) == (0, 0, before[report.spec_version] + 1)
    assert _ask(linked) == [False, True]


def test_a_new_version_the_partner_may_still_search_keeps_hitting(linked: Linked) -> None:
    """TLP:RED keeps a record from the partner's collection, not from its hit/no-hit queries:
    SEARCHABLE BY alone decides those (DESIGN.md, the egress gate)."""
    person, _ = linked.held
    officer = _officer(linked)
    _ask(linked)
    before = _seq(linked)
    with linked.us.db.session() as session:
        _remarked(RED_SEARCHABLE)(session, linked.us, officer, person)
    assert _seq(linked) == before
    assert _ask(linked) == [True, True]


def test_a_rolled_back_withdrawal_leaves_the_index_as_it_was(linked: Linked) -> None:
    person, _ = linked.held
    officer = _officer(linked)
    _ask(linked)
    before = _seq(linked)

    def failing() -> None:
        with linked.us.db.session() as session:
            _recall(session, linked.us, officer, person)
            raise RuntimeError("the request failed after the recall")

    with pytest.raises(RuntimeError):
        failing()
    assert _seq(linked) == before
    assert _prints(linked, person) <= _download(linked, 0)["added"]
    assert _ask(linked) == [True, True]


def test_a_recall_takes_the_copies_released_from_the_record_out_too(linked: Linked) -> None:
    """A copy released to answer a request carries its original's recall (sharing.recalls):
    its keys leave the index with the original's."""
    person, _ = linked.held
    officer = _officer(linked)
    with linked.us.db.session() as session:
        copy = records.create(session, linked.us.settings, officer, "person",
                              {**HELD_PERSON, "given_names": "Pepe"}, SEARCHABLE,
                              copy_of=person).stix_id  # fmt: skip
    refresh.refresh_partners(linked.us)
    assert _prints(linked, copy)
    with linked.us.db.session() as session:
        _recall(session, linked.us, officer, person)
    assert not (_prints(linked, person) | _prints(linked, copy)) & _download(linked, 0)["added"]


def test_several_withdrawals_in_one_transaction_take_one_sequence(linked: Linked) -> None:
    person, firearm = linked.held
    officer = _officer(linked)
    _ask(linked)
    before = _seq(linked)
    with linked.us.db.session() as session:
        _revoke(session, linked.us, officer, person)
        _recall(session, linked.us, officer, firearm)
    assert _seq(linked) == before + 1
    assert _ask(linked) == [False, False]
    assert _download(linked, before)["removed"] == _prints(linked, person) | _prints(
        linked, firearm
    )


# --- Concurrency (PostgreSQL: SQLite's BEGIN IMMEDIATE makes writers take turns) -------------


def _postgresql_only(node: Node) -> None:
    if node.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes writers take turns")


def _new_person(linked: Linked, **fields: str) -> str:
    officer = _officer(linked)
    with linked.us.db.session() as session:
        return records.create(session, linked.us.settings, officer, "person",
                              {**HELD_PERSON, **fields}, SEARCHABLE).stix_id  # fmt: skip


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, failures


def test_a_recall_waits_for_a_refresh_writing_the_records_keys(linked: Linked) -> None:
    """The refresh read the record before the recall flagged it, and is writing its keys: the
    recall takes them out once the refresh commits, not before (it would find none)."""
    _postgresql_only(linked.us)
    fresh = _new_person(linked, given_names="Eva", paternal_surname="Soto")
    officer = _officer(linked)
    partner_id = _mexico(linked).partner_id

    def recall() -> None:
        with linked.us.db.session() as session:
            _recall(session, linked.us, officer, fresh)

    with linked.us.db.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        assert index.refresh(session, partner, 1).added > 0  # the new record's keys, uncommitted
        thread, failures = _in_thread(recall)
        thread.join(1)
        assert thread.is_alive()  # the recall waits on the index the refresh holds
    thread.join(30)
    assert not thread.is_alive()
    assert not failures
    assert _prints(linked, fresh)
    assert not _prints(linked, fresh) & _download(linked, 0)["added"]
    assert refresh.refresh_partners(linked.us)[0].added == 0


def test_a_refresh_waits_for_a_recall_and_reads_it(linked: Linked) -> None:
    _postgresql_only(linked.us)
    fresh = _new_person(linked, given_names="Eva", paternal_surname="Soto")
    officer = _officer(linked)
    reports: list[Any] = []
    with linked.us.db.session() as session:
        _recall(session, linked.us, officer, fresh)
        thread, failures = _in_thread(lambda: reports.extend(refresh.refresh_partners(linked.us)))
        thread.join(1)
        assert thread.is_alive()  # the refresh waits for the recall to commit
    thread.join(30)
    assert not thread.is_alive()
    assert not failures
    assert reports[0].added == 0  # it read the recall: the keys never went in
    assert not _prints(linked, fresh)


def test_writes_that_withdraw_nothing_never_wait_for_the_index(linked: Linked) -> None:
    """New records, and new versions Mexico may still search, leave the index to the refresh:
    they neither wait for one that is running nor read the index."""
    _postgresql_only(linked.us)
    person, _ = linked.held
    officer = _officer(linked)
    partner_id = _mexico(linked).partner_id

    def writes() -> None:
        with linked.us.db.session() as session:
            records.create(session, linked.us.settings, officer, "person",
                           {**HELD_PERSON, "given_names": "Ana"}, SEARCHABLE)  # fmt: skip
            records.new_version(session, linked.us.settings, officer, person,
                                {**HELD_PERSON, "date_of_birth": "1984-03-13"}, SEARCHABLE)  # fmt: skip

    with linked.us.db.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        index.state_of(session, partner, 1, lock=True)  # as a refresh holds it
        thread, failures = _in_thread(writes)
        thread.join(30)
        assert not thread.is_alive()
        assert not failures


def test_a_download_waiting_on_the_audit_chain_never_holds_up_a_withdrawal(
    linked: Linked,
) -> None:
    """A write that has appended to the audit chain (a recall has, by the time it withdraws)
    waits for the index's state; a partner's download waited for the chain while holding the
    state (it noted which sequence the partner holds first): each waited on the other."""
    _postgresql_only(linked.us)
    person, _ = linked.held
    officer = _officer(linked)
    _ask(linked)
    before = _seq(linked)
    downloads: list[dict[str, Any]] = []
    with linked.us.db.session() as session:
        audit.append(session, officer.username, "test.hold", person)  # holds the chain's head
        thread, failures = _in_thread(lambda: downloads.append(_download(linked, before)))
        thread.join(1)
        assert thread.is_alive()  # the download waits for the chain
        _recall(session, linked.us, officer, person)
    thread.join(30)
    assert not thread.is_alive()
    assert not failures
    assert _ask(linked) == [False, True]
