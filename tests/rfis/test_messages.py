"""A partner's messages about a request: signed, applied once, refused with a reason and an
audit entry."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.audit.models import AuditEntry
from puente.rfis import messages, states
from puente.rfis.models import Rfi, RfiEvent
from puente.sharing import signing
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import US_SECRET

TAXII = "application/taxii+json;version=2.1"


def _inbox(client: TestClient) -> str:
    found = client.get("/taxii2/api/collections/", headers={"Accept": TAXII}).json()
    (writable,) = [c for c in found["collections"] if c["can_write"]]
    return f"/taxii2/api/collections/{writable['id']}/objects/"


def _post(client: TestClient, *objects: dict[str, Any]) -> dict[str, Any]:
    response = client.post(_inbox(client), json={"objects": list(objects)},
                           headers={"Content-Type": TAXII, "Accept": TAXII})  # fmt: skip
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def us_inbox(linked: Linked, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    us_app, _ = route_both_ways(linked, monkeypatch)
    client = TestClient(us_app)
    client.auth = ("mx-node", US_SECRET)
    return client


def _message(linked: Linked, **fields: Any) -> dict[str, Any]:
    body = {"type": messages.MESSAGE_TYPE, "spec_version": "2.1",
            "id": f"{messages.MESSAGE_TYPE}--0b0c6a4e-5d1a-4a43-8d5c-1f1e2f3a4b5c",
            "created": "2026-11-27T12:00:00.000Z", "modified": "2026-11-27T12:00:00.000Z",
            "rfi_id": "7d1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "action": "send",
            "sender_node": "mx-node", "receiver_node": "us-node", "actor": "fer",
            "title": "T", "question": "Q", "priority": "routine", "case_reference": "C",
            "legal_basis": "L", "category": "", "subject": "", "hit_query_id": "",
            "matched": "", "requester": "fer", "requester_agency": "FGR", "recipients": "",
            "sent_at": "2026-11-27T12:00:00+00:00",
            "due_at": "2026-11-29T12:00:00+00:00"} | fields  # fmt: skip
    return signing.sign(linked.mx.settings.key_path, body)


def test_a_message_applies_once_and_a_forged_one_is_refused_and_audited(
    us_inbox: TestClient, linked: Linked
) -> None:
    message = _message(linked)
    first = _post(us_inbox, message)
    again = _post(us_inbox, message)  # delivered twice: changes nothing
    assert [len(first["successes"]), len(again["successes"])] == [1, 1]
    with linked.us.db.session() as session:
        rfi = session.get(Rfi, message["rfi_id"])
        assert rfi is not None
        assert (rfi.direction, rfi.state) == (states.INCOMING, states.RECEIVED)
        events = session.execute(select(RfiEvent.action)).scalars().all()
        assert events == ["receive"]
    forged = dict(message, title="Changed after signing")
    tampered = _post(us_inbox, forged)
    assert "does not verify" in tampered["failures"][0]["message"]
    not_ours = _post(us_inbox, signing.sign(linked.us.settings.key_path, dict(
        message, id=f"{messages.MESSAGE_TYPE}--1b0c6a4e-5d1a-4a43-8d5c-1f1e2f3a4b5c")))  # fmt: skip
    assert "does not verify" in not_ours["failures"][0]["message"]
    with linked.us.db.session() as session:
        refused = session.execute(
            select(AuditEntry.actor).where(AuditEntry.action == "rfi.message-refused")
        ).scalars().all()  # fmt: skip
    assert refused == ["partner:mx-node", "partner:mx-node"]


def test_the_inbox_takes_only_what_a_domain_registered_there(
    us_inbox: TestClient, linked: Linked
) -> None:
    """A partner cannot write the plan, or anything else, by posting it to the inbox that
    takes its receipts and request messages: each such object is refused and nothing stored."""
    from puente.records.models import Record

    element = {"type": "x-puente-plan-element", "spec_version": "2.1",
               "id": "x-puente-plan-element--2b0c6a4e-5d1a-4a43-8d5c-1f1e2f3a4b5c",
               "created": "2026-11-27T12:00:00.000Z", "modified": "2026-11-27T12:00:00.000Z",
               "code": "9", "level": "goal", "title": {"en": "Ours now", "es": "Nuestro"}}  # fmt: skip
    incident = {"type": "incident", "spec_version": "2.1", "name": "Planted",
                "id": "incident--3b0c6a4e-5d1a-4a43-8d5c-1f1e2f3a4b5c",
                "created": "2026-11-27T12:00:00.000Z", "modified": "2026-11-27T12:00:00.000Z"}  # fmt: skip
    answered = _post(us_inbox, element, incident, _message(linked))
    assert len(answered["failures"]) == 2
    assert {f["id"] for f in answered["failures"]} == {element["id"], incident["id"]}
    assert len(answered["successes"]) == 1  # the request message, signed by Mexico's key
    with linked.us.db.session() as session:
        stored = session.execute(
            select(Record.stix_id).where(Record.stix_id.in_([element["id"], incident["id"]]))
        ).all()  # fmt: skip
    assert stored == []
