"""A copy released to answer a request is never less restrictive than its original allows
(issue 13, leak 4), through the REST API of two nodes in one process.

A record Mexico may not have (REL TO lacks MEX), a TLP:RED one, or one of another agency than
the liaison's waits for its originating agency's approval: nothing leaves until it approves,
with the markings it approves; a refusal keeps the record home and tells the liaison.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.audit.models import AuditEntry
from puente.errors import Forbidden
from puente.policy.markings import Markings
from puente.records import service as records
from puente.sharing import recalls, sync
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import add_user, token_headers
from tests.support.rfis import (
    REQUEST,
    WHY,
    Originals,
    headers_of,
    principal_of,
    usa_only_records,
)


@pytest.fixture
def apis(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, TestClient]]:
    us_app, mx_app = route_both_ways(linked, monkeypatch)
    with TestClient(mx_app) as mx, TestClient(us_app) as us:
        yield mx, us


def _answer(**more: Any) -> dict[str, Any]:
    return {"answer": "Three records.", "tlp": "GREEN", "handling": "H0"} | more


def _mexico_reads(mx: TestClient, fer: dict[str, str]) -> list[str]:
    return [r["name"] for r in mx.get("/api/v1/records", headers=fer).json()["items"]]


def _actions(linked: Linked) -> list[str]:
    with linked.us.db.session() as session:
        return list(session.execute(
            select(AuditEntry.action).where(AuditEntry.action.like("rfi.release.%"))
            .order_by(AuditEntry.seq)
        ).scalars())  # fmt: skip


@pytest.fixture
def asked(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> tuple[Originals, dict[str, str], dict[str, str], str]:
    """Mexico's analyst asks; the three USA-only records are there to be (mis)released."""
    mx, _us = apis
    originals = usa_only_records(linked.us)
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    lia = token_headers(linked.us, "lia", "HSI", "liaison")
    rfi = mx.post("/api/v1/rfis", json=REQUEST, headers=fer).json()
    return originals, fer, lia, rfi["id"]


def test_records_mexico_may_not_have_wait_for_their_originators(
    apis: tuple[TestClient, TestClient], linked: Linked, asked: Any
) -> None:
    mx, us = apis
    originals, fer, lia, rfi_id = asked
    ids = list(originals.ids.values())
    # Without a reason for the originators, nothing is released and the liaison learns why.
    refused = us.post(f"/api/v1/rfis/{rfi_id}/answer", headers=lia, json=_answer(records=ids))
    assert refused.status_code == 422, refused.text
    errors = {e["pointer"]: e["detail"] for e in refused.json()["errors"]}
    assert "/release_reason" in errors
    assert "needs the approval of CBP" in errors["/records/0"]
    assert "needs the approval of DEA" in errors["/records/1"]
    assert "needs the approval of INL" in errors["/records/2"]
    sync.sync(linked.mx, "us-node")
    assert _mexico_reads(mx, fer) == []
    # With a reason, the answer waits for the three agencies: accepted, not answered.
    held = us.post(f"/api/v1/rfis/{rfi_id}/answer", headers=lia,
                   json=_answer(records=ids, release_reason=WHY))  # fmt: skip
    assert held.status_code == 202, held.text
    body = held.json()
    assert (body["state"], body["answer"], body["released_count"]) == ("received", "", 0)
    assert sorted((a["agency"], a["state"]) for a in body["approvals"]) == [
        ("CBP", "pending"), ("DEA", "pending"), ("INL", "pending")]  # fmt: skip
    sync.sync(linked.mx, "us-node")
    assert _mexico_reads(mx, fer) == []
    mine = mx.get(f"/api/v1/rfis/{rfi_id}", headers=fer).json()
    assert (mine["state"], mine["answer"]) == ("received", "")
    # Each agency's users who may write records see what is theirs to decide, and only that.
    for agency, name in (("CBP", "Rubí rojo"), ("DEA", "Ámbar estricto"),
                         ("INL", "Claro nacional")):  # fmt: skip
        author = headers_of(linked.us, originals.authors[agency])
        (item,) = us.get("/api/v1/rfis/approvals", headers=author).json()
        assert (item["record"]["name"], item["agency"], item["reason"]) == (name, agency, WHY)
        assert item["proposed"]["tlp"] == "GREEN"
        assert "not releasable to MEX" in " ".join(item["why"])
        assert item["requester_agency"] == "FGR"
    strangers = token_headers(linked.us, "ana.atf", "ATF", "analyst")
    assert us.get("/api/v1/rfis/approvals", headers=strangers).json() == []
    watcher = token_headers(linked.us, "cbp.coord", "CBP", "coordinator")
    assert us.get("/api/v1/rfis/approvals", headers=watcher).status_code == 403
    assert _actions(linked) == ["rfi.release.ask"] * 3


