"""Asking hit or no hit through the web form, as an analyst does."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.pages import Element, page

CASE = {"case_reference": "FGR/UEIDCS/0042/2026", "legal_basis": "TAJM art. 1"}


def ask(client: TestClient, csrf: str, files: dict[str, tuple[str, bytes, str]] | None = None,
        **fields: str) -> tuple[int, Element, str]:  # fmt: skip
    """Post the form; the answer page it leads to (or the form again, refused)."""
    data = {"csrf_token": csrf, "partner": "us-node", **CASE, **fields}
    posted = client.post("/hits", data=data, files=files or {"csv": ("", b"", "text/csv")})
    if posted.status_code != 303:
        return posted.status_code, page(posted.text), posted.text
    answer = client.get(posted.headers["location"])
    assert answer.status_code == 200
    return 200, page(answer.text), answer.text
