"""Hostile JSON bodies (issue 14): whatever arrives, the answer is a 4xx problem saying where,
in the caller's language; never a 500, a reset connection or FastAPI's own English."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from puente.accounts import service as accounts
from puente.node import Node
from puente.policy.roles import Principal
from puente.web.app import create_app, page_routers
from tests.support.nodes import ADMIN_PASSWORD, add_user, token_headers
from tests.support.pages import sign_in
from tests.support.partners import add_partner, basic

PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}
SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    # A 500 is an answer to look at here, not an exception to stop at.
    with TestClient(create_app(node), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def ana(node: Node) -> dict[str, str]:
    """An analyst who also keeps the plan: every route below is hers to call."""
    who = add_user(node, "ana", "CBP", ["analyst", "coordinator"])
    with node.db.session() as session:
        issued = accounts.create_token(session, who, "ana", "tests", 1)
    return {"Authorization": f"Bearer {issued.token}"} | JSON


def _seizure(quantity: str) -> bytes:
    """A seizure as a REST client would send it, with ``quantity`` spelled as given."""
    return (
        b'{"kind": "seizure", "markings": {"tlp": "AMBER"}, "fields": {"name": "Pills",\n'
        b'"seizure_date": "2025-01-26", "substance": "fentanyl", "substance_category": "drug",\n'
        b'"unit": "kg", "quantity": ' + quantity.encode() + b"}}"
    )


def _problem(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"] == body["errors"][0]["detail"]
    return body


# Each route reading a JSON body into a model, with a body of the right shape there.
BODIES = {
    ("POST", "/api/v1/records"): b'{"kind": "incident", "fields": {"name": %s}, '
    b'"markings": {"tlp": "AMBER"}}',
    ("PUT", "/api/v1/plan/elements"): b'[{"code": "9", "level": "goal", "title": {"en": %s}}]',
    ("POST", "/api/v1/tokens"): b'{"name": %s}',
    ("PUT", "/api/v1/indicators"): b'[{"code": "I99", "name": {"en": %s}}]',
}
ROUTES = [pytest.param(method, path, id=f"{method} {path}") for method, path in BODIES]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_lone_surrogate_escape_is_refused_where_it_is(
    client: TestClient, ana: dict[str, str], method: str, path: str
) -> None:
    """Issue 14: "\\ud800" was read as a string no UTF-8 can hold: a 500 at the first write."""
    body = BODIES[method, path] % b'"a\\ud800b"'
    response = client.request(method, path, content=body, headers=ana)
    (error,) = _problem(response)["errors"]
    assert (error["line"], error["column"]) == (1, body.index(b"\\ud800") + 1)
    assert "\\ud800" in error["detail"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_bytes_that_are_not_utf8_are_refused_where_they_are(
    client: TestClient, ana: dict[str, str], method: str, path: str
) -> None:
    """Issue 14: ED A0 80 (a surrogate written as UTF-8 bytes) was decoded leniently, then
    stored: a 500."""
    body = BODIES[method, path] % b'"a\xed\xa0\x80b"'
    response = client.request(method, path, content=body, headers=ana)
    (error,) = _problem(response)["errors"]
    assert (error["line"], error["column"]) == (1, body.index(b"\xed") + 1)
    assert error["pointer"] == ""


def test_json_nested_past_the_parsers_depth_is_refused_clearly(
    client: TestClient, ana: dict[str, str]
) -> None:
    """Issue 14: nesting that reached Python's recursion limit answered FastAPI's 400
    {"detail": "There was an error parsing the body"}."""
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/api/v1/records", content=BODIES["POST", "/api/v1/records"] % deep,
                           headers=ana)  # fmt: skip
    (error,) = _problem(response)["errors"]
    assert error["detail"].startswith("The JSON is nested more than 1024 levels deep")
    assert error["line"] == 1


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("NaN", "NaN is not a number: JSON numbers are finite."),
        ("Infinity", "Infinity is not a number: JSON numbers are finite."),
        ("-Infinity", "-Infinity is not a number: JSON numbers are finite."),
        ("1e999", "1e999 is too large a number."),
        ("9" * 400, "9" * 20 + "… is too large a number."),
    ],
)
def test_a_number_json_cannot_hold_is_refused_at_its_field(
    client: TestClient, ana: dict[str, str], value: str, detail: str
) -> None:
    """Issue 14: "quantity": NaN was accepted, and stored as null in a required field."""
    response = client.post("/api/v1/records", content=_seizure(value), headers=ana)
    (error,) = _problem(response)["errors"]
    assert (error["pointer"], error["detail"]) == ("/fields/quantity", detail)
    assert client.get("/api/v1/records", headers=ana).json()["items"] == []


@pytest.mark.parametrize("value", ["-5", '"-5"', "-0.5"])
def test_a_negative_quantity_is_refused_at_its_field(
    client: TestClient, ana: dict[str, str], value: str
) -> None:
    """Issue 14: "quantity": -5 was stored."""
    response = client.post("/api/v1/records", content=_seizure(value), headers=ana | SPANISH)
    (error,) = _problem(response)["errors"]
    assert (error["pointer"], error["detail"]) == ("/fields/quantity",
                                                   "El campo «Cantidad» no puede ser negativo.")  # fmt: skip


def test_every_number_json_cannot_hold_is_named(client: TestClient, ana: dict[str, str]) -> None:
    body = b'[{"code": "I9", "baseline": {"date": "2024-01-01", "value": NaN},\n' \
           b'  "targets": [{"date": "2025-01-01", "value": 1}, {"date": "2026-01-01", ' \
           b'"value": -Infinity}]}]'  # fmt: skip
    response = client.put("/api/v1/indicators", content=body, headers=ana)
    errors = _problem(response)["errors"]
    assert [e["pointer"] for e in errors] == ["/0/baseline/value", "/0/targets/1/value"]


def test_malformed_json_is_a_problem_in_the_callers_language(
    client: TestClient, ana: dict[str, str]
) -> None:
    """Issue 14: the answer was FastAPI's {"detail": ...} in English, or a pointer "/17"
    into the body's characters."""
    body = b'{"kind": "note",\n "fields": {"content": "x"\n "markings": {}}'
    english = client.post("/api/v1/records", content=body, headers=ana)
    spanish = client.post("/api/v1/records", content=body, headers=ana | SPANISH)
    (error,) = _problem(english)["errors"]
    assert (error["line"], error["column"], error["pointer"]) == (3, 2, "")
    assert error["detail"].startswith("Malformed JSON at line 3, column 2")
    (error,) = _problem(spanish)["errors"]
    assert error["detail"].startswith("JSON mal formado en la línea 3, columna 2")
    assert spanish.headers["content-language"] == "es"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'"\\ud800"', id="lone surrogate"),
        pytest.param(b'"\xed\xa0\x80"', id="bytes that are not UTF-8"),
        pytest.param(b"[" * 100_000, id="too deep"),
        pytest.param(b"\xef\xbb\xbf{}", id="a byte order mark"),
    ],
)
def test_the_hit_endpoint_reading_its_own_body_says_the_same(
    client: TestClient, node: Node, admin: Principal, body: bytes
) -> None:
    """The TAXII and hit/no-hit endpoints read their bodies with the same reader."""
    partner = basic("mx-node", add_partner(node, admin)) | JSON
    response = client.post("/api/v1/hits/query", content=body, headers=partner)
    (error,) = _problem(response)["errors"]
    assert error["line"] == 1