def test_the_originators_approval_releases_them_with_the_markings_it_approved(
    apis: tuple[TestClient, TestClient], linked: Linked, asked: Any
) -> None:
    mx, us = apis
    originals, fer, lia, rfi_id = asked
    held = us.post(f"/api/v1/rfis/{rfi_id}/answer", headers=lia,
                   json=_answer(records=list(originals.ids.values()),
                                release_reason=WHY)).json()  # fmt: skip
    by_agency = {a["agency"]: a["id"] for a in held["approvals"]}
    cbp = headers_of(linked.us, originals.authors["CBP"])
    dea = headers_of(linked.us, originals.authors["DEA"])
    inl = headers_of(linked.us, originals.authors["INL"])
    # Nobody decides for another agency, and the liaison who asked does not approve.
    assert us.post(f"/api/v1/rfis/approvals/{by_agency['CBP']}/approve", headers=dea,
                   json={}).status_code == 404  # fmt: skip
    # The originator may lower the TLP (it is its record), or keep it; RED never leaves.
    red = us.post(f"/api/v1/rfis/approvals/{by_agency['CBP']}/approve", headers=cbp,
                  json={"tlp": "RED"})  # fmt: skip
    assert red.status_code == 422
    approved = us.post(
        f"/api/v1/rfis/approvals/{by_agency['CBP']}/approve",
        headers=cbp,
        json={"tlp": "AMBER", "handling": "H2", "note": "Fine as AMBER."},
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["decided_by"]) == ("approved", "cbp.red")
    us.post(f"/api/v1/rfis/approvals/{by_agency['DEA']}/approve", headers=dea,
            json={"tlp": "AMBER+STRICT", "handling": "H2"})  # fmt: skip
    # Two of three approved: still nothing leaves.
    sync.sync(linked.mx, "us-node")
    assert _mexico_reads(mx, fer) == []
    last = us.post(f"/api/v1/rfis/approvals/{by_agency['INL']}/approve", headers=inl, json={})
    assert last.status_code == 200, last.text
    answered = us.get(f"/api/v1/rfis/{rfi_id}", headers=lia).json()
    assert (answered["state"], answered["released_count"]) == ("answered", 3)
    sync.sync(linked.mx, "us-node")
    mine = mx.get(f"/api/v1/rfis/{rfi_id}", headers=fer).json()
    assert (mine["state"], mine["answer"]) == ("answered", "Three records.")
    copies = {}
    for copy_id in mine["released"]:
        copy = mx.get(f"/api/v1/records/{copy_id}", headers=fer).json()
        copies[copy["name"]] = copy
    assert set(copies) == set(originals.ids)
    red_copy = copies["Rubí rojo"]
    assert (red_copy["markings"]["tlp"], red_copy["markings"]["handling"]) == ("AMBER", "H2")
    # The copy keeps the original's grading and its originating agency.
    assert (red_copy["markings"]["reliability"], red_copy["markings"]["credibility"]) == ("A", 2)
    assert red_copy["originating_agency"] == "CBP"
    strict = copies["Ámbar estricto"]
    assert strict["markings"]["tlp"] == "AMBER+STRICT"
    assert "FGR" in strict["markings"]["agencies"]
    assert strict["originating_agency"] == "DEA"
    assert copies["Claro nacional"]["markings"]["tlp"] == "GREEN"  # as the liaison proposed
    assert set(red_copy["markings"]["rel_to"]) == {"USA", "MEX"}
    # Another analyst in Mexico reads none of them.
    otro = token_headers(linked.mx, "otro", "FGR", "analyst")
    assert _mexico_reads(mx, otro) == []
    # The originals are untouched.
    with linked.us.db.session() as session:
        original = records.get(session, originals.authors["CBP"], originals.ids["Rubí rojo"])
    assert original.markings.tlp == "RED"
    assert _actions(linked) == ["rfi.release.ask"] * 3 + ["rfi.release.approve"] * 3
    # The copy is CBP's: the liaison of HSI may not recall it; CBP's approver may.
    with pytest.raises(Forbidden), linked.us.db.session() as session:
        recalls.recall(session, linked.us, principal_of(linked.us, "lia"), red_copy["id"],
                       "Sent too early.")  # fmt: skip
    with linked.us.db.session() as session:
        recalled = recalls.recall(session, linked.us, originals.authors["CBP"], red_copy["id"],
                                  "Sent too early.")  # fmt: skip
    assert recalled.partners == ["mx-node"]


