"""Input read into shapes the same way on every edge: what is refused, and in whose words."""

from __future__ import annotations

import pytest

from puente.errors import InvalidInput
from puente.node import Node
from puente.plan.schemas import ElementIn
from puente.shapes import read
from tests.support.nodes import token_headers


def _refusals(body: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as refused:
        read(ElementIn, body)
    return [(p.pointer, p.message) for p in refused.value.problems]


def test_an_empty_field_stands_for_an_empty_value_only_where_left_out_means_empty() -> None:
    """A client sending null for "unchanged" must not reset an element's status or progress
    (a PUT replaces the element): those are refused; an empty description or list is empty."""
    assert _refusals({"code": "1", "status": None}) == [("/status", "{field} must be text.")]
    assert _refusals({"code": "1", "progress": None}) == [("/progress", "{field} must be text.")]
    empty = read(ElementIn, {"code": "1", "description": None, "leads": None, "due_date": ""})
    assert (empty.description.text().en, empty.leads, empty.due_date) == ("", {}, None)


def test_an_unknown_field_is_refused_even_when_empty() -> None:
    assert _refusals({"code": "1", "bogus": ""}) == [("/bogus", "Unknown field {field}.")]


def test_a_number_where_a_whole_number_or_a_date_belongs_says_so() -> None:
    assert _refusals({"code": "1", "progress": 1.5}) == [
        ("/progress", "{value} is not a whole number.")
    ]
    assert _refusals({"code": "1", "due_date": 20260101}) == [
        ("/due_date", "{value} is not a date: write YYYY-MM-DD.")
    ]


def test_a_body_of_the_wrong_kind_is_refused_in_the_callers_language(
    node: Node,
) -> None:
    from fastapi.testclient import TestClient

    from puente.web.app import create_app

    coordinator = token_headers(node, "laura", "INL", "coordinator")
    with TestClient(create_app(node)) as client:
        refused = client.put("/api/v1/plan/elements", json={"code": "1"},
                             headers=coordinator | {"Accept-Language": "es"})  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Esto debe ser una lista."
