"""Requests for information over the REST API: analysts and liaisons with tokens, partner nodes
fetching the messages they were not sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from puente.sharing import sync
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import token_headers
from tests.support.rfis import WHY, headers_of, principal_of

REQUEST = {"partner": "us-node", "title": "José Luis Hernández Peña",
           "question": "What do you hold on him?", "case_reference": "FGR/0042/2026",
           "legal_basis": "TAJM art. 1"}  # fmt: skip


@pytest.fixture
def apis(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, TestClient]]:
    us_app, mx_app = route_both_ways(linked, monkeypatch)
    with TestClient(mx_app) as mx, TestClient(us_app) as us:
        yield mx, us


def test_a_request_and_its_answer_through_the_api(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    mx, us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    lia = token_headers(linked.us, "lia", "HSI", "liaison")
    sent = mx.post("/api/v1/rfis", json=REQUEST | {"priority": "urgent"}, headers=fer)
    assert sent.status_code == 201, sent.text
    rfi = sent.json()
    assert (rfi["state"], rfi["priority"], rfi["direction"]) == ("received", "urgent", "outgoing")
    inbox = us.get("/api/v1/rfis", params={"direction": "incoming"}, headers=lia).json()
    assert [r["id"] for r in inbox] == [rfi["id"]]
    answered = us.post(f"/api/v1/rfis/{rfi['id']}/answer", headers=lia,
                       json={"answer": "One record.", "records": [linked.held[0]],
                             "release_reason": WHY})  # fmt: skip
    # CBP's record is USA-only: the answer waits for CBP, whose analyst approves it.
    assert answered.status_code == 202, answered.text
    (approval,) = answered.json()["approvals"]
    cbp = headers_of(linked.us, principal_of(linked.us, "cbp1"))
    approved = us.post(f"/api/v1/rfis/approvals/{approval['id']}/approve", headers=cbp, json={})
    assert approved.status_code == 200, approved.text
    assert us.get(f"/api/v1/rfis/{rfi['id']}", headers=lia).json()["released_count"] == 1
    mine = mx.get(f"/api/v1/rfis/{rfi['id']}", headers=fer).json()
    assert (mine["state"], mine["answer"], mine["released"]) == ("answered", "One record.", [])
    sync.sync(linked.mx, "us-node")
    mine = mx.get(f"/api/v1/rfis/{rfi['id']}", headers=fer).json()
    assert len(mine["released"]) == 1
    assert [h["action"] for h in mine["history"]] == ["create", "send", "deliver", "answer"]
    # Only the answering node knew the answer waited for CBP.
    assert mine["approvals"] == []
    figures = us.get("/api/v1/rfis/timeliness", headers=lia).json()
    assert (figures["answered"], figures["answered_on_time"], figures["overdue"]) == (1, 1, 0)


def test_bad_requests_get_problem_details(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    mx, us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    unknown = mx.post("/api/v1/rfis", json=REQUEST | {"partner": "ca-node"}, headers=fer)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert "ca-node" in unknown.json()["detail"]
    missing = mx.post("/api/v1/rfis", json=REQUEST | {"legal_basis": ""}, headers=fer)
    assert missing.status_code == 422
    assert [e["pointer"] for e in missing.json()["errors"]] == ["/legal_basis"]
    rfi = mx.post("/api/v1/rfis", json=REQUEST, headers=fer).json()
    assert mx.post(f"/api/v1/rfis/{rfi['id']}/withdraw", json={}, headers=fer).status_code == 200
    lia = token_headers(linked.us, "lia", "HSI", "liaison")
    late = us.post(f"/api/v1/rfis/{rfi['id']}/answer", json={"answer": "x"}, headers=lia)
    assert late.status_code == 409
    assert "withdrawn" in late.json()["detail"]
    spanish = us.post(f"/api/v1/rfis/{rfi['id']}/answer", json={"answer": "x"},
                      headers=lia | {"Accept-Language": "es"})  # fmt: skip
    assert "retiró la solicitud" in spanish.json()["detail"]
    # Only partner nodes fetch messages; an analyst is refused.
    assert us.get("/api/v1/rfis/messages", headers=lia).status_code == 403


def test_an_unknown_action_is_refused_before_anything_is_audited(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    """What a caller types into the URL is not written into the audit log."""
    from sqlalchemy import func, select

    from puente.audit.models import AuditEntry

    _mx, us = apis
    lia = token_headers(linked.us, "lia", "HSI", "liaison")
    with linked.us.db.session() as session:
        before = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    refused = us.post(f"/api/v1/rfis/nope/{'x' * 3000}", json={}, headers=lia)
    assert refused.status_code == 404
    assert "use one of: send, withdraw, assign, answer, decline" in refused.json()["detail"]
    with linked.us.db.session() as session:
        after = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    assert after == before


def test_only_its_author_sends_a_draft(apis: tuple[TestClient, TestClient], linked: Linked) -> None:
    """A liaison oversees every request, but another user's draft is not theirs to send."""
    mx, _us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    enlace = token_headers(linked.mx, "enlace", "FGR", "liaison")
    admin = token_headers(linked.mx, "jefa", "FGR", "admin")
    draft = mx.post("/api/v1/rfis", json=REQUEST | {"send": False}, headers=fer).json()
    assert draft["state"] == "draft"
    for other in (enlace, admin):
        assert (
            mx.post(f"/api/v1/rfis/{draft['id']}/send", json={}, headers=other).status_code == 404
        )
        assert mx.get(f"/api/v1/rfis/{draft['id']}", headers=other).status_code == 404
        listed = mx.get("/api/v1/rfis", headers=other).json()
        assert draft["id"] not in [r["id"] for r in listed]
    assert mx.get(f"/api/v1/rfis/{draft['id']}", headers=fer).json()["state"] == "draft"
    sent = mx.post(f"/api/v1/rfis/{draft['id']}/send", json={}, headers=fer)
    assert sent.status_code == 200, sent.text
    assert sent.json()["state"] == "received"
    # Sent, it is no longer a draft: the liaison oversees it like any other request.
    assert mx.get(f"/api/v1/rfis/{draft['id']}", headers=enlace).status_code == 200