def test_a_refusal_keeps_the_record_home_and_tells_the_liaison(
    apis: tuple[TestClient, TestClient], linked: Linked, asked: Any
) -> None:
    mx, us = apis
    originals, fer, lia, rfi_id = asked
    clear = originals.ids["Claro nacional"]
    held = us.post(f"/api/v1/rfis/{rfi_id}/answer", headers=lia,
                   json=_answer(records=[clear], release_reason=WHY)).json()  # fmt: skip
    (approval,) = held["approvals"]
    inl = headers_of(linked.us, originals.authors["INL"])
    empty = us.post(f"/api/v1/rfis/approvals/{approval['id']}/refuse", headers=inl, json={})
    assert empty.status_code == 422
    refused = us.post(f"/api/v1/rfis/approvals/{approval['id']}/refuse", headers=inl,
                      json={"reason": "An open case; not for the partner yet."})  # fmt: skip
    assert refused.status_code == 200, refused.text
    assert refused.json()["state"] == "refused"
    again = us.post(f"/api/v1/rfis/approvals/{approval['id']}/approve", headers=inl, json={})
    assert again.status_code == 409
    told = us.get(f"/api/v1/rfis/{rfi_id}", headers=lia).json()
    assert told["state"] == "received"
    assert [(a["state"], a["note"]) for a in told["approvals"]] == [
        ("refused", "An open case; not for the partner yet.")]  # fmt: skip
    assert told["history"][-1]["action"] == "release-refused"
    assert "An open case" in told["history"][-1]["note"]
    sync.sync(linked.mx, "us-node")
    assert _mexico_reads(mx, fer) == []
    assert mx.get(f"/api/v1/rfis/{rfi_id}", headers=fer).json()["state"] == "received"
    # The liaison may still answer, without the refused record.
    plain = us.post(f"/api/v1/rfis/{rfi_id}/answer", headers=lia, json=_answer())
    assert plain.status_code == 200, plain.text
    assert _actions(linked) == ["rfi.release.ask", "rfi.release.refuse"]


