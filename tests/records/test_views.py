"""The records pages, driven as a browser (or someone editing its address bar) would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from puente.node import Node
from puente.web.app import create_app
from tests.support.nodes import ADMIN_PASSWORD
from tests.support.pages import sign_in


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "after",
    ["²", "2147483648", "9" * 25, "1" * 5000, "-1", "x"],
    ids=["superscript", "past-int4", "past-int64", "5000-digits", "negative", "word"],
)
def test_a_page_position_that_no_row_can_have_shows_the_first_page(
    client: TestClient, after: str
) -> None:
    """An ``after`` edited by hand is no keyset: "²" passed str.isdigit() into int() (500),
    and a number past the key column's range overflowed the database's integer (500)."""
    sign_in(client, "admin", ADMIN_PASSWORD)
    first = client.get("/records")
    edited = client.get("/records", params={"after": after})
    assert first.status_code == edited.status_code == 200