def test_a_number_json_cannot_hold_on_the_taxii_endpoint_is_refused(
    client: TestClient, node: Node
) -> None:
    headers = token_headers(node, "tom", "CBP", "analyst") | {
        "Content-Type": "application/taxii+json;version=2.1",
        "Accept": "application/taxii+json;version=2.1",
    }
    collections = client.get("/taxii2/api/collections/", headers=headers).json()["collections"]
    writable = next(c for c in collections if c["can_write"])
    response = client.post(
        f"/taxii2/api/collections/{writable['id']}/objects/",
        content=b'{"objects": [{"type": "x-puente-seizure", "quantity": NaN}]}',
        headers=headers,
    )
    assert 400 <= response.status_code < 500, response.text
    assert "NaN is not a number" in response.text


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "detail"),
    [
        ("GET", "/api/v1/records", {"after": "x"}, None, "after must be a whole number."),
        ("GET", "/api/v1/records", {"limit": "0"}, None, "limit must be at least 1."),
        ("GET", "/api/v1/records", {"limit": "201"}, None, "limit must be at most 200."),
        ("GET", "/api/v1/rfis", {"overdue": "maybe"}, None, "overdue must be true or false."),
        ("GET", "/api/v1/rfis", {"direction": "up"}, None,
         "direction must be one of: 'outgoing', 'incoming'."),
        ("POST", "/api/v1/tokens", {}, {"name": 5}, "name must be text."),
        ("POST", "/api/v1/tokens", {}, {"name": "x" * 101}, "name must be at most 100 characters."),
        ("POST", "/api/v1/tokens", {}, [1], "This must be a mapping of fields."),
    ],
)  # fmt: skip
def test_a_parameter_of_the_wrong_type_is_refused_in_the_callers_words(
    client: TestClient, ana: dict[str, str], method: str, path: str, params: dict[str, str],
    body: Any, detail: str,
) -> None:  # fmt: skip
    """Issue 14: pydantic's own English ("Input should be a valid integer, unable to parse
    string as an integer") reached the caller, whatever their language."""
    response = client.request(method, path, params=params, json=body, headers=ana)
    (error,) = _problem(response)["errors"]
    assert error["detail"] == detail
    spanish = client.request(method, path, params=params, json=body, headers=ana | SPANISH)
    assert _problem(spanish)["detail"] != detail


# --- The pages: what a browser, or someone posing as one, sends ----------------------------------

NOT_UTF8 = "%ED%A0%80"  # a surrogate written as UTF-8 bytes, percent-encoded


