"""Recalling from the web UI: the form on an owned record, its errors, and the list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from puente.node import Node
from puente.policy.roles import Principal
from puente.web.app import create_app
from tests.support.nodes import PASSWORD, add_user
from tests.support.pages import page, sign_in
from tests.support.partners import add_partner, store


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


def test_the_owner_recalls_from_the_record_page_with_a_reason(
    client: TestClient, node: Node, admin: Principal, analyst: Principal
) -> None:
    add_partner(node, admin)
    stix_id = store(node, analyst, "Sent by mistake")
    csrf = sign_in(client, "ana", PASSWORD)
    form = page(client.get(f"/records/{stix_id}/recall").text)
    assert form.one("h1").text().startswith("Recall")
    empty = client.post(f"/records/{stix_id}/recall", data={"csrf_token": csrf, "reason": " "})
    assert empty.status_code == 422
    assert "Say why the record is recalled." in page(empty.text).one(id="error-summary").text()
    done = client.post(
        f"/records/{stix_id}/recall", data={"csrf_token": csrf, "reason": "Wrong case file"}
    )
    assert done.status_code == 303
    listed = page(client.get("/recalls").text)
    row = listed.one("tbody").text()
    assert stix_id in row
    assert "mx-node" in row
    assert "pending" in row
    spanish = page(client.get("/recalls?lang=es").text)
    assert spanish.one("h1").text() == "Retiros"


def test_only_the_owner_may_recall_and_others_do_not_see_hidden_recalls(
    client: TestClient, node: Node, admin: Principal, analyst: Principal
) -> None:
    add_partner(node, admin)
    stix_id = store(node, analyst, "CBP and FGR only", agencies=frozenset({"CBP", "FGR"}))
    add_user(node, "dan", "DEA", ["analyst"])
    csrf = sign_in(client, "ana", PASSWORD)
    client.post(f"/records/{stix_id}/recall", data={"csrf_token": csrf, "reason": "Mistake"})
    client.cookies.clear()
    sign_in(client, "dan", PASSWORD)
    assert client.get(f"/records/{stix_id}/recall").status_code == 404
    assert stix_id not in client.get("/recalls").text
