"""The sync client against a partner that serves bad objects, pages twice, or goes down."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from puente.node import Node
from puente.policy.roles import Principal
from puente.records.models import Record
from puente.sharing import partners, signing, sync
from puente.sharing.models import Partner, Quarantined, ReceivedVersion
from tests.support.databases import planner_rows
from tests.support.partners import FakePartner, incident, store

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def fake(node: Node, admin: Principal) -> Iterator[FakePartner]:
    partner = FakePartner()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partner.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with node.db.session() as session:
        partners.add_partner(
            session, admin, node_id="mx-fake", country="MEX", display_name="Fake",
            base_url=f"http://127.0.0.1:{server.server_address[1]}", public_key="ab" * 32,
            outbound_secret="secret-for-the-fake-partner",
        )  # fmt: skip
    yield partner
    server.shutdown()


def test_bad_objects_are_quarantined_with_the_reason_and_the_rest_syncs(
    node: Node, analyst: Principal, fake: FakePartner
) -> None:
    ours = store(node, analyst, "Ours")
    good = incident("Good")
    missing_id = {k: v for k, v in incident("No id").items() if k != "id"}
    oversized = incident("Huge", description="x" * (node.settings.limits.max_object_bytes + 10))
    unmarked = {k: v for k, v in incident("Unmarked").items() if k != "extensions"}
    hijack = {**incident("Hijack"), "id": ours}
    fake.pages = [("2026-02-01T09:00:00.000001Z", [good, missing_id, oversized, unmarked, hijack])]

    report = sync.sync(node, "mx-fake")
    assert (report.stored, report.quarantined) == (1, 4)
    with node.db.session() as session:
        received = session.execute(select(Record).where(Record.received.is_(True))).scalars().all()
        assert [r.stix_id for r in received] == [good["id"]]
        assert received[0].owner_node == "mx-fake"
        assert received[0].owner_country == "MEX"
        ours_row = session.execute(select(Record).where(Record.stix_id == ours)).scalar_one()
        assert ours_row.name == "Ours"  # a partner cannot overwrite this node's record
        reasons = {q.object_id: q.reason for q in session.execute(select(Quarantined)).scalars()}
        provenance = session.execute(select(ReceivedVersion)).scalar_one()
        partner = session.execute(select(Partner)).scalar_one()
    assert set(reasons) == {"", oversized["id"], unmarked["id"], ours}
    assert "this node accepts at most" in reasons[oversized["id"]]
    assert "no Puente markings" in reasons[unmarked["id"]]
    assert "belongs to another node" in reasons[ours]
    assert provenance.record_pk == received[0].pk
    assert partner.cursor == "2026-02-01T09:00:00.000001Z"

    # The receipt went to the partner's inbox, signed, naming the one stored version; with it
    # the checkpoint of this node's audit chain signed at the sync's start (none was yet).
    receipt, checkpoint = fake.posted
    assert checkpoint["type"] == "x-puente-audit-checkpoint"
    assert receipt["versions"] == [[good["id"], good["modified"], received[0].content_hash]]
    assert len(receipt["quarantined"]) == 4
    with node.db.session() as session:
        from puente.node import public_key_hex

        assert signing.verify(public_key_hex(node.settings), receipt)


def test_the_same_page_delivered_twice_changes_nothing(
    node: Node, analyst: Principal, fake: FakePartner
) -> None:
    good = incident("Good")
    fake.pages = [("2026-02-01T09:00:00.000001Z", [good, good, {"type": "bad"}])]
    sync.sync(node, "mx-fake")
    with node.db.session() as session:
        before = session.execute(select(Record.stix_id, Record.content_hash)).all()
        quarantined = len(session.execute(select(Quarantined)).scalars().all())
        session.execute(select(Partner)).scalar_one().cursor = ""  # as if the cursor was lost
    again = sync.sync(node, "mx-fake")
    assert (again.stored, again.unchanged) == (0, 1)
    with node.db.session() as session:
        assert session.execute(select(Record.stix_id, Record.content_hash)).all() == before
        assert len(session.execute(select(Quarantined)).scalars().all()) == quarantined


def test_the_cursor_follows_the_partners_clock_not_ours(
    node: Node, analyst: Principal, fake: FakePartner
) -> None:
    # The partner's clock is years behind this node's: nothing may be lost for it.
    first, second = incident("Old clock 1"), incident("Old clock 2")
    fake.pages = [("2001-01-01T00:00:00.000001Z", [first])]
    sync.sync(node, "mx-fake")
    fake.pages.append(("2001-01-01T00:00:00.000002Z", [second]))
    assert sync.sync(node, "mx-fake").stored == 1
    assert any("added_after=2001-01-01T00" in r for r in fake.requests)


def test_a_recall_that_does_not_verify_is_quarantined_and_purges_nothing(
    node: Node, analyst: Principal, fake: FakePartner, tmp_path: Any
) -> None:
    from puente.node import generate_key
    from puente.sharing import recalls

    good = incident("Kept")
    fake.pages = [("2026-02-01T09:00:00.000001Z", [good])]
    sync.sync(node, "mx-fake")
    generate_key(tmp_path / "impostor.pem")
    forged = signing.sign(
        tmp_path / "impostor.pem",
        {**incident("Recall"), "type": recalls.RECALL_TYPE, "id": f"{recalls.RECALL_TYPE}--{uuid.uuid4()}",
         "record_id": good["id"], "owner_node": "mx-fake", "reason": "forged"},
    )  # fmt: skip
    fake.pages.append(("2026-02-01T09:00:00.000002Z", [forged]))
    report = sync.sync(node, "mx-fake")
    assert report.quarantined == 1
    with node.db.session() as session:
        row = session.execute(select(Record).where(Record.stix_id == good["id"])).scalar_one()
        reason = session.execute(select(Quarantined.reason)).scalar_one()
    assert row.name == "Kept"
    assert not row.recalled
    assert "signature does not verify" in reason


def test_a_malformed_plan_object_is_quarantined_and_the_plan_pages_keep_working(
    node: Node, admin: Principal, fake: FakePartner
) -> None:
    from fastapi.testclient import TestClient

    from puente.accounts import service as accounts
    from puente.plan import reading
    from puente.web.app import create_app
    from tests.support.nodes import add_user

    def element(code: str, title: Any) -> dict[str, Any]:
        return incident("") | {
            "type": "x-puente-plan-element", "id": f"x-puente-plan-element--{uuid.uuid4()}",
            "level": "goal", "code": code, "title": title,
        }  # fmt: skip

    good, bad = element("4", {"en": "Theirs", "es": "Suyo"}), element("5", "plain text")
    fake.pages = [("2026-02-01T09:00:00.000001Z", [bad, good])]
    report = sync.sync(node, "mx-fake")
    assert (report.stored, report.quarantined) == (1, 1)
    with node.db.session() as session:
        assert [(e.code, owner) for e, owner in reading.elements(session)] == [("4", "mx-fake")]
        reason = session.execute(select(Quarantined.reason)).scalar_one()
    assert "x-puente-plan-element does not follow its schema at /title" in reason
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        token = accounts.create_token(session, laura, "laura", "tests", 1).token
    with TestClient(create_app(node)) as client:
        shown = client.get("/api/v1/plan", headers={"Authorization": f"Bearer {token}"})
        assert shown.status_code == 200
        assert "Theirs" in shown.text
        assert "plain text" not in shown.text


# --- nothing a partner serves stalls the federation (issue 14) ----------------------------------


def _partner(node: Node) -> Partner:
    with node.db.session() as session:
        partner = session.execute(select(Partner).where(Partner.node_id == "mx-fake")).scalar_one()
        session.expunge(partner)
        return partner


def test_hostile_objects_are_quarantined_and_the_rest_of_the_page_is_stored(
    node: Node, analyst: Principal, fake: FakePartner
) -> None:
    from tests.support.hostile import HOSTILE

    first, second = incident("Good 1"), incident("Good 2")
    hostile = []
    for change in HOSTILE.values():
        bad = incident("Hostile")
        change(bad)
        hostile.append(bad)
    unmarked = {k: v for k, v in incident("No markings at all").items() if k != "extensions"}
    unmarked["object_marking_refs"] = 7  # read before the checks: as wrong as can be
    fake.pages = [("2026-02-01T09:00:00.000001Z", [first, *hostile, unmarked, second])]

    report = sync.sync(node, "mx-fake")
    assert (report.stored, report.quarantined) == (2, len(hostile) + 1)
    with node.db.session() as session:
        stored = set(session.execute(select(Record.stix_id)).scalars())
        reasons = {q.object_id: q.reason for q in session.execute(select(Quarantined)).scalars()}
    assert stored == {first["id"], second["id"]}
    assert set(reasons) == {o["id"] for o in [*hostile, unmarked]}
    assert "Unknown agency" in reasons[hostile[0]["id"]]
    assert "more than 32 levels deep" in reasons[hostile[3]["id"]]
    partner = _partner(node)
    assert partner.cursor == "2026-02-01T09:00:00.000001Z"
    assert (partner.failures, partner.failure_count) == (0, 1)  # no backoff: the sync went on
    assert partner.last_error_kind == "quarantine"
    assert partner.last_error_at is not None
    assert partner.last_error in reasons.values()


def test_a_lone_surrogate_in_a_page_quarantines_its_object_not_the_page(
    node: Node, analyst: Principal, fake: FakePartner
) -> None:
    good = incident("Good")
    broken = incident("Broken \ud800 text")  # the fake writes it as the escape \ud800
    odd_id = incident("Odd id", id="incident--\udfff")
    fake.pages = [("2026-02-01T09:00:00.000001Z", [good, broken, odd_id])]
    report = sync.sync(node, "mx-fake")
    assert (report.stored, report.quarantined) == (1, 2)
    with node.db.session() as session:
        rows = session.execute(select(Quarantined).order_by(Quarantined.id)).scalars().all()
    assert [r.object_id for r in rows] == [broken["id"], "incident--\ufffd"]
    assert all("lone surrogate" in r.reason for r in rows)
    assert _partner(node).cursor == "2026-02-01T09:00:00.000001Z"


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (500, b'{"title": "boom"}', "http"),
        (404, b'{"title": "gone"}', "http"),
        (200, b"<html>not json</html>", "page"),
        (200, b"[1, 2, 3]", "page"),
        (200, b'{"objects": {"a": 1}}', "page"),
    ],
)
def test_every_failure_is_recorded_on_the_partner(
    node: Node, fake: FakePartner, monkeypatch: pytest.MonkeyPatch, status: int, body: bytes,
    kind: str,
) -> None:  # fmt: skip
    from puente.errors import Unavailable

    monkeypatch.setattr(sync, "ATTEMPTS", 1)
    fake.broken = (status, body)
    with pytest.raises(Unavailable):
        sync.sync(node, "mx-fake")
    partner = _partner(node)
    assert (partner.failures, partner.failure_count, partner.last_error_kind) == (1, 1, kind)
    assert partner.last_error
    assert partner.last_error_at is not None
    assert partner.lease_owner == ""  # the next worker may try


def test_an_unreachable_partner_and_an_internal_error_are_recorded_too(
    node: Node, admin: Principal, fake: FakePartner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from puente.errors import Unavailable

    monkeypatch.setattr(sync, "ATTEMPTS", 1)
    fake.pages = [("2026-02-01T09:00:00.000001Z", [incident("Good")])]

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in storing pages")

    monkeypatch.setattr(sync, "store_page", boom)
    with pytest.raises(Unavailable):
        sync.sync(node, "mx-fake")
    partner = _partner(node)
    assert (partner.failure_count, partner.last_error_kind) == (1, "internal")
    assert "a bug in storing pages" in partner.last_error

    with node.db.session() as session:
        row = session.execute(select(Partner).where(Partner.node_id == "mx-fake")).scalar_one()
        row.base_url, row.pull_url, row.push_url = "http://127.0.0.1:9", "", ""
    with pytest.raises(Unavailable):
        sync.sync(node, "mx-fake")
    partner = _partner(node)
    assert (partner.failures, partner.failure_count) == (2, 2)
    assert partner.last_error_kind == "unreachable"


def test_a_sync_leaves_what_it_stored_analyzed(node: Node, fake: FakePartner) -> None:
    fake.pages = [("2026-02-01T09:00:00.000001Z", [incident(f"Caso {i}") for i in range(200)])]

    report = sync.sync(node, "mx-fake")

    assert report.stored == 200
    assert planner_rows(node, "records") == 200
    assert planner_rows(node, "received_versions") == 200


def test_one_version_served_twice_with_other_content_is_quarantined_not_dropped(
    node: Node, fake: FakePartner
) -> None:
    """The same version twice on a page is stored once; served with other content (other
    markings) the second was dropped without a word, and the receipt and the quarantine said
    nothing of it."""
    from puente.policy.markings import TLP_MARKING_IDS
    from tests.support.partners import receive

    first = {**incident("Red"), "object_marking_refs": [TLP_MARKING_IDS["RED"]]}
    other = {**first, "name": "Green", "object_marking_refs": [TLP_MARKING_IDS["GREEN"]]}
    again = dict(first)  # the very same object: once is enough, nothing to say
    page = receive(node, "mx-fake", [first, again, other], "2026-02-01T09:00:00.000001Z")
    assert (page.stored, page.quarantined) == (1, 1)
    with node.db.session() as session:
        stored = session.execute(select(Record).where(Record.received.is_(True))).scalar_one()
        quarantined = session.execute(select(Quarantined)).scalar_one()
    assert (stored.name, stored.tlp) == ("Red", "RED")
    assert quarantined.object_id == first["id"]
    assert "appears twice" in quarantined.reason
    assert '"Green"' in quarantined.content


def test_a_pull_waits_after_each_page_while_the_nodes_people_are_answered(
    node: Node, fake: FakePartner
) -> None:
    """People first (puente.activity): the pull stores a page, then waits up to
    limits.bulk_wait_ms for the requests of this node's people in flight."""
    import time

    from puente.activity import board_path
    from tests.support.activity import person_in_flight

    fake.pages = [(f"2026-02-01T09:00:00.00000{i}Z", [incident(f"Page {i}")]) for i in (1, 2, 3)]
    node.settings.limits.bulk_wait_ms = 300
    with person_in_flight(board_path(node.settings.data_dir)):
        started = time.monotonic()
        report = sync.sync(node, "mx-fake")
        busy = time.monotonic() - started
    assert report.stored == 3
    assert busy >= 0.9


