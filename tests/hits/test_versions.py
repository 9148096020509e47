"""Two nodes may serve different match-key spec versions for a while (issue 16): the asked
node keeps an index a partner and a version, a download and a query say which version they
follow, and the asking node follows the highest version both serve, downloading the partner's
index again, whole, when that changes. Version 1 answers until both sides move."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from puente.errors import Unavailable
from puente.hits import index, refresh
from puente.hits import transport as hit_transport
from puente.hits.answering import RECEIVED, SENT
from puente.hits.models import (
    HitIndexEntry,
    HitIndexState,
    HitQuery,
    PartnerPrint,
    PartnerPrintState,
)
from puente.hits.subjects import Subject
from puente.node import Node
from puente.records import service as records
from puente.sharing.models import Partner
from tests.support.linked import HELD_FIREARM, HELD_PERSON, SEARCHABLE, Linked
from tests.support.nodes import add_user

PERSON = Subject.from_dict({"category": "person", **HELD_PERSON})
FIREARM = Subject.from_dict({"category": "firearm", "manufacturer": "Glock",
                             "serial": HELD_FIREARM["serial_number"]})  # fmt: skip
NOBODY = Subject.from_dict({"category": "person", "given_names": "Ana",
                            "paternal_surname": "Ruiz", "date_of_birth": "1990-05-01"})  # fmt: skip


class _Recorded:
    """Mexico's client to the US node, noting the index downloads it asks for; ``old``: the US
    node answers as a node from before spec versions (it never reads ``version`` and never
    says ``spec_version`` or ``spec_versions``)."""

    def __init__(self, client: Any, downloads: list[dict[str, Any]], old: bool) -> None:
        self.client, self.downloads, self.old = client, downloads, old

    def get(self, url: str, *, params: dict[str, Any], **kwargs: Any) -> httpx.Response:
        self.downloads.append(dict(params))
        if self.old:
            params = {k: v for k, v in params.items() if k != "version"}
        return self._answer(self.client.get(url, params=params, **kwargs))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._answer(self.client.post(url, **kwargs))

    def _answer(self, response: httpx.Response) -> httpx.Response:
        if not self.old or response.status_code != 200:
            return response
        body = {k: v for k, v in response.json().items() if not k.startswith("spec_version")}
        return httpx.Response(200, content=orjson.dumps(body),
                              headers={"Content-Type": "application/json"})  # fmt: skip


@pytest.fixture
def downloads(linked: Linked, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    return _record(monkeypatch, old=False)


def _record(monkeypatch: pytest.MonkeyPatch, *, old: bool) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    to_us = hit_transport.partner_client

    @contextmanager
    def recorded(node: Node, partner_id: int) -> Iterator[Any]:
        with to_us(node, partner_id) as client:
            yield _Recorded(client, seen, old)

    monkeypatch.setattr(hit_transport, "partner_client", recorded)
    return seen


def _ask(linked: Linked, *subjects: Subject) -> tuple[list[bool], int]:
    """Hit or no hit for each subject as Mexico asks, and the spec version the query followed
    (as both nodes recorded it)."""
    fer = add_user(linked.mx, "fer", "FGR", ["analyst"])
    answer = hit_transport.ask(linked.mx, fer, "us-node", list(subjects or (PERSON, FIREARM)),
                               case_reference="FGR/0042", legal_basis="TAJM art. 1")  # fmt: skip
    with linked.mx.db.session() as session:
        sent = session.get(HitQuery, (answer.query_id, SENT))
        assert sent is not None
        assert sent.spec_version == answer.spec_version
    with linked.us.db.session() as session:
        received = session.get(HitQuery, (answer.query_id, RECEIVED))
        assert received is not None
        assert received.spec_version == answer.spec_version
    return [s.hit for s in answer.subjects], answer.spec_version


def _copy(linked: Linked) -> tuple[int, str, set[bytes], int]:
    """Mexico's copy of the US index: its version, the versions the US said it serves, its
    fingerprints and the size it keeps."""
    with linked.mx.db.session() as session:
        state = session.execute(select(PartnerPrintState)).scalar_one()
        prints = set(session.execute(select(PartnerPrint.fingerprint)).scalars())
        return state.spec_version, state.partner_versions, prints, state.key_count


def _published(linked: Linked, version: int) -> set[bytes]:
    with linked.us.db.session() as session:
        mexico = session.execute(select(Partner).where(Partner.node_id == "mx-node")).scalar_one()
        return index.live_fingerprints(session, mexico, version)


def test_each_version_is_an_index_of_its_own(linked: Linked) -> None:
    published = {version: _published(linked, version) for version in (1, 2)}
    with linked.us.db.session() as session:
        states = {s.spec_version: s for s in session.execute(select(HitIndexState)).scalars()}
        assert sorted(states) == [1, 2]
        assert states[1].secret != states[2].secret
        assert states[1].key_count == len(published[1]) > 0
        assert states[2].key_count == len(published[2]) > 0
    assert not published[1] & published[2]
    officer = add_user(linked.us, "cbp1", "CBP", ["analyst"])
    with linked.us.db.session() as session:
        records.create(session, linked.us.settings, officer, "vehicle",
                       {"name": "Camioneta", "vin": "1HGCM82633A004352"}, SEARCHABLE)  # fmt: skip
    reports = refresh.refresh_partners(linked.us)
    assert [(r.partner, r.spec_version) for r in reports] == [("mx-node", 1), ("mx-node", 2)]
    assert all(r.added > 0 and r.seq == 2 for r in reports)  # each its own sequence
    with linked.us.db.session() as session:
        versions = set(session.execute(select(HitIndexEntry.spec_version)).scalars())
    assert versions == {1, 2}


def test_a_version_dropped_from_the_setting_is_neither_refreshed_nor_served(
    linked: Linked, downloads: list[dict[str, Any]]
) -> None:
    linked.us.settings.hits.spec_versions = [2]
    with linked.us.db.session() as session:
        before = session.get(HitIndexState, (1, 1))
        assert before is not None
        watermark = before.watermark
    officer = add_user(linked.us, "cbp1", "CBP", ["analyst"])
    with linked.us.db.session() as session:
        records.create(session, linked.us.settings, officer, "person",
                       {**HELD_PERSON, "given_names": "Eva"}, SEARCHABLE)  # fmt: skip
    assert [r.spec_version for r in refresh.refresh_partners(linked.us)] == [2]
    with linked.us.db.session() as session:
        after = session.get(HitIndexState, (1, 1))
        assert after is not None
        assert after.watermark == watermark
    linked.mx.settings.hits.spec_versions = [1]
    with pytest.raises(Unavailable, match="no match-key spec version in common"):
        _ask(linked)
    # Mexico asked for version 1; the US node refused it, naming the version it serves.
    assert [d["version"] for d in downloads] == [1]


def test_the_index_download_names_its_version_and_the_versions_served(
    linked: Linked,
) -> None:
    from fastapi.testclient import TestClient

    from puente.web.app import create_app
    from tests.support.nodes import US_SECRET

    client = TestClient(create_app(linked.us), base_url="http://us.test")
    client.auth = httpx.BasicAuth("mx-node", US_SECRET)
    old = client.get("/api/v1/hits/index", params={"since": 0})  # a node from before versions
    assert old.status_code == 200
    assert (old.json()["spec_version"], old.json()["spec_versions"]) == (1, [1, 2])
    assert old.json()["seq"] == 1
    new = client.get("/api/v1/hits/index", params={"since": 0, "version": 2}).json()
    assert new["spec_version"] == 2
    assert new["added"] != old.json()["added"]
    linked.us.settings.hits.spec_versions = [2]
    refused = client.get("/api/v1/hits/index", params={"since": 0})
    assert refused.status_code == 400
    problem = refused.json()
    assert problem["spec_versions"] == [2]
    assert problem["errors"][0]["pointer"] == "/version"
    assert "versions 2 only" in problem["detail"]


def test_two_nodes_of_both_versions_ask_in_the_highest(
    linked: Linked, downloads: list[dict[str, Any]]
) -> None:
    assert _ask(linked) == ([True, True], 2)
    assert _ask(linked, NOBODY) == ([False], 2)
    version, announced, prints, count = _copy(linked)
    assert (version, announced, count) == (2, "1,2", len(prints))
    assert prints == _published(linked, 2)
    assert downloads[0] == {"since": 0, "version": 2}  # a first contact asks in its highest


def test_a_partner_from_before_versions_is_asked_in_version_1(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = _record(monkeypatch, old=True)
    assert _ask(linked) == ([True, True], 1)
    assert _ask(linked, NOBODY) == ([False], 1)
    version, announced, prints, _ = _copy(linked)
    assert (version, announced) == (1, "1")
    assert prints == _published(linked, 1)
    # The first download asked for 2, got version 1's index unannounced, and kept it.
    assert [d["version"] for d in downloads][:2] == [2, 1]
    assert downloads[1]["since"] > 0  # the second query: the copy's changes, in version 1


def test_a_partner_that_moves_to_version_2_has_its_index_downloaded_again_in_2(
    linked: Linked, downloads: list[dict[str, Any]]
) -> None:
    linked.us.settings.hits.spec_versions = [1]
    assert _ask(linked) == ([True, True], 1)  # asked 2 first: refused, naming 1
    assert [(d["since"], d["version"]) for d in downloads] == [(0, 2), (0, 1)]
    assert _copy(linked)[:2] == (1, "1")
    linked.us.settings.hits.spec_versions = [1, 2]
    refresh.refresh_partners(linked.us)
    del downloads[:]
    assert _ask(linked) == ([True, True], 2)
    held = _copy(linked)
    assert (held[0], held[1], held[3]) == (2, "1,2", len(_published(linked, 2)))
    assert held[2] == _published(linked, 2)
    # The copy's changes in 1 said the US serves 2: the copy was dropped and 2's downloaded whole.
    assert [(d["since"], d["version"]) for d in downloads] == [(1, 1), (0, 2)]
    assert _ask(linked, NOBODY) == ([False], 2)


def test_a_partner_that_drops_the_copys_version_has_it_downloaded_in_another(
    linked: Linked, downloads: list[dict[str, Any]]
) -> None:
    assert _ask(linked) == ([True, True], 2)
    linked.us.settings.hits.spec_versions = [1]
    assert _ask(linked) == ([True, True], 1)
    assert _copy(linked)[:2] == (1, "1")
    assert _copy(linked)[2] == _published(linked, 1)


def test_a_node_that_moved_on_before_its_partner_asks_again_once_it_has(
    linked: Linked, downloads: list[dict[str, Any]]
) -> None:
    """Mexico drops version 1 while the US node still serves 1 only: no query until the US
    node serves 2, then Mexico's next query finds it does."""
    linked.us.settings.hits.spec_versions = [1]
    assert _ask(linked) == ([True, True], 1)
    linked.mx.settings.hits.spec_versions = [2]
    with pytest.raises(Unavailable, match="no match-key spec version in common"):
        _ask(linked)
    linked.us.settings.hits.spec_versions = [1, 2]
    assert _ask(linked) == ([True, True], 2)
    assert _copy(linked)[:2] == (2, "1,2")
