"""A partner downloads the index in pages: whole and exactly as the index stands, however many
pages it spans, a delta too, and a refresh between two pages changes nothing of what it gets."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from puente.audit.models import AuditEntry
from puente.hits import answering, index, psi, refresh
from puente.hits import transport as hit_transport
from puente.hits.models import PartnerPrint, PartnerPrintState
from puente.node import Node
from puente.policy.roles import Principal
from puente.records import service as records
from puente.sharing import partners, recalls
from puente.sharing.models import Partner
from puente.sharing.partners import PartnerPrincipal
from tests.support.linked import SEARCHABLE, Linked
from tests.support.nodes import add_user
from tests.support.partners import add_keyed_partner

PAGE = 7  # fingerprints a page: the few persons below span many pages
PERSONS = [("Ana María", "Ruiz", "Soto", "1990-05-01"), ("Pedro", "Gómez", "Lara", "1975-11-30"),
           ("Lucía", "Fernández", "Ortega", "1988-02-17"), ("Jorge", "Castillo", "Vega", "1969-07-04")]  # fmt: skip


def _person(given: str, paternal: str, maternal: str, dob: str) -> dict[str, str]:
    return {"given_names": given, "paternal_surname": paternal, "maternal_surname": maternal,
            "date_of_birth": dob}  # fmt: skip


def _add_persons(linked: Linked) -> list[str]:
    officer = add_user(linked.us, "cbp1", "CBP", ["analyst"])
    with linked.us.db.session() as session:
        ids = [records.create(session, linked.us.settings, officer, "person", _person(*p),
                              SEARCHABLE).stix_id for p in PERSONS]  # fmt: skip
    refresh.refresh_partners(linked.us)
    return ids


# Both nodes serve spec versions 1 and 2 (hits.spec_versions by default): Mexico's copy
# follows 2, the highest both serve.
SERVED = (1, 2)
COPIED = 2


def _changes(session: Any, asker: PartnerPrincipal, since: int, **page: Any) -> dict[str, Any]:
    return answering.index_changes(session, asker, since, version=COPIED, served=SERVED, **page)


def _published(us: Node) -> set[bytes]:
    with us.db.session() as session:
        mexico = session.execute(select(Partner)).scalar_one()
        return index.live_fingerprints(session, mexico, COPIED)


def _mexico(us: Node) -> PartnerPrincipal:
    with us.db.session() as session:
        mexico = session.execute(select(Partner)).scalar_one()
        return PartnerPrincipal(mexico.id, mexico.node_id, mexico.country)


def _copy(mx: Node) -> tuple[set[bytes], int]:
    """Mexico's copy of the US index, and the size it keeps for it."""
    with mx.db.session() as session:
        prints = set(session.execute(select(PartnerPrint.fingerprint)).scalars())
        state = session.execute(select(PartnerPrintState)).scalar_one()
        return prints, state.key_count


def _refresh_copy(mx: Node) -> int:
    with mx.db.session() as session:
        partner_id = session.execute(select(Partner.id)).scalar_one()
    with hit_transport.partner_client(mx, partner_id) as http:
        return hit_transport.refresh_copy(mx, partner_id, "us-node", http)


def _pages_served(us: Node) -> list[dict[str, Any]]:
    with us.db.session() as session:
        return [orjson.loads(entry.details) for entry in session.execute(
            select(AuditEntry).where(AuditEntry.action == "hits.index").order_by(AuditEntry.seq)
        ).scalars()]  # fmt: skip


def _split(blob: str) -> list[bytes]:
    raw = base64.b64decode(blob)
    return [raw[i : i + psi.FINGERPRINT_BYTES] for i in range(0, len(raw), psi.FINGERPRINT_BYTES)]


def _download(us: Node, since: int) -> tuple[dict[str, Any], list[list[bytes]], list[bytes]]:
    """Every page of what changed since ``since``, following ``next``: the first page, the
    fingerprints added by each page, and those removed."""
    asker = _mexico(us)
    pages: list[list[bytes]] = []
    removed: list[bytes] = []
    seq: int | None = None
    after = b""
    first: dict[str, Any] = {}
    while True:
        with us.db.session() as session:
            page = _changes(session, asker, since, seq=seq, after=after)
        first = first or page
        assert (page["seq"], page["full"]) == (first["seq"], first["full"])
        pages.append(_split(page["added"]))
        removed += _split(page["removed"])
        if not page["next"]:
            return first, pages, removed
        seq, after = page["seq"], bytes.fromhex(page["next"])


