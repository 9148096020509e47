"""The hash-chained audit log: every link checked, every kind of tampering caught.

Tampering is done the way an intruder with database access would: plain SQL on the table.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text

from puente.accounts import service as accounts
from puente.audit import service as audit
from puente.audit.models import AuditEntry
from puente.errors import Forbidden, InvalidInput, Locked, Unauthenticated
from puente.node import Node
from puente.policy.roles import Principal
from puente.policy.schemas import MarkingsIn
from puente.records import service as records
from tests.support.nodes import PASSWORD


def _append(node: Node, count: int) -> None:
    with node.db.session() as session:
        for index in range(count):
            audit.append(
                session,
                "ana",
                "test.event",
                f"target-{index}",
                marking="TLP:AMBER · REL TO USA · H0",
                details={"index": index},
            )


def _verify(node: Node, who: Principal) -> audit.VerifyReport:
    with node.db.session() as session:
        return audit.verify(session, who)


def _entries(node: Node) -> list[AuditEntry]:
    with node.db.session() as session:
        return list(session.query(AuditEntry).order_by(AuditEntry.seq))


def _sql(node: Node, statement: str, **params: object) -> None:
    with node.db.engine.begin() as connection:
        connection.execute(text(statement), params)


@pytest.fixture
def chain(node: Node, auditor: Principal) -> list[AuditEntry]:
    """A chain of a dozen entries that verifies."""
    _append(node, 8)
    entries = _entries(node)
    assert len(entries) >= 10
    assert _verify(node, auditor).ok
    return entries


def test_appends_link_each_entry_to_the_one_before(node: Node) -> None:
    _append(node, 3)
    entries = _entries(node)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in entries}) == len(entries)
    last = entries[-1]
    assert (last.actor, last.action, last.target) == ("ana", "test.event", "target-2")
    assert last.marking == "TLP:AMBER · REL TO USA · H0"
    assert last.details == '{"index":2}'


def test_a_checkpoint_after_another_transaction_appended_takes_the_next_seq(
    node: Node, auditor: Principal
) -> None:
    """The scheduler's checkpoint reads the head unlocked, then appends: an entry another
    transaction committed in between (a search, a pull) must not be overwritten or
    duplicated (on PostgreSQL, where both run at once, the sync job failed with a duplicate
    seq under load). SQLite takes writers in turn: nothing runs in between there."""
    if node.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes writers take turns")
    _append(node, 2)
    with node.db.session() as checkpointing:
        seen = checkpointing.get(audit.AuditHead, 1)
        assert seen is not None
        before = seen.seq
        with node.db.session() as other:
            audit.append(other, "ana", "test.between")
        audit.checkpoint_if_due(checkpointing, node.settings)
    entries = _entries(node)
    assert [(e.seq, e.action) for e in entries[-2:]] == [
        (before + 1, "test.between"), (before + 2, "audit.checkpoint")]  # fmt: skip
    assert _verify(node, auditor).ok


def test_an_untampered_chain_verifies(
    chain: list[AuditEntry], node: Node, auditor: Principal
) -> None:
    report = _verify(node, auditor)
    assert report.ok
    assert report.breaks == []
    assert report.entries == len(chain)


def test_verify_detects_a_modified_entry(
    chain: list[AuditEntry], node: Node, auditor: Principal
) -> None:
    _sql(node, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 5")
    report = _verify(node, auditor)
    assert not report.ok
    assert [b.seq for b in report.breaks] == [5]
    assert "modified" in report.breaks[0].problem


def test_verify_detects_a_modified_marking(
    chain: list[AuditEntry], node: Node, auditor: Principal
) -> None:
    _sql(node, "UPDATE audit_entries SET marking = 'TLP:CLEAR · REL TO USA · H0' WHERE seq = 4")
    report = _verify(node, auditor)
    assert [b.seq for b in report.breaks] == [4]


def test_verify_detects_a_deleted_entry_in_the_middle(
    chain: list[AuditEntry], node: Node, auditor: Principal
) -> None:
    _sql(node, "DELETE FROM audit_entries WHERE seq = 6")
    report = _verify(node, auditor)
    assert not report.ok
    assert report.entries == len(chain) - 1
    assert {b.seq for b in report.breaks} == {7}


def test_verify_detects_deleted_entries_at_the_tail(
    chain: list[AuditEntry], node: Node, auditor: Principal
) -> None:
    last = chain[-1].seq
    _sql(node, "DELETE FROM audit_entries WHERE seq >= :first", first=last - 1)
    report = _verify(node, auditor)
    assert not report.ok
    assert report.entries == len(chain) - 2
    assert [b.seq for b in report.breaks] == [last]
    assert "deleted" in report.breaks[0].problem


def test_verify_detects_an_inserted_entry(
    chain: list[AuditEntry], node: Node, auditor: Principal
) -> None:
    # The intruder makes room after entry 4 and forges an entry that links to it correctly.
    after = chain[3]
    _sql(node, "UPDATE audit_entries SET seq = seq + 1000 WHERE seq > :seq", seq=after.seq)
    _sql(node, "UPDATE audit_entries SET seq = seq - 999 WHERE seq > 1000")
    forged = {
        "seq": after.seq + 1,
        "at": after.at,
        "actor": "mallory",
        "action": "user.create",
        "target": "mallory",
        "marking": "",
        "details": "{}",
        "prev_hash": after.hash,
    }
    forged["hash"] = audit.entry_hash(
        after.hash, after.seq + 1, after.at, "mallory", "user.create", "mallory", "", "{}"
    )
    _sql(
        node,
        "INSERT INTO audit_entries (seq, at, actor, action, target, marking, details,"
        " prev_hash, hash) VALUES (:seq, :at, :actor, :action, :target, :marking,"
        " :details, :prev_hash, :hash)",
        **forged,
    )
    report = _verify(node, auditor)
    assert not report.ok
    assert report.entries == len(chain) + 1
    assert after.seq + 2 in {b.seq for b in report.breaks}


def test_verify_detects_an_entry_added_after_the_head(
    chain: list[AuditEntry], node: Node, auditor: Principal
) -> None:
    last = chain[-1]
    seq = last.seq + 1
    digest = audit.entry_hash(last.hash, seq, last.at, "mallory", "x", "", "", "{}")
    _sql(
        node,
        "INSERT INTO audit_entries (seq, at, actor, action, target, marking, details,"
        " prev_hash, hash) VALUES (:seq, :at, 'mallory', 'x', '', '', '{}', :prev, :hash)",
        seq=seq,
        at=last.at,
        prev=last.hash,
        hash=digest,
    )
    report = _verify(node, auditor)
    assert not report.ok
    assert "inserted" in report.breaks[-1].problem


def test_verify_detects_a_reordered_pair(
    chain: list[AuditEntry], node: Node, auditor: Principal
) -> None:
    first, second = chain[4], chain[5]
    columns = ("at", "actor", "action", "target", "marking", "details", "prev_hash", "hash")
    for row, other in ((first, second), (second, first)):
        assignments = ", ".join(f"{c} = :{c}" for c in columns)
        _sql(
            node,
            f"UPDATE audit_entries SET {assignments} WHERE seq = :seq",
            seq=row.seq,
            **{c: getattr(other, c) for c in columns},
        )
    report = _verify(node, auditor)
    assert not report.ok
    assert {first.seq, second.seq} <= {b.seq for b in report.breaks}


def test_only_auditors_and_admins_verify_or_read_the_log(
    node: Node, analyst: Principal, auditor: Principal, admin: Principal
) -> None:
    with node.db.session() as session:
        with pytest.raises(Forbidden):
            audit.verify(session, analyst)
        with pytest.raises(Forbidden):
            audit.search(session, analyst, audit.AuditFilter())
        assert audit.verify(session, admin).ok
        assert audit.search(session, auditor, audit.AuditFilter(action="user.create"))


def test_search_filters_and_pages_newest_first(node: Node, auditor: Principal) -> None:
    _append(node, 5)
    with node.db.session() as session:
        page = audit.search(
            session, auditor, audit.AuditFilter(actor="ana", action="test."), limit=3
        )
        assert [e.target for e in page] == ["target-4", "target-3", "target-2"]
        rest = audit.search(session, auditor, audit.AuditFilter(actor="ana"), page[-1].seq, 10)
        assert [e.target for e in rest] == ["target-1", "target-0"]
        assert audit.search(session, auditor, audit.AuditFilter(target="target-3"))[0].seq


def _create_then_fail(node: Node, who: Principal, second: dict[str, str] | None) -> None:
    """One unit of work: an audited write, then a second one that fails (or an error)."""
    marked = MarkingsIn(tlp="AMBER").to_markings("USA")
    with node.db.session() as session:
        records.create(session, node.settings, who, "incident", {"name": "Kept?"}, marked)
        assert session.query(AuditEntry).filter(AuditEntry.action == "record.create").count()
        if second is None:
            raise RuntimeError("the request failed after the write")
        records.create(session, node.settings, who, "relationship", second, marked)


def test_an_action_that_fails_leaves_no_audit_entry(
    node: Node, analyst: Principal, auditor: Principal
) -> None:
    before = _entries(node)
    # The relationship refers to records that do not exist, so the whole unit of work, the
    # first record's audit entry included, rolls back.
    with pytest.raises(InvalidInput):
        _create_then_fail(
            node,
            analyst,
            {
                "source_ref": "incident--00000000-0000-4000-8000-000000000000",
                "relationship_type": "related-to",
                "target_ref": "incident--00000000-0000-4000-8000-000000000001",
            },
        )
    assert [e.hash for e in _entries(node)] == [e.hash for e in before]
    with node.db.session() as session:
        assert records.search(session, analyst, records.SearchQuery(text="kept")).items == []
    assert _verify(node, auditor).ok


def test_a_failed_request_rolls_back_its_audit_entries(
    node: Node, analyst: Principal, auditor: Principal
) -> None:
    before = _entries(node)
    with pytest.raises(RuntimeError):
        _create_then_fail(node, analyst, None)
    assert [e.hash for e in _entries(node)] == [e.hash for e in before]
    assert _verify(node, auditor).ok


def _login(node: Node, username: str, password: str) -> Exception | None:
    # As the sign-in view does: the refusal is caught inside the unit of work, so the failure
    # count and its audit entry commit.
    with node.db.session() as session:
        try:
            accounts.authenticate(session, node.settings, username, password)
        except (Unauthenticated, Locked) as exc:
            return exc
    return None


def test_sign_ins_are_audited_success_and_failure(
    node: Node, analyst: Principal, auditor: Principal
) -> None:
    assert _login(node, "ana", PASSWORD) is None
    assert isinstance(_login(node, "ana", "wrong-password"), Unauthenticated)
    assert isinstance(_login(node, "nobody", "wrong-password"), Unauthenticated)
    with node.db.session() as session:
        entries = audit.search(session, auditor, audit.AuditFilter(action="login."))
    assert [(e.actor, e.action) for e in entries] == [
        ("nobody", "login.failure"),
        ("ana", "login.failure"),
        ("ana", "login.success"),
    ]
    assert '"reason":"password"' in entries[1].details
    assert "wrong-password" not in "".join(e.details for e in entries)


def test_reads_of_record_content_are_audited_with_their_marking(
    node: Node, analyst: Principal, auditor: Principal
) -> None:
    marked = MarkingsIn(tlp="AMBER", rel_to=["MEX"], handling="H2").to_markings("USA")
    banner = "TLP:AMBER · REL TO MEX, USA · H2"
    with node.db.session() as session:
        view = records.create(
            session, node.settings, analyst, "incident", {"name": "Tunnel at Otay Mesa"}, marked
        )
    with node.db.session() as session:
        records.get(session, analyst, view.stix_id)
        records.versions(session, analyst, view.stix_id)
        records.search(session, analyst, records.SearchQuery(text="otay"))
        exported = list(records.export(session, analyst))
    assert view.stix_id in {o["id"] for o in exported}
    with node.db.session() as session:
        entries = {e.action: e for e in audit.search(session, auditor, audit.AuditFilter("ana"))}
    assert entries["record.create"].target == view.stix_id
    assert entries["record.read"].target == view.stix_id
    assert entries["record.versions"].target == view.stix_id
    assert entries["records.search"].target == "otay"
    assert entries["records.export"].target == "1 objects"
    for action in (
        "record.create",
        "record.read",
        "record.versions",
        "records.search",
        "records.export",
    ):
        assert entries[action].marking == banner, action


def test_reading_related_records_is_audited(
    node: Node, analyst: Principal, auditor: Principal
) -> None:
    marked = MarkingsIn(tlp="GREEN", rel_to=["MEX"]).to_markings("USA")
    with node.db.session() as session:
        cartel = records.create(
            session,
            node.settings,
            analyst,
            "criminal-organization",
            {"name": "Cártel del Golfo"},
            marked,
        )
        person = records.create(
            session,
            node.settings,
            analyst,
            "person",
            {"given_names": "Osiel", "paternal_surname": "Cárdenas"},
            marked,
        )
        records.create(
            session,
            node.settings,
            analyst,
            "relationship",
            {
                "source_ref": person.stix_id,
                "relationship_type": "member-of",
                "target_ref": cartel.stix_id,
            },
            marked,
        )
    with node.db.session() as session:
        related = records.related(session, analyst, cartel.stix_id)
    assert person.stix_id in {v.stix_id for v in related}
    with node.db.session() as session:
        entries = audit.search(session, auditor, audit.AuditFilter("ana", "record.related"))
    assert [e.target for e in entries] == [cartel.stix_id]
    assert entries[0].marking == "TLP:GREEN · REL TO MEX, USA · H0"
