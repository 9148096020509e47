"""Requests for information in the browser's HTML, both sides in one process: Mexico's analyst
follows a hit with a request; the United States liaison answers by releasing the record."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.hits.models import HitQuery
from puente.sharing import sync
from tests.support.hits import ask
from tests.support.linked import HELD_PERSON, Linked, route_both_ways
from tests.support.nodes import add_user
from tests.support.pages import Element, page, sign_in
from tests.support.rfis import approve_all

QUESTION = "What do you hold on him? We investigate a fentanyl shipment through Nogales."


@dataclass
class Desks:
    linked: Linked
    mx: TestClient
    mx_csrf: str
    us: TestClient
    us_csrf: str


@pytest.fixture
def desks(linked: Linked, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desks]:
    add_user(linked.mx, "fer", "FGR", ["analyst"])
    add_user(linked.us, "lia", "HSI", ["liaison"])
    us_app, mx_app = route_both_ways(linked, monkeypatch)
    with (
        TestClient(mx_app, follow_redirects=False) as mx,
        TestClient(us_app, follow_redirects=False) as us,
    ):
        yield Desks(linked, mx, sign_in(mx, "fer"), us, sign_in(us, "lia"))


def _follow(client: TestClient, response: httpx.Response) -> Element:
    assert response.status_code == 303, response.text
    return page(client.get(response.headers["location"]).text)


def _state(doc: Element) -> str:
    return doc.one(id="rfi-state").text()


def _send_from_hit(desks: Desks) -> str:
    _, answer, _ = ask(desks.mx, desks.mx_csrf, category="person", given_names="Pepe",
                       paternal_surname="Hernandez",
                       date_of_birth=HELD_PERSON["date_of_birth"])  # fmt: skip
    link = next(
        a.attrs["href"] for a in answer.all("a") if a.attrs.get("href", "").startswith("/rfis/new")
    )
    form = page(desks.mx.get(link).text)
    values = {i.attrs["name"]: i.attrs.get("value", "") for i in form.all("input")
              if "name" in i.attrs}  # fmt: skip
    assert values["case_reference"] == "FGR/UEIDCS/0042/2026"
    assert values["title"] == "Pepe Hernandez, 1984-03-12"
    assert "Follows the hit on Pepe Hernandez, 1984-03-12" in form.one(id="from-hit").text()
    posted = desks.mx.post("/rfis", data={**values, "partner": "us-node", "question": QUESTION,
                                          "priority": "priority", "action": "send"})  # fmt: skip
    doc = _follow(desks.mx, posted)
    assert _state(doc) == "Received"
    return posted.headers["location"].rsplit("/", 1)[1]


def test_a_hit_becomes_a_request_that_the_liaison_answers_with_the_record(desks: Desks) -> None:
    rfi_id = _send_from_hit(desks)
    inbox = page(desks.us.get("/rfis/inbox").text)
    assert inbox.one("a", href=f"/rfis/{rfi_id}").text() == "Pepe Hernandez, 1984-03-12"
    doc = page(desks.us.get(f"/rfis/{rfi_id}").text)
    assert doc.one(id="rfi-question").text() == QUESTION
    # The liaison sees which records of the node match the subject the hit came from.
    boxes = doc.one(id="answer-form").all("input", type="checkbox")
    assert [b.attrs["value"] for b in boxes] == [desks.linked.held[0]]
    # ... and that releasing it needs its originating agency's approval.
    assert "needs the approval of CBP" in doc.one(id="answer-form").text()
    held = _follow(desks.us, desks.us.post(f"/rfis/{rfi_id}/answer", data={
        "csrf_token": desks.us_csrf, "answer": "He crossed at Nogales twice in 2025.",
        "records": desks.linked.held[0], "tlp": "AMBER", "handling": "H2",
        "release_reason": "The partner's case is the shipment he drove."}))  # fmt: skip
    # CBP's record is USA-only: CBP approves before anything goes.
    assert _state(held) == "Received"
    assert approve_all(desks.linked.us, rfi_id) == ["cbp1"]
    answered = page(desks.us.get(f"/rfis/{rfi_id}").text)
    assert _state(answered) == "Answered"
    mine = page(desks.mx.get(f"/rfis/{rfi_id}").text)
    assert _state(mine) == "Answered"
    assert "He crossed at Nogales twice in 2025." in mine.one(id="rfi-answer").text()
    assert "arrives with the next sync" in mine.one(id="released-records").text()
    assert desks.linked.held[0] not in mine.one(id="released-records").text()
    sync.sync(desks.linked.mx, "us-node")
    mine = page(desks.mx.get(f"/rfis/{rfi_id}").text)
    (link,) = mine.one(id="released-records").all("a")
    assert link.text() == "José Luis Hernández Peña"
    record = page(desks.mx.get(link.attrs["href"]).text)
    assert "TLP:AMBER" in record.one(id="banner-top").text()
    history = [[c.text() for c in r.all("td")[1:]]
               for r in mine.one(id="rfi-history").one("tbody").all("tr")]  # fmt: skip
    assert history == [["fer", "Drafted", "Draft"], ["fer", "Sent", "Sent"],
                       ["system", "Delivered to the partner", "Received"],
                       ["lia@us-node", "Answered", "Answered"]]  # fmt: skip


@pytest.mark.parametrize("served", [[1], [1, 2]])
def test_the_liaison_finds_the_records_in_the_index_of_the_version_that_hit(
    desks: Desks, served: list[int]
) -> None:
    """The US node serving version 1 only, Mexico asks in 1, and the records that match are
    found in version 1's index; both serving 2, in 2's. Once the query's version is no longer
    served, the versions served are looked in."""
    desks.linked.us.settings.hits.spec_versions = served
    rfi_id = _send_from_hit(desks)
    with desks.linked.us.db.session() as session:
        answered = session.execute(select(HitQuery.spec_version)).scalar_one()
    assert answered == served[-1]
    doc = page(desks.us.get(f"/rfis/{rfi_id}").text)
    boxes = doc.one(id="answer-form").all("input", type="checkbox")
    assert [b.attrs["value"] for b in boxes] == [desks.linked.held[0]]
    desks.linked.us.settings.hits.spec_versions = [2] if served == [1] else [1]
    doc = page(desks.us.get(f"/rfis/{rfi_id}").text)
    boxes = doc.one(id="answer-form").all("input", type="checkbox")
    assert [b.attrs["value"] for b in boxes] == [desks.linked.held[0]]


def test_the_pages_speak_spanish(desks: Desks) -> None:
    rfi_id = _send_from_hit(desks)
    doc = page(desks.mx.get(f"/rfis/{rfi_id}?lang=es").text)
    assert _state(doc) == "Recibido"
    assert doc.one("h2", id="history-heading").text() == "Historial"


def test_bad_input_is_shown_next_to_the_field(desks: Desks) -> None:
    refused = desks.mx.post("/rfis", data={"csrf_token": desks.mx_csrf, "partner": "us-node",
                                           "title": "X", "question": "", "case_reference": "C1",
                                           "legal_basis": "TAJM", "action": "send"})  # fmt: skip
    assert refused.status_code == 422
    doc = page(refused.text)
    assert "This field is required." in doc.one(id="error-summary").text()
    rfi_id = _send_from_hit(desks)
    empty = desks.us.post(f"/rfis/{rfi_id}/answer", data={"csrf_token": desks.us_csrf,
                                                         "answer": " "})  # fmt: skip
    assert empty.status_code == 422
    assert "Write the answer." in page(empty.text).one(id="error-summary").text()
    withdrawn = desks.mx.post(f"/rfis/{rfi_id}/withdraw", data={"csrf_token": desks.mx_csrf})
    assert withdrawn.status_code == 303
    late = desks.us.post(f"/rfis/{rfi_id}/answer", data={"csrf_token": desks.us_csrf,
                                                        "answer": "Here it is."})  # fmt: skip
    assert late.status_code == 422
    assert "withdrawn by the requesting node" in page(late.text).one(id="error-summary").text()


def _client_of(app_client: TestClient, username: str) -> tuple[TestClient, str]:
    """Another browser on the same node's app, signed in as ``username``."""
    client = TestClient(app_client.app, follow_redirects=False)
    return client, sign_in(client, username)


