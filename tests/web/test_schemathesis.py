"""The REST API against its own OpenAPI document, with schemathesis (issue 14).

Whatever a client sends (requests that fit the document, and requests that do not), no
answer is a 5xx, and every answer has a status and a body the document declares. In-process
(ASGI), signed in with a token, each operation on a node of its own. Bounded and
derandomized for CI (about a minute on two cores); set PUENTE_SCHEMATHESIS_EXAMPLES to look
further, with fresh random examples.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python.asgi import ASGIClient

from puente.accounts import service as accounts
from puente.node import Node
from puente.web.app import api_routers, create_app
from tests.support.nodes import add_user

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.response_schema_conformance,
]
BASE_URL = "http://testserver"
EXPLORE = os.environ.get("PUENTE_SCHEMATHESIS_EXAMPLES")
EXAMPLES = int(EXPLORE or "25")  # for each operation, about half of them not fitting
OPERATIONS = [
    pytest.param(method, route.path, id=f"{method} {route.path}")
    for router in api_routers()
    for route in router.routes
    if isinstance(route, APIRoute) and route.include_in_schema and route.path.startswith("/api/")
    for method in sorted(route.methods)
]
_read: list[Any] = []


def _document(app: FastAPI) -> Any:
    """The API's document as schemathesis reads it, once per worker: the same on every node,
    and reading it takes longer than fuzzing an operation."""
    if not _read:
        _read.append(schemathesis.openapi.from_dict(app.openapi()))
    return _read[0]


def _bearer(node: Node) -> dict[str, str]:
    """A user who may do nearly everything, so that requests reach past the role checks."""
    roles = ["analyst", "coordinator", "liaison", "auditor", "admin"]
    who = add_user(node, "sam", "CBP", roles)
    with node.db.session() as session:
        token = accounts.create_token(session, who, "sam", "schemathesis", 1).token
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_answers_as_it_documents(node: Node, method: str, path: str) -> None:
    app = create_app(node)
    operation = _document(app)[path][method]
    headers = _bearer(node)
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    with ASGIClient(app) as client:

        @given(case=cases)
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  derandomize=EXPLORE is None, suppress_health_check=list(HealthCheck))  # fmt: skip
        def answers_as_documented(case: Any) -> None:
            case.call_and_validate(BASE_URL, session=client, headers=headers, checks=CHECKS)

        answers_as_documented()