def test_a_page_stored_in_parts_is_acknowledged_version_by_version_in_page_order(
    node: Node, analyst: Principal, fake: FakePartner
) -> None:
    # More objects than one part of a page (sync.STORE_CHUNK): the receipt still names every
    # version stored or already held (the last five, stored first), as served and in the
    # page's order, and each has its provenance.
    objects = [incident(f"Part {n}") for n in range(sync.STORE_CHUNK * 2 + 7)]
    fake.pages = [("2026-02-01T09:00:00.000001Z", objects[-5:])]
    sync.sync(node, "mx-fake")
    fake.posted.clear()
    fake.pages = [("2026-02-01T09:00:00.000002Z", objects)]  # five of them held already

    report = sync.sync(node, "mx-fake")

    assert (report.stored, report.unchanged) == (len(objects) - 5, 5)
    with node.db.session() as session:
        stored = {row[0]: row[1] for row in session.execute(
            select(Record.stix_id, Record.content_hash))}  # fmt: skip
        provenance = (
            session.execute(
                select(Record.stix_id).join(ReceivedVersion, ReceivedVersion.record_pk == Record.pk)
            )
            .scalars()
            .all()
        )
    receipt = next(body for body in fake.posted if body.get("versions"))
    assert receipt["versions"] == [[o["id"], o["modified"], stored[o["id"]]] for o in objects]
    assert sorted(provenance) == sorted(o["id"] for o in objects)