def test_the_pages_take_bytes_that_are_not_utf8_in_their_query(node: Node) -> None:
    """Issue 14: lone surrogates in query strings must not 500 a page."""
    from fastapi.routing import APIRoute

    with TestClient(create_app(node), raise_server_exceptions=False,
                    follow_redirects=False) as client:  # fmt: skip
        sign_in(client, "admin", ADMIN_PASSWORD)
        pages = [
            (route.path, [p.alias for p in route.dependant.query_params])
            for router in page_routers()
            for route in router.routes
            if isinstance(route, APIRoute) and "GET" in route.methods and "{" not in route.path
        ]
        assert len(pages) > 20
        for path, params in pages:
            query = "&".join(f"{name}={NOT_UTF8}" for name in [*params, "q"])
            for url in (f"{path}?{query}", f"{path}?{query.replace(NOT_UTF8, '%5Cud800')}"):
                assert client.get(url).status_code < 500, url


def test_a_form_of_bytes_that_are_not_utf8_is_answered_on_the_page(node: Node) -> None:
    with TestClient(create_app(node), raise_server_exceptions=False,
                    follow_redirects=False) as client:  # fmt: skip
        csrf = sign_in(client, "admin", ADMIN_PASSWORD)
        fields = ("name", "seizure_date", "substance", "substance_category", "quantity", "unit")
        body = "&".join(f"{name}={NOT_UTF8}" for name in fields)
        posted = client.post("/records/new/seizure", content=f"csrf_token={csrf}&{body}",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert posted.status_code == 422, posted.text
        multipart = client.post(
            "/records/new/seizure",
            data={"csrf_token": csrf},
            files=dict.fromkeys(fields, (None, b"\xed\xa0\x80")),
        )
        assert multipart.status_code == 422, multipart.text


def test_a_plan_file_with_a_lone_surrogate_is_refused_on_the_page(node: Node) -> None:
    """Issue 14: YAML's "\\ud800" reached the database from the plan page's upload: a 500."""
    plan = b'format: puente-plan/1\nelements:\n  - code: "1"\n    level: goal\n' \
           b'    title: {en: "Protect \\ud800", es: Proteger}\n'  # fmt: skip
    with TestClient(create_app(node), raise_server_exceptions=False,
                    follow_redirects=False) as client:  # fmt: skip
        csrf = sign_in(client, "admin", ADMIN_PASSWORD)
        response = client.post("/plan/import", data={"csrf_token": csrf},
                               files={"file": ("plan.yaml", plan, "application/yaml")})  # fmt: skip
    assert response.status_code == 422, response.text
    assert "\\ud800 at line 5, column 17 is half of a UTF-16 surrogate pair" in response.text


# --- NUL: no text column of PostgreSQL holds one ------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body", "pointer"),
    [
        ("GET", "/api/v1/export?kind=%00", None, "/kind"),
        ("GET", "/api/v1/records?q=a%00b", None, "/q"),
        ("GET", "/api/v1/users/a%00b/tokens", None, ""),
        ("GET", "/api/v1/audit?actor=%00", None, "/actor"),
        ("POST", "/api/v1/records", b'{"kind": "incident", "fields": {"name": "a\\u0000b"}, '
         b'"markings": {"tlp": "AMBER"}}', "/fields/name"),
        ("PUT", "/api/v1/plan/elements", b'[{"code": "9", "level": "goal", '
         b'"title": {"en": "x", "es": "\\u0000"}}]', "/0/title/es"),
        ("POST", "/api/v1/bundles", b'{"type": "bundle", "objects": [{"type": "incident", '
         b'"spec_version": "2.1", "id": "incident--6f1d4e3a-2b7c-4d8e-9f0a-1b2c3d4e5f60", '
         b'"created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z", '
         b'"name": "a\\u0000b"}]}', "/objects/0/name"),
    ],
)  # fmt: skip
def test_a_nul_character_is_refused_where_it_is(
    client: TestClient, ana: dict[str, str], method: str, url: str, body: bytes | None,
    pointer: str,
) -> None:  # fmt: skip
    """Issue 14 (found by schemathesis on PostgreSQL): ?kind=%00 answered 500, "PostgreSQL
    text fields cannot contain NUL (0x00) bytes"; SQLite stored or searched it."""
    response = client.request(method, url, content=body, headers=ana | {"Accept-Language": "es"})
    (error,) = _problem(response)["errors"]
    assert error["pointer"] == pointer
    assert "NUL" in error["detail"]


def test_a_nul_character_in_a_page_or_a_form_is_refused_on_the_page(node: Node) -> None:
    with TestClient(create_app(node), raise_server_exceptions=False,
                    follow_redirects=False) as client:  # fmt: skip
        csrf = sign_in(client, "admin", ADMIN_PASSWORD)
        searched = client.get("/records?q=%00")
        assert searched.status_code == 422, searched.text
        posted = client.post("/records/new/incident", content=f"csrf_token={csrf}&name=a%00b",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert posted.status_code == 422, posted.text
        assert "NUL" in posted.text