def test_a_record_of_the_liaisons_agency_goes_at_once_never_below_its_markings(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    mx, us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    lia_headers = token_headers(linked.us, "lia", "HSI", "liaison")
    hsi = add_user(linked.us, "hsi1", "HSI", ["analyst"])
    marked = Markings(tlp="AMBER", rel_to=frozenset({"USA", "MEX"}), handling="H3",
                      handling_text="Ask HSI before any court use.", reliability="B",
                      credibility=2)  # fmt: skip
    with linked.us.db.session() as session:
        own = records.create(session, linked.us.settings, hsi, "incident",
                             {"name": "Túnel en Nogales"}, marked).stix_id  # fmt: skip
    rfi = mx.post("/api/v1/rfis", json=REQUEST, headers=fer).json()
    answered = us.post(f"/api/v1/rfis/{rfi['id']}/answer", headers=lia_headers,
                       json=_answer(records=[own]))  # fmt: skip
    assert answered.status_code == 200, answered.text
    assert answered.json()["approvals"] == []
    sync.sync(linked.mx, "us-node")
    (copy_id,) = mx.get(f"/api/v1/rfis/{rfi['id']}", headers=fer).json()["released"]
    copy = mx.get(f"/api/v1/records/{copy_id}", headers=fer).json()
    # GREEN H0 was asked for; the copy keeps the original's AMBER and H3 with its text.
    assert (copy["markings"]["tlp"], copy["markings"]["handling"]) == ("AMBER", "H3")
    assert copy["markings"]["handling_text"] == "Ask HSI before any court use."
    assert (copy["markings"]["reliability"], copy["markings"]["credibility"]) == ("B", 2)
    assert copy["originating_agency"] == "HSI"


def test_a_record_for_named_recipients_here_only_waits_for_its_originator(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    """A record whose named recipients are all users of this node never goes to the partner
    (issue 13, leak 2); its own agency's liaison may not send it there as a copy either: the
    leak oracle saw CBP's liaison release a record for cbp.ana@USA alone to Mexico at once."""
    mx, us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    lia = add_user(linked.us, "cbp.lia", "CBP", ["liaison"])
    add_user(linked.us, "cbp.ana", "CBP", ["analyst"])
    marked = Markings(tlp="GREEN", rel_to=frozenset({"USA", "MEX"}),
                      recipients=frozenset({"cbp.ana@USA"}))  # fmt: skip
    with linked.us.db.session() as session:
        own = records.create(session, linked.us.settings, lia, "incident", {"name": "Para Ana"},
                             marked).stix_id  # fmt: skip
    rfi = mx.post("/api/v1/rfis", json=REQUEST, headers=fer).json()
    answered = us.post(f"/api/v1/rfis/{rfi['id']}/answer", headers=headers_of(linked.us, lia),
                       json=_answer(records=[own], release_reason=WHY))  # fmt: skip
    assert answered.status_code == 202, answered.text
    (approval,) = answered.json()["approvals"]
    assert (approval["agency"], approval["state"]) == ("CBP", "pending")
    assert "not releasable to MEX" in " ".join(approval["why"])
    sync.sync(linked.mx, "us-node")
    assert _mexico_reads(mx, fer) == []
    assert mx.get(f"/api/v1/rfis/{rfi['id']}", headers=fer).json()["released_count"] == 0


def test_the_liaison_who_asked_does_not_approve_its_own_release(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    """A CBP liaison releasing CBP's USA-only record needs another CBP user's approval."""
    mx, us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    lia = add_user(linked.us, "cbp.lia", "CBP", ["liaison"])
    with linked.us.db.session() as session:
        own = records.create(session, linked.us.settings, lia, "incident", {"name": "Nacional"},
                             Markings(tlp="AMBER", rel_to=frozenset({"USA"}))).stix_id  # fmt: skip
    rfi = mx.post("/api/v1/rfis", json=REQUEST, headers=fer).json()
    headers = headers_of(linked.us, lia)
    held = us.post(f"/api/v1/rfis/{rfi['id']}/answer", headers=headers,
                   json=_answer(records=[own], release_reason=WHY))  # fmt: skip
    assert held.status_code == 202, held.text
    (approval,) = held.json()["approvals"]
    assert us.get("/api/v1/rfis/approvals", headers=headers).json()[0]["id"] == approval["id"]
    own_approval = us.post(f"/api/v1/rfis/approvals/{approval['id']}/approve", headers=headers,
                           json={})  # fmt: skip
    assert own_approval.status_code == 403
    assert "another user of CBP" in own_approval.json()["detail"]


def test_a_withdrawn_request_takes_its_held_answer_out_of_the_inbox(
    apis: tuple[TestClient, TestClient], linked: Linked, asked: Any
) -> None:
    mx, us = apis
    originals, fer, lia, rfi_id = asked
    held = us.post(f"/api/v1/rfis/{rfi_id}/answer", headers=lia,
                   json=_answer(records=[originals.ids["Claro nacional"]],
                                release_reason=WHY)).json()  # fmt: skip
    (approval,) = held["approvals"]
    inl = headers_of(linked.us, originals.authors["INL"])
    assert len(us.get("/api/v1/rfis/approvals", headers=inl).json()) == 1
    assert mx.post(f"/api/v1/rfis/{rfi_id}/withdraw", json={}, headers=fer).status_code == 200
    assert us.get("/api/v1/rfis/approvals", headers=inl).json() == []
    late = us.post(f"/api/v1/rfis/approvals/{approval['id']}/approve", headers=inl, json={})
    assert late.status_code == 409
    assert "already cancelled" in late.json()["detail"]
    told = us.get(f"/api/v1/rfis/{rfi_id}", headers=lia).json()
    assert told["state"] == "withdrawn"
    assert told["history"][-1]["action"] == "release-cancelled"
    assert _actions(linked) == ["rfi.release.ask", "rfi.release.cancel"]


# -- attacks on the rules (issue 13, rule 4): each reproduced through the REST API -----------


def test_a_record_re_versioned_after_its_approval_waits_for_a_new_one(
    apis: tuple[TestClient, TestClient], linked: Linked, asked: Any
) -> None:
    """CBP approves releasing its record; before the answer goes (DEA has not decided yet)
    CBP makes a new version, TLP:RED with content it never approved for Mexico. DEA's approval
    must not send that new version under the markings CBP approved for the old one."""
    mx, us = apis
    originals, fer, lia, rfi_id = asked
    red, strict = originals.ids["Rubí rojo"], originals.ids["Ámbar estricto"]
    held = us.post(f"/api/v1/rfis/{rfi_id}/answer", headers=lia,
                   json=_answer(records=[red, strict], release_reason=WHY)).json()  # fmt: skip
    by_agency = {a["agency"]: a["id"] for a in held["approvals"]}
    cbp = headers_of(linked.us, originals.authors["CBP"])
    dea = headers_of(linked.us, originals.authors["DEA"])
    ok = us.post(f"/api/v1/rfis/approvals/{by_agency['CBP']}/approve", headers=cbp,
                 json={"tlp": "GREEN", "handling": "H0"})  # fmt: skip
    assert ok.status_code == 200, ok.text
    # CBP's new version: still for the liaison (who may see it), now naming the informant.
    secret = {"tlp": "RED", "rel_to": ["USA"], "recipients": ["lia"]}
    put = us.put(f"/api/v1/records/{red}", headers=cbp,
                 json={"fields": {"name": "Rubí rojo: informante Z-7"},
                       "markings": secret})  # fmt: skip
    assert put.status_code == 200, put.text
    last = us.post(f"/api/v1/rfis/approvals/{by_agency['DEA']}/approve", headers=dea, json={})
    assert last.status_code == 200, last.text
    sync.sync(linked.mx, "us-node")
    assert _mexico_reads(mx, fer) == []
    # The answer is held no more: the liaison is told and may ask again, for the new version.
    told = us.get(f"/api/v1/rfis/{rfi_id}", headers=lia).json()
    assert (told["state"], told["history"][-1]["action"]) == ("received", "release-cancelled")


def test_a_record_for_named_recipients_here_waits_for_its_originator(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    """A DEA analyst writes a record REL TO USA, MEX for one named recipient here, the DEA
    liaison: federation never sends it (its recipients are all on this node). The liaison,
    of the originating agency but not its author, must not send it by answering a request."""
    mx, us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    lia = token_headers(linked.us, "dea.lia", "DEA", "liaison")
    author = add_user(linked.us, "dea.author", "DEA", ["analyst"])
    for_lia = Markings(tlp="AMBER", rel_to=frozenset({"USA", "MEX"}),
                       recipients=frozenset({"dea.lia@USA"}))  # fmt: skip
    with linked.us.db.session() as session:
        own = records.create(session, linked.us.settings, author, "incident",
                             {"name": "Solo para el enlace"}, for_lia).stix_id  # fmt: skip
    sync.sync(linked.mx, "us-node")
    assert _mexico_reads(mx, fer) == []
    rfi = mx.post("/api/v1/rfis", json=REQUEST, headers=fer).json()
    answered = us.post(f"/api/v1/rfis/{rfi['id']}/answer", headers=lia,
                       json=_answer(records=[own], release_reason=WHY))  # fmt: skip
    assert answered.status_code == 202, answered.text
    assert [a["agency"] for a in answered.json()["approvals"]] == ["DEA"]
    sync.sync(linked.mx, "us-node")
    assert _mexico_reads(mx, fer) == []


def test_a_recall_reaches_the_copy_of_a_copy(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    """A CBP liaison releases CBP's record to answer one request, then releases that copy (it
    is the copy's author, so it sees it) to answer another. Recalling the original must reach
    both copies: each holds the original's content."""
    mx, us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    lia_who = add_user(linked.us, "cbp.lia", "CBP", ["liaison"])
    lia = headers_of(linked.us, lia_who)
    author = add_user(linked.us, "cbp.author", "CBP", ["analyst"])
    shared = Markings(tlp="AMBER", rel_to=frozenset({"USA", "MEX"}))
    with linked.us.db.session() as session:
        own = records.create(session, linked.us.settings, author, "incident",
                             {"name": "Bodega en Laredo"}, shared).stix_id  # fmt: skip
    first = mx.post("/api/v1/rfis", json=REQUEST, headers=fer).json()
    done = us.post(f"/api/v1/rfis/{first['id']}/answer", headers=lia, json=_answer(records=[own]))
    assert done.status_code == 200, done.text
    (copy,) = us.get(f"/api/v1/rfis/{first['id']}", headers=lia).json()["released"]
    second = mx.post("/api/v1/rfis", json=REQUEST | {"title": "Otra vez"}, headers=fer).json()
    again = us.post(f"/api/v1/rfis/{second['id']}/answer", headers=lia,
                    json=_answer(records=[copy]))  # fmt: skip
    assert again.status_code == 200, again.text
    sync.sync(linked.mx, "us-node")
    assert _mexico_reads(mx, fer).count("Bodega en Laredo") == 3
    with linked.us.db.session() as session:
        recalls.recall(session, linked.us, author, own, "Shared by mistake.")
    sync.sync(linked.mx, "us-node")
    assert "Bodega en Laredo" not in _mexico_reads(mx, fer)


def test_a_user_of_the_agency_who_may_not_see_the_record_does_not_approve_it(
    apis: tuple[TestClient, TestClient], linked: Linked, asked: Any
) -> None:
    """CBP's TLP:RED record is for its named recipients: another CBP analyst, who may write
    records but may not read this one, neither sees the approval nor decides it."""
    _mx, us = apis
    originals, _fer, lia, rfi_id = asked
    held = us.post(f"/api/v1/rfis/{rfi_id}/answer", headers=lia,
                   json=_answer(records=[originals.ids["Rubí rojo"]],
                                release_reason=WHY)).json()  # fmt: skip
    (approval,) = held["approvals"]
    other = token_headers(linked.us, "cbp.two", "CBP", "analyst")
    assert us.get("/api/v1/rfis/approvals", headers=other).json() == []
    for verb, body in (("approve", {}), ("refuse", {"reason": "No."})):
        decided = us.post(f"/api/v1/rfis/approvals/{approval['id']}/{verb}", headers=other,
                          json=body)  # fmt: skip
        assert decided.status_code == 404, decided.text