def test_a_refused_object_late_in_a_page_leaves_the_receipt_naming_each_stored_version_once(
    node: Node, analyst: Principal, fake: FakePartner
) -> None:
    # The store is tried again without the object it refused (records.partial): what the
    # refused try had stored in its earlier parts is rolled back, and neither it nor the
    # refused object reaches the receipt or the provenance.
    ours = store(node, analyst, "Ours")
    objects = [incident(f"Late {n}") for n in range(sync.STORE_CHUNK * 3)]
    hijack = {**incident("Hijack"), "id": ours}
    page = [*objects[:-1], hijack, objects[-1]]
    fake.pages = [("2026-02-01T09:00:00.000001Z", page)]

    report = sync.sync(node, "mx-fake")

    assert (report.stored, report.quarantined) == (len(objects), 1)
    with node.db.session() as session:
        stored = {row[0]: row[1] for row in session.execute(
            select(Record.stix_id, Record.content_hash).where(Record.received.is_(True)))}  # fmt: skip
        provenance = session.execute(select(ReceivedVersion.record_pk)).scalars().all()
    receipt = next(body for body in fake.posted if body.get("versions"))
    assert receipt["versions"] == [[o["id"], o["modified"], stored[o["id"]]] for o in objects]
    assert [q["id"] for q in receipt["quarantined"]] == [ours]
    assert len(provenance) == len(set(provenance)) == len(objects)


def test_a_copy_of_this_nodes_own_record_served_back_is_not_acknowledged_as_the_partners(
    node: Node, analyst: Principal, fake: FakePartner
) -> None:
    import json

    ours = store(node, analyst, "Ours, served back")
    with node.db.session() as session:
        content = session.execute(select(Record.content).where(Record.stix_id == ours)).scalar_one()
    theirs = incident("Theirs")
    fake.pages = [("2026-02-01T09:00:00.000001Z", [json.loads(content), theirs])]

    sync.sync(node, "mx-fake")

    receipt = next(body for body in fake.posted if body.get("versions"))
    assert [v[0] for v in receipt["versions"]] == [theirs["id"]]
    with node.db.session() as session:
        owners = session.execute(select(Record.owner_node).where(Record.stix_id == ours)).all()
    assert owners == [(node.settings.node_id,)]