def test_reading_a_request_and_its_answer_is_audited(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    from sqlalchemy import select

    from puente.audit.models import AuditEntry

    mx, us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    lia = token_headers(linked.us, "lia", "HSI", "liaison")
    rfi = mx.post("/api/v1/rfis", json=REQUEST, headers=fer).json()

    def reads(node: object) -> list[tuple[str, str, str]]:
        with node.db.session() as session:  # type: ignore[attr-defined]
            return [tuple(r) for r in session.execute(
                select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)
                .where(AuditEntry.action.in_(("rfi.read", "rfi.answer.read")))
                .order_by(AuditEntry.seq)
            ).all()]  # fmt: skip

    assert reads(linked.mx) == []  # creating it is not reading it
    assert us.get(f"/api/v1/rfis/{rfi['id']}", headers=lia).status_code == 200
    assert reads(linked.us) == [("lia", "rfi.read", rfi["id"])]
    us.post(f"/api/v1/rfis/{rfi['id']}/answer", headers=lia, json={"answer": "Nothing here."})
    assert mx.get(f"/api/v1/rfis/{rfi['id']}", headers=fer).status_code == 200
    assert reads(linked.mx) == [("fer", "rfi.read", rfi["id"]),
                                ("fer", "rfi.answer.read", rfi["id"])]  # fmt: skip


def test_a_refused_read_of_a_request_is_a_logged_denial(
    apis: tuple[TestClient, TestClient], linked: Linked
) -> None:
    """Another analyst reading fer's request (or guessing request ids) is refused with 404, and
    the refusal reaches the audit log like a refused record read, counted per hour."""
    from sqlalchemy import select

    from puente.audit.models import AuditEntry

    mx, _us = apis
    fer = token_headers(linked.mx, "fer", "FGR", "analyst")
    other = token_headers(linked.mx, "otro", "GN", "analyst")
    rfi = mx.post("/api/v1/rfis", json=REQUEST, headers=fer).json()
    assert mx.get(f"/api/v1/rfis/{rfi['id']}", headers=other).status_code == 404
    assert mx.get("/api/v1/rfis/3f0c9a44-0000-4000-8000-000000000000",
                  headers=other).status_code == 404  # fmt: skip
    with linked.mx.db.session() as session:
        logged = session.execute(
            select(AuditEntry.actor, AuditEntry.target)
            .where(AuditEntry.action == "rfi.denied")
            .order_by(AuditEntry.seq)
        ).all()
    assert [tuple(r) for r in logged] == [("otro", rfi["id"])]  # the 1st of the hour
