"""The REST API's OpenAPI document tells the truth (issue 14): what a client generated from it
reads is what the node sends, errors included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from puente.accounts.schemas import TokenIssued, TokenPublic
from puente.hits.schemas import HitAnswerPublic
from puente.node import Node
from puente.rfis.schemas import ApprovalOut, RfiEventOut, RfiOut, RfiSummaryOut
from puente.web.app import create_app
from tests.support.nodes import token_headers

PROBLEM = "application/problem+json"
NAIVE = datetime(2026, 3, 1, 12, 30)  # as SQLite hands a stored time back


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        if path.startswith("/api/"):
            for method, operation in item.items():
                yield method.upper(), path, operation


def test_a_token_list_gives_its_times_with_their_offset(client: TestClient, node: Node) -> None:
    """Issue 14: on SQLite, created_at and expires_at came without one (2026-03-01T12:30:00)."""
    headers = token_headers(node, "ana", "CBP", "analyst")
    for token in client.get("/api/v1/tokens", headers=headers).json():
        for name in ("created_at", "expires_at"):
            assert datetime.fromisoformat(token[name]).utcoffset() is not None, token


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (TokenPublic, "created_at"),
        (TokenIssued, "expires_at"),
        (HitAnswerPublic, "created_at"),
        (RfiSummaryOut, "sent_at"),
        (RfiSummaryOut, "due_at"),
        (RfiSummaryOut, "closed_at"),
        (RfiOut, "sent_at"),
        (RfiEventOut, "at"),
        (ApprovalOut, "asked_at"),
        (ApprovalOut, "decided_at"),
    ],
)
def test_every_time_the_api_gives_is_written_with_its_offset(
    model: type[BaseModel], field: str
) -> None:
    """A stored time read back naive is written as the UTC time it is, with Z."""
    annotation = model.model_fields[field]
    validated = model.__pydantic_validator__.validate_assignment(
        model.model_construct(), field, NAIVE
    )
    written = validated.model_dump(mode="json", include={field})[field]
    assert written == "2026-03-01T12:30:00Z", annotation


def test_every_time_is_declared_a_date_time(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name, field in (
        ("TokenPublic", "created_at"),
        ("TokenPublic", "expires_at"),
        ("HitAnswerPublic", "created_at"),
        ("RfiSummaryOut", "sent_at"),
        ("RfiEventOut", "at"),
    ):
        prop = schemas[name]["properties"][field]
        formats = [prop.get("format")] + [p.get("format") for p in prop.get("anyOf", [])]
        assert "date-time" in formats, (name, field, prop)


def test_every_route_documents_its_refusals_as_problems(document: dict[str, Any]) -> None:
    """Issue 14: 403, 404 and application/problem+json were undocumented, and 422 was
    declared as FastAPI's {"detail": [...]}, which the node never sends."""
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["required"])
    for method, path, operation in _operations(document):
        for status in ("401", "403", "404", "422"):
            answer = operation["responses"].get(status)
            assert answer is not None, (method, path, status)
            assert list(answer["content"]) == [PROBLEM], (method, path, status)
            assert answer["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
        if "requestBody" in operation:  # refused over the node's limit before it is read
            assert "413" in operation["responses"], (method, path)


def test_a_refusal_is_what_the_document_says(client: TestClient, node: Node) -> None:
    headers = token_headers(node, "ana", "CBP", "analyst")
    answers = [
        client.get("/api/v1/records"),
        client.get("/api/v1/users", headers=headers),
        client.get("/api/v1/records/incident--00000000-0000-4000-8000-000000000000",
                   headers=headers),
        client.get("/api/v1/records", params={"limit": 0}, headers=headers),
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [401, 403, 404, 422]
    for answer in answers:
        assert answer.headers["content-type"] == PROBLEM
        body = answer.json()
        assert set(body) == {"type", "title", "status", "detail", "instance", "errors"}
        assert all({"detail", "pointer"} <= set(error) for error in body["errors"])
