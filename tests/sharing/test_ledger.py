"""The read services behind the federation pages: status and lag, ledger, receipts,
quarantine and provenance, each held to the reader's role and the egress gate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from puente.clock import now
from puente.errors import Forbidden, NotFound
from puente.node import Node
from puente.policy.markings import Markings
from puente.policy.roles import Principal
from puente.records import service as records
from puente.records.rows import RecordView
from puente.sharing import ledger, status, sync
from puente.sharing import quarantine as quarantined
from puente.sharing.models import Partner
from tests.support.nodes import add_user
from tests.support.partners import (
    acknowledge,
    add_keyed_partner,
    incident,
    quarantine,
    receive,
    store,
)

# --- building state ------------------------------------------------------------------------------


# --- partners and lag ------------------------------------------------------------------------------


def test_each_partner_has_its_state_and_lag(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    for node_id in ("mx-ok", "mx-late", "mx-down", "mx-new", "mx-off"):
        add_keyed_partner(node, admin, tmp_path, node_id)
    moment = now()
    with node.db.session() as session:
        rows = {p.node_id: p for p in session.execute(select(Partner)).scalars()}
        rows["mx-ok"].last_success_at = moment - timedelta(seconds=40)
        rows["mx-late"].last_success_at = moment - timedelta(hours=2, minutes=5)
        rows["mx-down"].last_success_at = moment - timedelta(days=1, hours=3)
        rows["mx-down"].failures = 4
        rows["mx-down"].last_error = "All connection attempts failed"
        rows["mx-down"].next_attempt_at = moment + timedelta(minutes=4)
        rows["mx-off"].enabled = False
    with node.db.session() as session:
        statuses = {s.node_id: s for s in status.partner_statuses(session, analyst,
                                                                    node.settings, moment)}  # fmt: skip
    assert {k: s.state for k, s in statuses.items()} == {
        "mx-ok": "ok", "mx-late": "late", "mx-down": "failing", "mx-new": "never",
        "mx-off": "disabled",
    }  # fmt: skip
    assert statuses["mx-ok"].lag == timedelta(seconds=40)
    assert statuses["mx-late"].lag == timedelta(hours=2, minutes=5)
    assert statuses["mx-new"].lag is None
    assert statuses["mx-down"].last_error == "All connection attempts failed"
    assert statuses["mx-down"].next_attempt_at is not None


def test_a_partner_held_by_a_sync_shows_as_syncing(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path)
    with node.db.session() as session:
        partner = session.execute(select(Partner)).scalar_one()
        partner.lease_owner = "serve:1:abc"
        partner.lease_until = now() + timedelta(minutes=5)
    with node.db.session() as session:
        assert status.partner_status(session, analyst, node.settings, "mx-node").state == "syncing"
        with pytest.raises(NotFound):
            status.partner_status(session, analyst, node.settings, "mx-nobody")


def test_reading_needs_a_role_and_syncing_needs_write(
    node: Node, admin: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path)
    nobody = Principal("nobody", "CBP", "USA", frozenset())
    auditor = add_user(node, "otto", "INL", ["auditor"])
    with node.db.session() as session, pytest.raises(Forbidden):
        status.partner_statuses(session, nobody, node.settings)
    with node.db.session() as session, pytest.raises(Forbidden):
        ledger.ledger(session, nobody, "mx-node")
    with pytest.raises(Forbidden):
        sync.sync_now(node, auditor, "mx-node")


# --- the ledger ---------------------------------------------------------------------------------


def test_the_ledger_lists_released_versions_newest_first_with_acknowledgements(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    key = add_keyed_partner(node, admin, tmp_path)
    first = store(node, analyst, "Primero")
    second = store(node, analyst, "Segundo")
    store(node, analyst, "Solo EUA", rel_to=("USA",))
    store(node, analyst, "Rojo", tlp="RED")
    receipt_id = acknowledge(node, key, "mx-node", [first])
    with node.db.session() as session:
        page = ledger.ledger(session, analyst, "mx-node")
    assert [e.view.name for e in page.entries] == ["Segundo", "Primero"]
    assert [e.acknowledged for e in page.entries] == [False, True]
    assert page.entries[1].receipt_id == receipt_id
    assert page.entries[0].banner == "TLP:GREEN · REL TO MEX, USA · H0"
    assert (page.released, page.acknowledged, page.hidden) == (2, 1, 0)

    with node.db.session() as session:
        pending = ledger.ledger(session, analyst, "mx-node", acknowledged="no")
        done = ledger.ledger(session, analyst, "mx-node", acknowledged="yes")
    assert [e.view.stix_id for e in pending.entries] == [second]
    assert [e.view.stix_id for e in done.entries] == [first]


def test_the_ledger_pages_by_keyset(node: Node, admin: Principal, analyst: Principal,
                                    tmp_path: Path) -> None:  # fmt: skip
    add_keyed_partner(node, admin, tmp_path)
    made = [store(node, analyst, f"Envío {n:02d}") for n in range(7)]
    seen: list[str] = []
    after = None
    for _ in range(5):
        with node.db.session() as session:
            page = ledger.ledger(session, analyst, "mx-node", after=after, limit=3)
        seen += [e.view.stix_id for e in page.entries]
        after = page.next_after
        if after is None:
            break
    assert seen == list(reversed(made))


def test_the_ledger_shows_a_reader_only_what_the_gate_releases_to_them(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path)
    dan = add_user(node, "dan", "DEA", ["analyst"])
    store(node, analyst, "Para todos")
    store(node, analyst, "Para CBP y FGR", agencies=frozenset({"CBP", "FGR"}))
    tightened = store(node, analyst, "Luego restringido")
    with node.db.session() as session:
        records.new_version(
            session, node.settings, analyst, tightened, {"name": "Restringido"},
            Markings(tlp="GREEN", rel_to=frozenset({"USA", "MEX"}), agencies=frozenset({"CBP"})),
        )  # fmt: skip
    with node.db.session() as session:
        as_ana = ledger.ledger(session, analyst, "mx-node")
        as_dan = ledger.ledger(session, dan, "mx-node")
    # The restricted version is not released to Mexico; its earlier version was, and Mexico
    # was sent a withdrawal of it ("markings tightened").
    named = sorted(e.view.name for e in as_ana.entries if e.view.type != "x-puente-recall")
    assert named == ["Luego restringido", "Para CBP y FGR", "Para todos"]
    (withdrawal,) = [e.view for e in as_ana.entries if e.view.type == "x-puente-recall"]
    assert withdrawal.content["record_id"] == tightened
    assert withdrawal.content["reason"] == "markings tightened"
    # Dan may see neither the FGR record nor the earlier version of one now closed to DEA.
    assert [e.view.name for e in as_dan.entries if e.view.type != "x-puente-recall"] == [
        "Para todos"
    ]
    assert (as_dan.released, as_dan.hidden) == (4, 3)  # the withdrawal is CBP's and Mexico's


# --- receipts, quarantine, provenance ----------------------------------------------------------


def test_receipts_both_ways_newest_first(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    key = add_keyed_partner(node, admin, tmp_path)
    held = acknowledge(node, key, "mx-node", [store(node, analyst, "Enviado")])
    issued = receive(node, "mx-node", [incident("Recibido")], "2026-02-01T09:00:00.000001Z")
    with node.db.session() as session:
        page = ledger.receipts(session, analyst, "mx-node")
        first = ledger.receipts(session, analyst, "mx-node", limit=1)
        rest = ledger.receipts(session, analyst, "mx-node", before=first.next_before or "")
    assert [(r.id, r.direction) for r in page.entries] == [
        (issued.receipt_id, "issued"), (held, "held"),
    ]  # fmt: skip
    assert (page.issued, page.held) == (1, 1)
    assert page.entries[0].object_count == 1
    assert page.entries[0].posted_at is None
    assert [r.id for r in first.entries + rest.entries] == [issued.receipt_id, held]


def test_quarantined_content_shows_only_where_its_own_markings_allow(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path)
    dan = add_user(node, "dan", "DEA", ["analyst"])
    for_cbp = incident("Solo para CBP")
    for_cbp["extensions"][next(iter(for_cbp["extensions"]))]["agencies"] = ["CBP", "FGR"]
    quarantine(node, "mx-node", for_cbp, "The object is larger than this node accepts.")
    quarantine(node, "mx-node", {"type": "incident", "name": "Sin marcas"}, "No markings")
    ours = store(node, analyst, "Nuestro", agencies=frozenset({"CBP"}))
    quarantine(node, "mx-node", {**incident("Secuestro"), "id": ours}, "Belongs to another node")
    with node.db.session() as session:
        as_ana = {e.reason: e for e in quarantined.quarantine(session, analyst, "mx-node").entries}
        as_dan = {e.reason: e for e in quarantined.quarantine(session, dan, "mx-node").entries}
        as_admin = {e.reason: e for e in quarantined.quarantine(session, admin, "mx-node").entries}
    big = "The object is larger than this node accepts."
    assert as_ana[big].content is not None
    assert "Solo para CBP" in as_ana[big].content
    assert as_dan[big].content is None
    assert as_ana["No markings"].content is None
    assert as_admin["No markings"].content is not None
    # The hijacked id names a CBP-only record here: withheld from DEA, shown to CBP.
    assert as_ana["Belongs to another node"].object_id == ours
    assert as_dan["Belongs to another node"].object_id == ""
    assert as_dan["Belongs to another node"].id_withheld
    assert as_dan["Belongs to another node"].content is None


def test_provenance_of_a_received_record(
    node: Node, admin: Principal, analyst: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path)
    obj = incident("Recibido de México")
    stored = receive(node, "mx-node", [obj], "2026-02-01T09:00:00.000001Z")
    own = store(node, analyst, "Propio")
    with node.db.session() as session:
        view: RecordView = records.get(session, analyst, str(obj["id"]))
        origin = ledger.provenance(session, analyst, view)
        mine = ledger.provenance(session, analyst, records.get(session, analyst, own))
    assert origin is not None
    assert (origin.partner_node_id, origin.partner_name, origin.partner_country) == (
        "mx-node", "Nodo mx-node", "MEX",
    )  # fmt: skip
    assert origin.collection_id == "0b0b0b0b-0000-4000-8000-000000000001"
    assert origin.receipt_id == stored.receipt_id
    assert origin.date_added == "2026-02-01T09:00:00.000001Z"
    assert mine is None
