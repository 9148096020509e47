"""Withdrawals: a new version that stops a partner from receiving a record it may hold sends
it a signed withdrawal ("markings tightened"); it purges every version and acknowledges."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from puente.node import Node
from puente.policy.markings import Markings
from puente.policy.roles import Principal
from puente.records import service as records
from puente.records.models import Record
from puente.sharing import sync
from puente.sharing.models import RecallNotice
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import add_user

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
