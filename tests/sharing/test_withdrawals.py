"""Withdrawals: a new version that stops a partner from receiving a record it may hold sends
it a signed withdrawal ("markings tightened"); it purges every version and acknowledges."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.accounts import service as accounts
from puente.node import Node
from puente.policy.markings import Markings, apply_markings
from puente.policy.roles import Principal
from puente.records import builder
from puente.records import service as records
from puente.records.models import Record
from puente.sharing import quarantine as quarantined
from puente.sharing import recalls, sync
from puente.sharing.models import RecallNotice
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import add_user
from tests.support.partners import TAXII, basic

SHARED = Markings(tlp="GREEN", rel_to=frozenset({"USA", "MEX"}))
RED = Markings(tlp="RED", rel_to=frozenset({"USA", "MEX"}))
USA_ONLY = Markings(tlp="GREEN", rel_to=frozenset({"USA"}))


def _create(node: Node, who: Principal, name: str, markings: Markings) -> str:
    with node.db.session() as session:
        return records.create(session, node.settings, who, "incident", {"name": name},
                              markings).stix_id  # fmt: skip


def _version(node: Node, who: Principal, stix_id: str, name: str, markings: Markings) -> None:
    with node.db.session() as session:
        records.new_version(session, node.settings, who, stix_id, {"name": name}, markings)


def _held(node: Node, stix_id: str) -> list[Record]:
    with node.db.session() as session:
        rows = session.execute(
            select(Record).where(Record.stix_id == stix_id).order_by(Record.modified_key)
        ).scalars()
        found = list(rows)
        session.expunge_all()
        return found


def _notices(node: Node, stix_id: str) -> list[RecallNotice]:
    with node.db.session() as session:
        found = list(
            session.execute(select(RecallNotice).where(RecallNotice.record_id == stix_id)).scalars()
        )
        session.expunge_all()
        return found


@pytest.mark.parametrize("tightened", [RED, USA_ONLY], ids=["tlp-red", "rel-to-usa-only"])
def test_a_partner_that_held_the_record_purges_it_when_it_is_tightened(
    linked: Linked, monkeypatch: pytest.MonkeyPatch, tightened: Markings
) -> None:
    route_both_ways(linked, monkeypatch)
    author = add_user(linked.us, "cbp.author", "CBP", ["analyst"])
    stix_id = _create(linked.us, author, "Ruta de la carga", SHARED)
    sync.sync(linked.mx, "us-node")
    assert [r.name for r in _held(linked.mx, stix_id)] == ["Ruta de la carga"]

    # Mexico's node is not syncing when the record is tightened: it learns at its next pull.
    _version(linked.us, author, stix_id, "Ruta de la carga (fuente)", tightened)
    (sent,) = _notices(linked.us, stix_id)
    assert (sent.reason, sent.acknowledged_at) == ("markings tightened", None)
    sync.sync(linked.mx, "us-node")

    (copy,) = _held(linked.mx, stix_id)
    assert copy.recalled
    assert "Ruta de la carga" not in copy.content
    assert orjson.loads(copy.content)["x_puente_recalled"]["reason"] == "markings tightened"
    sync.sync(linked.mx, "us-node")  # posts the acknowledgement (and changes nothing else)
    (sent,) = _notices(linked.us, stix_id)
    assert sent.acknowledged_at is not None
    assert sent.purged_versions == 1

    # Loosened again, the record flows to Mexico again; tightened again, it is withdrawn again.
    _version(linked.us, author, stix_id, "Ruta de la carga (revisada)", SHARED)
    sync.sync(linked.mx, "us-node")
    assert "Ruta de la carga (revisada)" in [r.name for r in _held(linked.mx, stix_id)]
    _version(linked.us, author, stix_id, "Ruta de la carga (otra fuente)", tightened)
    assert len(_notices(linked.us, stix_id)) == 2
    sync.sync(linked.mx, "us-node")
    assert all(r.recalled for r in _held(linked.mx, stix_id))
    assert all("Ruta de la carga (" not in r.content for r in _held(linked.mx, stix_id))


def test_no_withdrawal_where_the_partner_could_never_receive_the_record(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = add_user(linked.us, "cbp.author", "CBP", ["analyst"])
    stix_id = _create(linked.us, author, "Solo para Estados Unidos", USA_ONLY)
    _version(linked.us, author, stix_id, "Solo para Estados Unidos, en rojo", RED)
    wider = Markings(tlp="AMBER", rel_to=frozenset({"USA"}))
    _version(linked.us, author, stix_id, "Más amplio, todavía fuera de México", wider)
    assert _notices(linked.us, stix_id) == []


def test_loosening_or_keeping_the_partner_sends_no_withdrawal(linked: Linked) -> None:
    author = add_user(linked.us, "cbp.author", "CBP", ["analyst"])
    stix_id = _create(linked.us, author, "Compartido", SHARED)
    _version(linked.us, author, stix_id, "Compartido, corregido", SHARED)
    _version(linked.us, author, stix_id, "Compartido, en ámbar",
             Markings(tlp="AMBER", rel_to=frozenset({"USA", "MEX"})))  # fmt: skip
    assert _notices(linked.us, stix_id) == []


@pytest.mark.parametrize("path", ["bundle", "taxii"])
def test_a_record_tightened_by_an_import_is_withdrawn_too(
    linked: Linked, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Not only PUT makes a version: the originator's STIX bundle (REST) or TAXII add of a
    newer version marked TLP:RED tightens the record as well, and withdraws it."""
    us_app, _ = route_both_ways(linked, monkeypatch)
    author = add_user(linked.us, "cbp.author", "CBP", ["analyst"])
    stix_id = _create(linked.us, author, "Ruta de la carga", SHARED)
    sync.sync(linked.mx, "us-node")
    with linked.us.db.session() as session:
        obj = records.get(session, author, stix_id, audit_read=False).content
        token = accounts.create_token(session, author, author.username, "tests", 1).token
    newer = apply_red(dict(obj, name="Ruta de la carga (fuente Z-7)",
                           modified=builder.later_than(obj["modified"], builder.stix_now())))  # fmt: skip
    with TestClient(us_app) as us:
        if path == "bundle":
            bundle = {"type": "bundle", "id": "bundle--6f1d0c3e-1111-4a2b-9c3d-0000000000a1",
                      "objects": [newer]}  # fmt: skip
            done = us.post("/api/v1/bundles", json=bundle,
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            assert done.status_code in (200, 201), done.text
        else:
            headers = basic(author.username, token)
            root = "/taxii2/api/collections/"
            (collection,) = us.get(root, headers=headers).json()["collections"]
            status = us.post(f"{root}{collection['id']}/objects/", json={"objects": [newer]},
                             headers={**headers, "Content-Type": TAXII}).json()  # fmt: skip
            assert status["success_count"] == 1, status
    (sent,) = _notices(linked.us, stix_id)
    assert sent.reason == "markings tightened"
    sync.sync(linked.mx, "us-node")
    assert all(r.recalled for r in _held(linked.mx, stix_id))
    assert all("Ruta de la carga" not in r.content for r in _held(linked.mx, stix_id))


def apply_red(obj: dict[str, Any]) -> dict[str, Any]:
    apply_markings(obj, RED)
    return obj


def test_a_version_loosened_again_before_the_partner_syncs_reaches_it_after_the_withdrawal(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mexico holds v1; v2 tightens it (a withdrawal through v1), v3 loosens it again, and
    only then does Mexico sync: it purges v1 and keeps v3, which it may have."""
    route_both_ways(linked, monkeypatch)
    author = add_user(linked.us, "cbp.author", "CBP", ["analyst"])
    stix_id = _create(linked.us, author, "Ruta de la carga", SHARED)
    sync.sync(linked.mx, "us-node")
    _version(linked.us, author, stix_id, "Ruta de la carga (fuente)", RED)
    _version(linked.us, author, stix_id, "Ruta de la carga (revisada)", SHARED)
    sync.sync(linked.mx, "us-node")
    held = _held(linked.mx, stix_id)
    assert [r.recalled for r in held] == [True, False]
    assert "Ruta de la carga (revisada)" in held[-1].content
    assert "Ruta de la carga" not in held[0].content


def test_a_recall_purges_the_copy_this_node_holds_in_quarantine_too(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mexico's record is larger than the United States node accepts: it is quarantined
    there, its content kept and shown to the users its markings allow. Mexico recalls it
    (shared by mistake): the United States purges what it holds of it, quarantine included."""
    route_both_ways(linked, monkeypatch)
    linked.us.settings.limits.max_object_bytes = 2048
    fer = add_user(linked.mx, "fer", "FGR", ["analyst"])
    secret = "Testigo protegido: " + "x" * 3000
    with linked.mx.db.session() as session:
        stix_id = records.create(session, linked.mx.settings, fer, "incident",
                                 {"name": "Testigo", "description": secret}, SHARED).stix_id  # fmt: skip
    report = sync.sync(linked.us, "mx-node")
    assert report.quarantined == 1
    reader = add_user(linked.us, "cbp.reader", "CBP", ["analyst"])

    def shown() -> str:
        with linked.us.db.session() as session:
            page = quarantined.quarantine(session, reader, "mx-node")
            return " ".join(e.content or "" for e in page.entries if e.object_id == stix_id)

    assert "Testigo protegido" in shown()
    with linked.mx.db.session() as session:
        recalls.recall(session, linked.mx, fer, stix_id, "Compartido por error.")
    sync.sync(linked.us, "mx-node")
    assert "Testigo protegido" not in shown()


def test_a_withdrawal_does_not_name_a_hidden_record_to_this_nodes_other_users(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The withdrawal is stored as a record of this node to travel to the partner; the list
    of recalls hides it from those who may not see the record it names, and so must every
    other exit: REST search and export, for a DEA analyst who may not see CBP's RED record."""
    us_app, _ = route_both_ways(linked, monkeypatch)
    author = add_user(linked.us, "cbp.author", "CBP", ["analyst"])
    stix_id = _create(linked.us, author, "Ruta de la carga", SHARED)
    sync.sync(linked.mx, "us-node")
    _version(linked.us, author, stix_id, "Ruta de la carga (fuente)", RED)
    dea = add_user(linked.us, "dea.reader", "DEA", ["analyst"])
    with linked.us.db.session() as session:
        token = accounts.create_token(session, dea, dea.username, "tests", 1).token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(us_app) as us:
        found = us.get("/api/v1/records", params={"limit": 200}, headers=headers).text
        exported = us.get("/api/v1/export", headers=headers).text
    assert stix_id not in found
    assert stix_id not in exported
    # Mexico still gets the withdrawal and purges.
    sync.sync(linked.mx, "us-node")
    assert all(r.recalled for r in _held(linked.mx, stix_id))


def test_a_recall_told_to_no_partner_names_its_record_to_nobody_else_here(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    us_app, _ = route_both_ways(linked, monkeypatch)
    author = add_user(linked.us, "cbp.author", "CBP", ["analyst"])
    stix_id = _create(linked.us, author, "Solo aquí", RED)
    with linked.us.db.session() as session:
        recalls.recall(session, linked.us, author, stix_id, "Por error.")
    dea = add_user(linked.us, "dea.reader", "DEA", ["analyst"])
    with linked.us.db.session() as session:
        token = accounts.create_token(session, dea, dea.username, "tests", 1).token
    with TestClient(us_app) as us:
        found = us.get("/api/v1/records", params={"limit": 200},
                       headers={"Authorization": f"Bearer {token}"}).text  # fmt: skip
    assert stix_id not in found


@pytest.mark.parametrize(
    "tightened",
    [
        Markings(tlp="GREEN", rel_to=frozenset({"USA", "MEX"}), agencies=frozenset({"CBP"})),
        Markings(
            tlp="GREEN", rel_to=frozenset({"USA", "MEX"}), recipients=frozenset({"cbp.author@USA"})
        ),
    ],
    ids=["only-agencies", "only-recipients"],
)
def test_changing_only_agencies_or_recipients_withdraws_too(
    linked: Linked, monkeypatch: pytest.MonkeyPatch, tightened: Markings
) -> None:
    """TLP and REL TO unchanged: agencies of this country alone, or recipients here alone,
    stop Mexico from receiving the record as surely, and withdraw it."""
    route_both_ways(linked, monkeypatch)
    author = add_user(linked.us, "cbp.author", "CBP", ["analyst"])
    stix_id = _create(linked.us, author, "Ruta de la carga", SHARED)
    sync.sync(linked.mx, "us-node")
    _version(linked.us, author, stix_id, "Ruta de la carga (fuente)", tightened)
    (sent,) = _notices(linked.us, stix_id)
    assert sent.reason == "markings tightened"
    sync.sync(linked.mx, "us-node")
    assert all(r.recalled for r in _held(linked.mx, stix_id))
