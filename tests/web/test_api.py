"""The REST API end to end: a client with a bearer token, as an integrator would use it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from puente.accounts import service as accounts
from puente.i18n import catalog
from puente.node import Node
from puente.policy.roles import Principal
from puente.web.app import create_app
from tests.support.nodes import add_user

PROBLEM = "application/problem+json"
NOT_FOUND = "No record {id} that you may see."


def token_headers(node: Node, who: Principal) -> dict[str, str]:
    with node.db.session() as session:
        issued = accounts.create_token(session, who, who.username, "tests", 1)
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client


@pytest.fixture
def ana(node: Node, analyst: Principal) -> dict[str, str]:
    return token_headers(node, analyst)


@pytest.fixture
def dan(node: Node) -> dict[str, str]:
    return token_headers(node, add_user(node, "dan", "DEA", ["analyst"]))


def _create(
    client: TestClient, headers: dict[str, str], kind: str, fields: dict[str, Any], **markings: Any
) -> dict[str, Any]:
    body = {"kind": kind, "fields": fields, "markings": {"tlp": "AMBER", **markings}}
    response = client.post("/api/v1/records", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:puente:problem:")
    assert body["title"]
    assert body["instance"] == response.request.url.path
    assert body["detail"] == body["errors"][0]["detail"]
    return body


# --- Records ------------------------------------------------------------------------------------


def test_create_read_version_revoke(client: TestClient, ana: dict[str, str]) -> None:
    made = _create(
        client,
        ana,
        "person",
        {"given_names": "José", "paternal_surname": "Núñez", "aliases": ["Pepe"]},
        rel_to=["MEX"],
        handling="H2",
    )
    assert made["name"] == "José Núñez"
    assert made["markings"]["banner"] == "TLP:AMBER · REL TO MEX, USA · H2"
    assert made["object"]["id"] == made["id"]
    url = f"/api/v1/records/{made['id']}"
    assert client.get(url, headers=ana).json() == made

    update = {
        "fields": {"given_names": "José Luis", "paternal_surname": "Núñez"},
        "markings": {"tlp": "GREEN", "rel_to": ["MEX"]},
    }
    newer = client.put(url, json=update, headers=ana)
    assert newer.status_code == 200, newer.text
    assert newer.json()["name"] == "José Luis Núñez"
    assert newer.json()["version"] > made["version"]

    revoked = client.post(f"{url}/revoke", headers=ana)
    assert revoked.status_code == 200
    assert revoked.json()["revoked"] is True
    versions = client.get(f"{url}/versions", headers=ana).json()
    assert [v["current"] for v in versions] == [True, False, False]
    old = client.get(url, params={"version": made["object"]["modified"]}, headers=ana)
    assert old.json()["name"] == "José Núñez"


def test_search_with_filters_and_next_links(client: TestClient, ana: dict[str, str]) -> None:
    for n in range(7):
        _create(client, ana, "incident", {"name": f"Túnel {n}"})
    _create(client, ana, "criminal-organization", {"name": "Túnel cartel"}, tlp="GREEN")
    first = client.get(
        "/api/v1/records", params={"q": "tunel", "kind": "incident", "limit": 3}, headers=ana
    )
    assert first.status_code == 200
    names: list[str] = []
    page = first.json()
    while True:
        names.extend(item["name"] for item in page["items"])
        assert page["banner"] == "TLP:AMBER · REL TO USA · H0"
        if not page["next"]:
            break
        page = client.get(page["next"], headers=ana).json()
    assert sorted(names) == [f"Túnel {n}" for n in range(7)]
    green = client.get("/api/v1/records", params={"tlp": "GREEN"}, headers=ana).json()
    assert [i["name"] for i in green["items"]] == ["Túnel cartel"]


def test_related_records(client: TestClient, ana: dict[str, str]) -> None:
    cartel = _create(client, ana, "criminal-organization", {"name": "Los Zetas"})
    person = _create(
        client, ana, "person", {"given_names": "Miguel", "paternal_surname": "Treviño"}
    )
    _create(
        client,
        ana,
        "relationship",
        {"source_ref": person["id"], "relationship_type": "member-of", "target_ref": cartel["id"]},
    )
    related = client.get(f"/api/v1/records/{cartel['id']}/related", headers=ana).json()
    assert {"Miguel Treviño"} <= {r["name"] for r in related}


def test_export_streams_a_bundle_of_what_the_caller_may_see(
    client: TestClient, ana: dict[str, str], dan: dict[str, str]
) -> None:
    shared = _create(client, ana, "incident", {"name": "Shared"})
    hidden = _create(client, ana, "incident", {"name": "CBP only"}, agencies=["CBP"])
    for headers, expected in ((ana, {shared["id"], hidden["id"]}), (dan, {shared["id"]})):
        response = client.get("/api/v1/export", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/stix+json")
        bundle = response.json()
        assert bundle["type"] == "bundle"
        ids = {o["id"] for o in bundle["objects"] if o["type"] == "incident"}
        assert ids == expected


def test_import_a_bundle(client: TestClient, ana: dict[str, str]) -> None:
    obj = {
        "type": "incident",
        "spec_version": "2.1",
        "id": f"incident--{uuid.uuid4()}",
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": "Imported",
    }
    response = client.post(
        "/api/v1/bundles",
        headers=ana,
        json={"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [obj]},
    )
    assert response.status_code == 201, response.text
    assert response.json()["stored"] == 1
    assert client.get(f"/api/v1/records/{obj['id']}", headers=ana).json()["name"] == "Imported"


def test_an_empty_bundle_imports_nothing_and_says_so(
    client: TestClient, ana: dict[str, str]
) -> None:
    """It was a 500 on PostgreSQL: the look-up of stored versions refused no ids at all."""
    response = client.post("/api/v1/bundles", headers=ana, json={"type": "bundle", "objects": []})
    assert response.status_code == 201, response.text
    assert response.json()["stored"] == 0


def test_plan_objects_cannot_be_imported_as_records(
    client: TestClient, ana: dict[str, str], node: Node
) -> None:
    # An analyst may import records but not write the plan: a plan element in a bundle would
    # reach the partner as the coordinator's.
    plain = {"type": "incident", "spec_version": "2.1", "id": f"incident--{uuid.uuid4()}",
             "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
             "name": "Imported"}  # fmt: skip
    forged = plain | {"type": "x-puente-plan-element", "id": f"x-puente-plan-element--{uuid.uuid4()}",
                      "level": "goal", "code": "9", "title": {"en": "Forged", "es": "Falso"}}  # fmt: skip
    response = client.post(
        "/api/v1/bundles",
        headers=ana | {"Accept-Language": "es"},
        json={"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [plain, forged]},
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["pointer"] == "/objects/1/type"
    assert "x-puente-plan-element" in error["detail"]
    assert client.get(f"/api/v1/records/{plain['id']}", headers=ana).status_code == 404


def test_an_export_holding_the_plan_reads_back_but_not_changed(
    client: TestClient, ana: dict[str, str], node: Node
) -> None:
    from puente.i18n import Text
    from puente.plan import reading
    from puente.plan import service as plan
    from puente.plan.elements import Element

    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        plan.save_elements(session, node, laura, [Element(level="goal", code="1",
                                                          title=Text("Protect", "Proteger"))])  # fmt: skip
    bundle = client.get("/api/v1/export", headers=ana).json()
    again = client.post("/api/v1/bundles", headers=ana, json=bundle)
    assert again.status_code == 201, again.text
    assert again.json()["unchanged"] >= 1, again.json()  # the goal, held already
    (goal,) = [o for o in bundle["objects"] if o["type"] == "x-puente-plan-element"]
    goal["title"] = {"en": "Hijacked", "es": "Secuestrado"}  # the same version, other content
    forged = client.post("/api/v1/bundles", headers=ana,
                         json=bundle | {"objects": [goal]})  # fmt: skip
    assert forged.status_code in (409, 422), forged.text
    with node.db.session() as session:
        assert [e.title.en for e, _ in reading.elements(session)] == ["Protect"]


# --- Problem details ------------------------------------------------------------------------


def test_bad_fields_are_problem_details_that_point_at_them(
    client: TestClient, ana: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/records",
        headers=ana,
        json={
            "kind": "seizure",
            "fields": {"name": "x", "seizure_date": "yesterday"},
            "markings": {"tlp": "ORANGE", "agencies": ["KGB"]},
        },
    )
    body = _problem(response, 422)
    assert body["type"] == "urn:puente:problem:invalid-input"
    pointers = [e["pointer"] for e in body["errors"]]
    assert pointers == ["/markings/tlp", "/markings/agencies/0"]
    assert body["errors"][0]["detail"] == "Unknown TLP level ORANGE."
    fixed_markings = client.post(
        "/api/v1/records",
        headers=ana,
        json={
            "kind": "seizure",
            "fields": {"name": "x", "seizure_date": "yesterday"},
            "markings": {"tlp": "AMBER"},
        },
    )
    body = _problem(fixed_markings, 422)
    pointers = [e["pointer"] for e in body["errors"]]
    assert any(p.endswith("/seizure_date") for p in pointers)
    assert any(p.endswith("/substance") for p in pointers)


def test_a_body_of_the_wrong_shape_names_the_field(client: TestClient, ana: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/records",
        headers=ana,
        json={"fields": {}, "markings": {"tlp": "AMBER"}, "extra": 1},
    )
    body = _problem(response, 422)
    assert {e["pointer"] for e in body["errors"]} == {"/kind", "/extra"}
    limit = client.get("/api/v1/records", params={"limit": 0}, headers=ana)
    assert _problem(limit, 422)["errors"][0]["pointer"] == "/limit"


def test_no_token_is_401_with_a_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/records")
    body = _problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert body["detail"] == "Sign in, or send an API token as Authorization: Bearer <token>."


@pytest.mark.parametrize("token", ["pte_not-a-token", ""])
def test_a_bad_token_is_401(client: TestClient, token: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    _problem(response, 401)


def test_a_revoked_token_is_401(client: TestClient, node: Node, analyst: Principal) -> None:
    headers = token_headers(node, analyst)
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "ana"
    token_id = client.get("/api/v1/tokens", headers=headers).json()[0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    _problem(client.get("/api/v1/me", headers=headers), 401)


def test_tokens_are_shown_once(client: TestClient, ana: dict[str, str]) -> None:
    issued = client.post("/api/v1/tokens", json={"name": "ci", "days": 7}, headers=ana)
    assert issued.status_code == 201
    secret = issued.json()["token"]
    listed = client.get("/api/v1/tokens", headers=ana)
    assert secret not in listed.text
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["username"]
        == "ana"
    )


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        pytest.param("GET", "/api/v1/users", "analyst", id="an analyst lists users"),
        pytest.param("POST", "/api/v1/users", "analyst", id="an analyst adds a user"),
        pytest.param("GET", "/api/v1/audit", "analyst", id="an analyst reads the audit log"),
        pytest.param("GET", "/api/v1/audit/verify", "liaison", id="a liaison verifies the log"),
        pytest.param("POST", "/api/v1/records", "auditor", id="an auditor creates a record"),
        pytest.param("POST", "/api/v1/bundles", "coordinator", id="a coordinator imports"),
        pytest.param("GET", "/api/v1/export", "auditor", id="an auditor exports"),
    ],
)
def test_a_role_without_the_permission_gets_403(
    client: TestClient, node: Node, method: str, path: str, role: str
) -> None:
    headers = token_headers(node, add_user(node, "someone", "CBP", [role]))
    bodies = {
        "/api/v1/users": {
            "username": "eve",
            "password": "long-enough-1",
            "agency": "CBP",
            "roles": ["admin"],
        },
        "/api/v1/records": {
            "kind": "incident",
            "fields": {"name": "x"},
            "markings": {"tlp": "AMBER"},
        },
        "/api/v1/bundles": {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": []},
    }
    response = client.request(method, path, headers=headers, json=bodies.get(path))
    body = _problem(response, 403)
    assert body["type"] == "urn:puente:problem:forbidden"


def test_an_admin_adds_a_user_and_an_auditor_verifies(
    client: TestClient, node: Node, admin: Principal, auditor: Principal
) -> None:
    response = client.post(
        "/api/v1/users",
        headers=token_headers(node, admin),
        json={
            "username": "eve",
            "password": "long-enough-1",
            "agency": "DEA",
            "roles": ["liaison"],
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["roles"] == ["liaison"]
    bad = client.post(
        "/api/v1/users",
        headers=token_headers(node, admin),
        json={
            "username": "Eve!",
            "password": "long-enough-1",
            "agency": "DEA",
            "roles": ["liaison"],
        },
    )
    assert _problem(bad, 422)["errors"][0]["pointer"] == "/username"
    headers = token_headers(node, auditor)
    assert client.get("/api/v1/audit/verify", headers=headers).json()["ok"] is True
    log = client.get("/api/v1/audit", params={"action": "user.create"}, headers=headers).json()
    assert log[0]["target"] == "eve"


def test_an_invisible_record_is_404_exactly_like_a_missing_one(
    client: TestClient, ana: dict[str, str], dan: dict[str, str]
) -> None:
    hidden = _create(client, ana, "incident", {"name": "CBP only"}, agencies=["CBP"])["id"]
    missing = f"incident--{uuid.uuid4()}"
    for suffix in ("", "/versions", "/related"):
        answers = []
        for stix_id in (hidden, missing):
            response = client.get(f"/api/v1/records/{stix_id}{suffix}", headers=dan)
            body = _problem(response, 404)
            answers.append(str(body).replace(stix_id, "ID"))
        assert answers[0] == answers[1]
    put = client.put(
        f"/api/v1/records/{hidden}",
        headers=dan,
        json={"fields": {"name": "x"}, "markings": {"tlp": "AMBER"}},
    )
    assert _problem(put, 404)["detail"] == NOT_FOUND.format(id=hidden)


def test_openapi_lists_the_routes(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path, method in (
        ("/api/v1/records", "get"),
        ("/api/v1/records", "post"),
        ("/api/v1/records/{stix_id}", "get"),
        ("/api/v1/records/{stix_id}", "put"),
        ("/api/v1/records/{stix_id}/versions", "get"),
        ("/api/v1/records/{stix_id}/related", "get"),
        ("/api/v1/records/{stix_id}/revoke", "post"),
        ("/api/v1/bundles", "post"),
        ("/api/v1/export", "get"),
        ("/api/v1/me", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{token_id}", "delete"),
        ("/api/v1/audit", "get"),
        ("/api/v1/audit/verify", "get"),
    ):
        assert method in paths.get(path, {}), (method, path)
        assert paths[path][method].get("summary"), (method, path)


def _spanish(message: str) -> Any:
    return pytest.mark.xfail(
        message not in catalog("es"),
        strict=False,
        reason=f"the Spanish catalog has no translation of {message!r} yet",
    )


@_spanish(NOT_FOUND)
def test_accept_language_es_gives_a_spanish_detail(client: TestClient, dan: dict[str, str]) -> None:
    missing = f"incident--{uuid.uuid4()}"
    response = client.get(
        f"/api/v1/records/{missing}", headers={**dan, "Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
    )
    body = _problem(response, 404)
    assert response.headers["content-language"] == "es"
    assert body["detail"] != NOT_FOUND.format(id=missing)
    assert body["detail"] == catalog("es")[NOT_FOUND].format(id=missing)
    assert body["title"] == catalog("es")["Not found"]


def test_accept_language_en_stays_english(client: TestClient, dan: dict[str, str]) -> None:
    missing = f"incident--{uuid.uuid4()}"
    response = client.get(
        f"/api/v1/records/{missing}", headers={**dan, "Accept-Language": "en-US,es;q=0.5"}
    )
    assert _problem(response, 404)["detail"] == NOT_FOUND.format(id=missing)
    assert response.headers["content-language"] == "en"


@pytest.mark.parametrize(
    "after", ["99999999999999999999999", "-1", "9223372036854775808", "2147483648"]
)
def test_a_keyset_position_out_of_range_is_a_problem_at_the_parameter(
    client: TestClient, ana: dict[str, str], after: str
) -> None:
    """Issue 14: after=99999999999999999999999 answered 500 (OverflowError in the driver)."""
    response = client.get("/api/v1/records", params={"after": after}, headers=ana)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert "after" in error["pointer"]


def test_an_address_or_method_the_api_does_not_have_is_a_problem(
    client: TestClient, ana: dict[str, str]
) -> None:
    """Issue 14: these answered FastAPI's {"detail": "Not Found"}, in English only."""
    missing = client.get("/api/v1/no-such-thing", headers=ana | {"Accept-Language": "es"})
    assert _problem(missing, 404)["detail"] == "No hay nada en esta dirección de la API."
    wrong = client.patch("/api/v1/records", headers=ana)
    assert _problem(wrong, 405)["detail"] == "This address of the API does not take this method."
    assert wrong.headers["allow"]


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("method", "path", "params", "where"),
    [
        ("GET", "/api/v1/audit", {"before": HUGE}, "/before"),
        ("GET", "/api/v1/audit", {"before": "9223372036854775808"}, "/before"),
        # PostgreSQL's INTEGER ends at 2**31 - 1 ("integer out of range": found by schemathesis)
        ("GET", "/api/v1/audit", {"before": "2147483648"}, "/before"),
        ("DELETE", "/api/v1/tokens/2147483648", {}, "/token_id"),
        ("GET", "/api/v1/records", {"after": "2147483648"}, "/after"),
        ("GET", "/api/v1/audit", {"limit": HUGE}, "/limit"),
        ("DELETE", f"/api/v1/tokens/{HUGE}", {}, "/token_id"),
        ("GET", "/api/v1/hits/queries", {"limit": HUGE}, "/limit"),
    ],
)
def test_every_whole_number_parameter_out_of_range_is_a_problem_at_it(
    client: TestClient, node: Node, method: str, path: str, params: dict[str, str], where: str
) -> None:
    """Issue 14: only ?after= was bounded; a row's key past 64 bits overflowed in the driver."""
    headers = token_headers(node, add_user(node, "ada", "INL", ["auditor", "analyst"]))
    response = client.request(method, path, params=params, headers=headers)
    (error,) = _problem(response, 422)["errors"]
    assert error["pointer"] == where


@pytest.mark.parametrize(
    ("body", "where"),
    [({"name": "t", "days": int(HUGE)}, "/days"), ({"name": "t", "days": 10**400}, "/days")],
)
def test_a_whole_number_in_a_body_out_of_range_is_a_problem_at_it(
    client: TestClient, ana: dict[str, str], body: dict[str, Any], where: str
) -> None:
    response = client.post("/api/v1/tokens", json=body, headers=ana)
    (error,) = _problem(response, 422)["errors"]
    assert error["pointer"] == where