def test_an_index_of_many_pages_is_downloaded_whole_and_as_the_unpaged_one(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_persons(linked)
    published = _published(linked.us)
    with linked.us.db.session() as session:
        unpaged = _changes(session, _mexico(linked.us), 0)
    assert unpaged["next"] == ""
    assert set(_split(unpaged["added"])) == published
    monkeypatch.setattr(answering, "PAGE", PAGE)
    first, pages, removed = _download(linked.us, 0)
    assert first["full"]
    assert not removed
    assert len(pages) == -(-len(published) // PAGE) > 3
    assert all(len(page) == PAGE for page in pages[:-1])
    every = [fingerprint for page in pages for fingerprint in page]
    assert every == sorted(published)  # each once, in order, none missing
    # Mexico's copy, page after page over HTTP, is the same.
    before = len(_pages_served(linked.us))
    assert _refresh_copy(linked.mx) == len(published)
    assert _copy(linked.mx) == (published, len(published))
    assert len(_pages_served(linked.us)) - before == len(pages)


def test_a_delta_across_pages_brings_the_copy_to_the_index(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _add_persons(linked)
    monkeypatch.setattr(answering, "PAGE", PAGE)
    _refresh_copy(linked.mx)
    officer = add_user(linked.us, "cbp1", "CBP", ["analyst"])
    with linked.us.db.session() as session:
        for stix_id, person in zip(ids[:3], PERSONS, strict=False):
            records.new_version(session, linked.us.settings, officer, stix_id,
                                _person(*person[:3], "2001-01-01"), SEARCHABLE)  # fmt: skip
        records.revoke(session, linked.us.settings, officer, ids[3])
    before = len(_pages_served(linked.us))
    refresh.refresh_partners(linked.us)
    published = _published(linked.us)
    assert _refresh_copy(linked.mx) == len(published)
    assert _copy(linked.mx) == (published, len(published))
    served = _pages_served(linked.us)[before:]
    assert len(served) > 2
    assert not any(page["full"] for page in served)
    assert sum(page["removed"] for page in served) > PAGE


def test_a_refresh_between_two_pages_adds_nothing_and_gives_back_nothing_removed(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _add_persons(linked)
    monkeypatch.setattr(answering, "PAGE", PAGE)
    then = _published(linked.us)
    asker = _mexico(linked.us)
    with linked.us.db.session() as session:
        page = answering_first = _changes(session, asker, 0)
    officer = add_user(linked.us, "cbp1", "CBP", ["analyst"])
    with linked.us.db.session() as session:
        records.revoke(session, linked.us.settings, officer, ids[0])
        records.new_version(session, linked.us.settings, officer, ids[1],
                            _person(*PERSONS[1][:3], "2001-01-01"), SEARCHABLE)  # fmt: skip
    refresh.refresh_partners(linked.us)
    now = _published(linked.us)
    assert now != then
    got = _split(page["added"])
    seq, after = page["seq"], bytes.fromhex(page["next"])
    while after:
        with linked.us.db.session() as session:
            page = _changes(session, asker, 0, seq=seq, after=after)
        assert page["seq"] == seq
        got += _split(page["added"])
        after = bytes.fromhex(page["next"])
    # The index as the first page's refresh had it, less what was removed since (the revoked
    # person's keys, the old date's): nothing the refresh added, nothing it removed.
    first_page = set(_split(answering_first["added"]))
    assert got == sorted(set(got))  # each once, in order
    assert set(got) <= then
    assert set(got) - first_page == (then & now) - first_page
    # ... and the delta from that refresh brings it to the index as it stands now.
    first, pages, removed = _download(linked.us, seq)
    assert not first["full"]
    assert (set(got) | {f for p in pages for f in p}) - set(removed) == now


def test_no_refresh_a_partner_names_gives_back_what_was_removed_since(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partner names the refresh a download is pinned to (seq), and may name any: asking
    for the whole index at an old refresh gave it the keys of a record recalled since."""
    ids = _add_persons(linked)
    monkeypatch.setattr(answering, "PAGE", PAGE)
    asker = _mexico(linked.us)
    then = _published(linked.us)
    with linked.us.db.session() as session:
        old = _changes(session, asker, 0)["seq"]
    officer = add_user(linked.us, "cbp1", "CBP", ["analyst"])
    with linked.us.db.session() as session:
        recalls.recall(session, linked.us, officer, ids[0], "shared by mistake")
    refresh.refresh_partners(linked.us)
    now = _published(linked.us)
    assert now < then
    for after in (b"", b"\x00" * psi.FINGERPRINT_BYTES):
        got: set[bytes] = set()
        while True:
            with linked.us.db.session() as session:
                page = _changes(session, asker, 0, seq=old, after=after)
            assert page["seq"] == old
            got |= set(_split(page["added"]))
            if not page["next"]:
                break
            after = bytes.fromhex(page["next"])
        assert got == now  # the recalled person's keys: not one
    # A delta pinned at the old refresh gives them back neither, and drops them.
    with linked.us.db.session() as session:
        delta = _changes(session, asker, old, seq=old)
    assert not set(_split(delta["added"])) & (then - now)


def test_a_refresh_no_longer_held_starts_the_download_again(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _add_persons(linked)
    monkeypatch.setattr(answering, "PAGE", PAGE)
    asker = _mexico(linked.us)
    with linked.us.db.session() as session:
        page = _changes(session, asker, 0)
    officer = add_user(linked.us, "cbp1", "CBP", ["analyst"])
    with linked.us.db.session() as session:
        records.revoke(session, linked.us.settings, officer, ids[0])
    refresh.refresh_partners(linked.us)
    with linked.us.db.session() as session:
        _changes(session, asker, page["seq"] + 1)  # it says it holds the new one
        mexico = session.get(Partner, asker.partner_id)
        assert mexico is not None
        assert index.compact(session, mexico, COPIED) > 0  # the removals of that refresh are gone
    with linked.us.db.session() as session:
        again = _changes(session, asker, 0, seq=page["seq"],
                                        after=bytes.fromhex(page["next"]))  # fmt: skip
    # Not the rest of a refresh it can no longer give: the first page of the current one.
    assert again["seq"] == page["seq"] + 1
    assert _split(again["added"]) == sorted(_published(linked.us))[:PAGE]


def test_a_partner_enabled_again_downloads_nothing_recalled_while_it_was_disabled(
    linked: Linked,
) -> None:
    """The indexes of disabled partners were left as they stood: a partner enabled again
    downloaded the keys of the records recalled (or made unsearchable) meanwhile, until the
    next scheduled refresh."""
    ids = _add_persons(linked)
    then = _published(linked.us)
    admin = add_user(linked.us, "usadmin", "CBP", ["admin"])
    officer = add_user(linked.us, "cbp1", "CBP", ["analyst"])
    with linked.us.db.session() as session:
        partners.set_enabled(session, admin, "mx-node", False)
    with linked.us.db.session() as session:
        recalls.recall(session, linked.us, officer, ids[0], "shared by mistake")
    refresh.refresh_partners(linked.us)  # the scheduler's tick, while Mexico is disabled
    with linked.us.db.session() as session:
        partners.set_enabled(session, admin, "mx-node", True)
    _refresh_copy(linked.mx)  # before the next tick
    prints, _ = _copy(linked.mx)
    assert prints == _published(linked.us) < then


def test_two_copies_brought_up_to_date_at_once_store_it_once(
    node: Node, admin: Principal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every query brings the copy of the partner's index up to date first, and analysts ask
    at the same time: the second of two downloads of the whole index wrote it again into the
    copy the first had just written, and failed (a unique violation: the analyst's query a
    500); two deltas at once each counted the copy from the state before the other's."""
    if node.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes writers take turns")
    add_keyed_partner(node, admin, tmp_path)
    with node.db.session() as session:
        partner_id = session.execute(select(Partner.id)).scalar_one()
    published = sorted(bytes([n]) * psi.FINGERPRINT_BYTES for n in range(1, 40))

    def download(*args: Any) -> tuple[int, bool, int, list[int]]:
        added = args[4]
        added.write(b"".join(published))
        return 1, True, 2, [1, 2]

    stored, release = threading.Event(), threading.Event()
    store = hit_transport._store

    def held_open(*args: Any) -> Any:
        count = store(*args)
        if threading.current_thread() is not threading.main_thread():
            stored.set()
            release.wait(2)  # the transaction stays open while the other download stores
        return count

    monkeypatch.setattr(hit_transport, "_download", download)
    monkeypatch.setattr(hit_transport, "_store", held_open)

    def copy() -> int:
        return hit_transport.refresh_copy(node, partner_id, "mx-node", None)  # type: ignore[arg-type]

    first = threading.Thread(target=copy, daemon=True)
    first.start()
    assert stored.wait(10)
    assert copy() == len(published)
    release.set()
    first.join(10)
    with node.db.session() as session:
        prints = session.execute(select(PartnerPrint.fingerprint)).scalars().all()
        state = session.get(PartnerPrintState, partner_id)
        assert state is not None
        assert (sorted(prints), state.key_count, state.seq) == (published, len(published), 1)