def test_a_release_waits_on_the_originating_agencys_approvals_page(desks: Desks) -> None:
    from tests.support.rfis import WHY, usa_only_records

    originals = usa_only_records(desks.linked.us)
    rfi_id = _send_from_hit(desks)

    def answer(record: str) -> Element:
        return _follow(desks.us, desks.us.post(f"/rfis/{rfi_id}/answer", data={
            "csrf_token": desks.us_csrf, "answer": "One record.", "records": record,
            "tlp": "GREEN", "handling": "H0", "release_reason": WHY}))  # fmt: skip

    held = answer(originals.ids["Claro nacional"])
    assert _state(held) == "Received"
    waiting = held.one(id="release-approvals").text()
    assert "INL" in waiting
    assert "Awaiting approval" in waiting
    # INL's analyst finds it on the approvals page, with the liaison's reason, and refuses it.
    inl, inl_csrf = _client_of(desks.us, "inl.clear")
    listed = page(inl.get("/rfis/approvals").text)
    item = listed.one(id="approvals").text()
    assert "Claro nacional" in item
    assert WHY in item
    assert "TLP:GREEN" in item
    (refuse,) = [f for f in listed.all("form") if f.attrs["action"].endswith("/refuse")]
    refused = inl.post(
        refuse.attrs["action"], data={"csrf_token": inl_csrf, "reason": "Not for the partner."}
    )
    assert refused.status_code == 303, refused.text
    told = page(desks.us.get(f"/rfis/{rfi_id}").text)
    assert _state(told) == "Received"
    assert "Not for the partner." in told.one(id="release-approvals").text()
    assert "Not for the partner." in told.one(id="rfi-history").text()
    # CBP approves its TLP:RED record at AMBER: then the answer goes.
    held = answer(originals.ids["Rubí rojo"])
    cbp, cbp_csrf = _client_of(desks.us, "cbp.red")
    listed = page(cbp.get("/rfis/approvals").text)
    assert "Rubí rojo" in listed.one(id="approvals").text()
    (approve,) = [f for f in listed.all("form") if f.attrs["action"].endswith("/approve")]
    approved = cbp.post(approve.attrs["action"], data={"csrf_token": cbp_csrf, "tlp": "AMBER",
                                                       "handling": "H2"})  # fmt: skip
    assert approved.status_code == 303, approved.text
    assert _state(page(desks.us.get(f"/rfis/{rfi_id}").text)) == "Answered"
    assert "Rubí rojo" not in page(cbp.get("/rfis/approvals").text).one(id="approvals").text()
    sync.sync(desks.linked.mx, "us-node")
    mine = page(desks.mx.get(f"/rfis/{rfi_id}").text)
    (link,) = mine.one(id="released-records").all("a")
    record = page(desks.mx.get(link.attrs["href"]).text)
    assert "TLP:AMBER" in record.one(id="banner-top").text()
    assert "H2" in record.one(id="banner-top").text()
    # Nobody else in the United States has anything to approve.
    assert "Rubí rojo" not in desks.us.get("/rfis/approvals").text


def test_another_users_draft_is_not_found_on_the_web(desks: Desks) -> None:
    from sqlalchemy import select

    from puente.audit.models import AuditEntry

    add_user(desks.linked.mx, "enlace", "FGR", ["liaison"])
    posted = desks.mx.post("/rfis", data={"csrf_token": desks.mx_csrf, "partner": "us-node",
                                          "title": "Borrador", "question": "¿Qué tienen?",
                                          "case_reference": "C-1", "legal_basis": "TAJM",
                                          "action": "draft"})  # fmt: skip
    assert posted.status_code == 303
    draft = posted.headers["location"]
    enlace, csrf = _client_of(desks.mx, "enlace")
    assert enlace.get(draft).status_code == 404
    assert enlace.post(f"{draft}/send", data={"csrf_token": csrf}).status_code == 404
    assert _state(page(desks.mx.get(draft).text)) == "Draft"
    with desks.linked.mx.db.session() as session:
        reads = session.execute(
            select(AuditEntry.actor).where(AuditEntry.action == "rfi.read")
        ).scalars().all()  # fmt: skip
    assert reads == ["fer"]  # the author's read of its page, audited
