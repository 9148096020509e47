"""Headers and limits every response of the node carries."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from puente.node import Node
from puente.web.app import create_app


def test_pages_and_api_answers_carry_the_security_headers(node: Node) -> None:
    with TestClient(create_app(node)) as client:
        page = client.get("/login")
        api = client.get("/api/v1/kinds")
    for response in (page, api):
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
    assert api.headers["cache-control"] == "no-store"


def test_the_api_reference_loads_nothing_from_another_site(node: Node) -> None:
    with TestClient(create_app(node)) as client:
        docs = client.get("/api/docs")
        assert docs.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
        assert sources
        assert all(source.startswith("/") for source in sources)
        for source in sources:
            assert client.get(source).status_code == 200


def test_a_body_over_the_limit_is_refused_before_it_is_read(node: Node) -> None:
    node.settings.limits.max_request_bytes = 4096
    with TestClient(create_app(node)) as client:
        big = client.post(
            "/api/v1/records",
            content=b"{" + b" " * 10_000 + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        assert big.json()["detail"] == "The request is larger than 4096 bytes."

        def chunks():
            for _ in range(10):
                yield b" " * 1000

        streamed = client.post(
            "/api/v1/bundles", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        small = client.post("/api/v1/records", json={"kind": "incident"})
        assert small.status_code == 401  # under the limit: on to sign-in as usual
