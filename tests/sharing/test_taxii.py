"""The TAXII 2.1 server, endpoint by endpoint, as a partner and as a user of the node see it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from puente.accounts import service as accounts
from puente.node import Node
from puente.policy.markings import Markings
from puente.policy.roles import Principal
from puente.records import builder
from puente.records import service as records
from puente.records.definitions import is_published
from puente.web.app import create_app
from tests.support.nodes import add_user
from tests.support.partners import TAXII, add_partner, basic, store

ROOT = "/taxii2/api/"


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


def released_collection(client: TestClient, headers: dict[str, str]) -> str:
    listed = client.get(ROOT + "collections/", headers=headers)
    assert listed.status_code == 200
    (readable,) = [c for c in listed.json()["collections"] if c["can_read"]]
    return str(readable["id"])


def records_in(response: Response) -> list[dict[str, Any]]:
    """The records a listing holds, without the definitions every collection serves."""
    return [o for o in response.json().get("objects", []) if not is_published(o)]


def ids(response: Response) -> list[str]:
    return [obj["id"] for obj in records_in(response)]


def test_discovery_and_api_root_need_credentials_and_speak_taxii(
    client: TestClient, node: Node, admin: Principal
) -> None:
    anonymous = client.get("/taxii2/", headers={"Accept": TAXII})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert anonymous.headers["content-type"] == TAXII
    assert anonymous.json()["http_status"] == "401"
    secret = add_partner(node, admin)
    assert client.get("/taxii2/", headers=basic("mx-node", secret + "x")).status_code == 401
    found = client.get("/taxii2/", headers=basic("mx-node", secret))
    assert found.status_code == 200
    assert found.headers["content-type"] == TAXII
    assert found.json()["api_roots"] == [ROOT]
    root = client.get(ROOT, headers=basic("mx-node", secret)).json()
    assert root["versions"] == [TAXII]
    assert root["max_content_length"] == node.settings.limits.max_request_bytes


def test_media_types_are_negotiated_as_section_3_1_says(
    client: TestClient, node: Node, admin: Principal
) -> None:
    headers = basic("mx-node", add_partner(node, admin))
    for accept in ("application/taxii+json", "application/taxii+json; version=2.1", "*/*"):
        assert client.get(ROOT, headers={**headers, "Accept": accept}).status_code == 200
    for accept in ("application/json", "application/taxii+json;version=2.0"):
        refused = client.get(ROOT, headers={**headers, "Accept": accept})
        assert refused.status_code == 406
        assert refused.headers["content-type"] == TAXII
    collection = released_collection(client, headers)
    manifest = client.get(
        f"{ROOT}collections/{collection}/manifest/",
        headers={**headers, "Accept": "application/stix+json;version=2.1"},
    )
    assert manifest.status_code == 200


def test_a_partner_reads_exactly_what_the_gate_releases_to_its_country(
    client: TestClient, node: Node, admin: Principal, analyst: Principal
) -> None:
    shared = store(node, analyst, "Shared with Mexico")
    store(node, analyst, "US only", rel_to=("USA",))
    store(node, analyst, "Red", tlp="RED")
    store(node, analyst, "For FGR", agencies=frozenset({"CBP", "FGR"}))
    store(node, analyst, "For US agencies only", agencies=frozenset({"CBP", "DEA"}))
    headers = basic("mx-node", add_partner(node, admin))
    collection = released_collection(client, headers)
    objects = client.get(f"{ROOT}collections/{collection}/objects/", headers=headers)
    assert objects.status_code == 200
    names = sorted(o["name"] for o in records_in(objects))
    assert names == ["For FGR", "Shared with Mexico"]
    assert objects.headers["x-taxii-date-added-first"] <= objects.headers["x-taxii-date-added-last"]
    one = client.get(f"{ROOT}collections/{collection}/objects/{shared}/", headers=headers)
    assert ids(one) == [shared]
    missing = client.get(
        f"{ROOT}collections/{collection}/objects/{store(node, analyst, 'US', rel_to=('USA',))}/",
        headers=headers,
    )
    assert missing.status_code == 404


def test_one_partner_never_reads_another_partners_collection(
    client: TestClient, node: Node, admin: Principal, analyst: Principal
) -> None:
    store(node, analyst, "Shared")
    mexico = basic("mx-node", add_partner(node, admin))
    canada = basic("ca-node", add_partner(node, admin, "ca-node", "CAN"))
    theirs = released_collection(client, canada)
    assert theirs != released_collection(client, mexico)
    for path in ("", "objects/", "manifest/"):
        response = client.get(f"{ROOT}collections/{theirs}/{path}", headers=mexico)
        assert response.status_code == 404, path
    assert ids(client.get(f"{ROOT}collections/{theirs}/objects/", headers=canada)) == []


def test_pages_follow_next_and_added_after_is_exclusive(
    client: TestClient, node: Node, admin: Principal, analyst: Principal
) -> None:
    stored = [store(node, analyst, f"Incident {n}") for n in range(7)]
    headers = basic("mx-node", add_partner(node, admin))
    url = f"{ROOT}collections/{released_collection(client, headers)}/objects/"
    seen: list[str] = []
    response = client.get(url, params={"limit": 3}, headers=headers)
    while True:
        body = response.json()
        seen += ids(response)
        if not body.get("more"):
            break
        response = client.get(url, params={"limit": 3, "next": body["next"]}, headers=headers)
    assert seen == stored
    first_page = client.get(url, params={"limit": 3}, headers=headers)
    after = first_page.headers["x-taxii-date-added-last"]
    rest = client.get(url, params={"added_after": after}, headers=headers)
    assert ids(rest) == stored[3:]
    # A next token is bound to its query: with another filter it is refused.
    token = first_page.json()["next"]
    other = client.get(url, params={"next": token, "match[type]": "note"}, headers=headers)
    assert other.status_code == 400


def test_malformed_parameters_are_a_400_naming_the_parameter(
    client: TestClient, node: Node, admin: Principal
) -> None:
    headers = basic("mx-node", add_partner(node, admin))
    url = f"{ROOT}collections/{released_collection(client, headers)}/objects/"
    for params in (
        {"added_after": "yesterday"},
        {"limit": "0"},
        {"limit": "many"},
        {"match[version]": "all,last"},
        {"next": "forged.token"},
    ):
        response = client.get(url, params=params, headers=headers)
        assert response.status_code == 400, params
        assert response.headers["content-type"] == TAXII
        assert response.json()["details"]["errors"][0]["where"] == next(iter(params)), params


def test_versions_and_the_manifest_list_every_released_version(
    client: TestClient, node: Node, admin: Principal, analyst: Principal
) -> None:
    stix_id = store(node, analyst, "First")
    with node.db.session() as session:
        shared = Markings(tlp="GREEN", rel_to=frozenset({"USA", "MEX"}))
        records.new_version(session, node.settings, analyst, stix_id, {"name": "Second"}, shared)
    headers = basic("mx-node", add_partner(node, admin))
    base = f"{ROOT}collections/{released_collection(client, headers)}/"
    versions = client.get(f"{base}objects/{stix_id}/versions/", headers=headers)
    assert len(versions.json()["versions"]) == 2
    assert versions.headers["x-taxii-date-added-first"]
    latest = client.get(f"{base}objects/{stix_id}/", headers=headers).json()["objects"]
    assert [o["name"] for o in latest] == ["Second"]
    every = client.get(
        f"{base}objects/{stix_id}/", params={"match[version]": "all"}, headers=headers
    )
    assert [o["name"] for o in every.json()["objects"]] == ["First", "Second"]
    first = client.get(f"{base}objects/", params={"match[version]": "first"}, headers=headers)
    assert [o["name"] for o in records_in(first)] == ["First"]
    manifest = client.get(
        f"{base}manifest/",
        params={"match[version]": "all", "match[type]": "incident"},
        headers=headers,
    )
    records_ = manifest.json()["objects"]
    assert [r["version"] for r in records_] == versions.json()["versions"]
    assert all(r["media_type"] == "application/stix+json;version=2.1" for r in records_)


def test_partners_may_not_write_or_delete(
    client: TestClient, node: Node, admin: Principal, analyst: Principal
) -> None:
    stix_id = store(node, analyst, "Shared")
    headers = basic("mx-node", add_partner(node, admin))
    base = f"{ROOT}collections/{released_collection(client, headers)}/"
    post = client.post(
        f"{base}objects/", content=b'{"objects": []}', headers={**headers, "Content-Type": TAXII}
    )
    assert post.status_code == 403
    assert client.delete(f"{base}objects/{stix_id}/", headers=headers).status_code == 403


def test_a_user_adds_reads_and_deletes_through_the_records_collection(
    client: TestClient, node: Node, analyst: Principal
) -> None:
    with node.db.session() as session:
        token = accounts.create_token(session, analyst, "ana", "taxii", 1).token
    headers = basic("ana", token)
    (records_collection,) = client.get(ROOT + "collections/", headers=headers).json()["collections"]
    assert (records_collection["can_read"], records_collection["can_write"]) == (True, True)
    base = f"{ROOT}collections/{records_collection['id']}/"
    good = builder.build("incident", {"name": "Posted over TAXII"}, "CBP")
    bad = {**builder.build("incident", {"name": "No id"}, "CBP"), "id": "incident--nope"}
    envelope = {"objects": [good, bad]}
    wrong_type = client.post(f"{base}objects/", json=envelope, headers=headers)
    assert wrong_type.status_code == 415
    posted = client.post(
        f"{base}objects/", json=envelope, headers={**headers, "Content-Type": TAXII}
    )
    assert posted.status_code == 202
    status = posted.json()
    assert (status["status"], status["total_count"]) == ("complete", 2)
    assert (status["success_count"], status["failure_count"], status["pending_count"]) == (1, 1, 0)
    assert status["failures"][0]["id"] == "incident--nope"
    again = client.post(
        f"{base}objects/", json={"objects": [good]}, headers={**headers, "Content-Type": TAXII}
    ).json()
    assert again["success_count"] == 1  # an exact duplicate is no error (§5.5)
    polled = client.get(f"{ROOT}status/{status['id']}/", headers=headers)
    assert polled.json() == status
    assert good["id"] in ids(client.get(f"{base}objects/", headers=headers))
    assert client.delete(f"{base}objects/{good['id']}/", headers=headers).status_code == 200
    assert client.get(f"{base}objects/{good['id']}/", headers=headers).status_code == 404
    assert good["id"] not in ids(client.get(f"{base}objects/", headers=headers))


def _tighten(node: Node, who: Principal, stix_id: str, markings: Markings) -> None:
    with node.db.session() as session:
        records.new_version(session, node.settings, who, stix_id, {"name": "Tightened"}, markings)


@pytest.mark.parametrize(
    "tightened",
    [
        Markings(tlp="RED", rel_to=frozenset({"USA", "MEX"})),
        Markings(tlp="GREEN", rel_to=frozenset({"USA"})),
    ],
    ids=["tlp-red", "rel-to-usa-only"],
)
def test_a_tightened_record_offers_the_partner_none_of_its_older_versions(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, tightened: Markings
) -> None:
    stix_id = store(node, analyst, "Shared widely at first")
    _tighten(node, analyst, stix_id, tightened)
    headers = basic("mx-node", add_partner(node, admin))
    base = f"{ROOT}collections/{released_collection(client, headers)}/"
    for url, params in (
        (f"{base}objects/{stix_id}/", {"match[version]": "all"}),
        (f"{base}objects/{stix_id}/", {"match[version]": "first"}),
        (f"{base}objects/{stix_id}/", {}),
        (f"{base}objects/{stix_id}/versions/", {}),
    ):
        assert client.get(url, params=params, headers=headers).status_code == 404, (url, params)
    for url in (f"{base}objects/", f"{base}manifest/"):
        for version in ("all", "first", "last"):
            listed = client.get(url, params={"match[version]": version}, headers=headers)
            assert stix_id not in ids(listed), (url, version)


def test_a_local_reader_the_new_version_excludes_gets_no_older_version_over_taxii(
    client: TestClient, node: Node, analyst: Principal
) -> None:
    stix_id = store(node, analyst, "Open to every agency at first")
    _tighten(node, analyst, stix_id, Markings(tlp="GREEN", rel_to=frozenset({"USA"}),
                                              agencies=frozenset({analyst.agency})))  # fmt: skip
    other = add_user(node, "atf.reader", "ATF", ["analyst"])
    with node.db.session() as session:
        token = accounts.create_token(session, other, "atf.reader", "taxii", 1).token
    headers = basic("atf.reader", token)
    (collection,) = client.get(ROOT + "collections/", headers=headers).json()["collections"]
    base = f"{ROOT}collections/{collection['id']}/"
    for url, params in (
        (f"{base}objects/{stix_id}/", {}),
        (f"{base}objects/{stix_id}/", {"match[version]": "all"}),
        (f"{base}objects/{stix_id}/versions/", {}),
    ):
        assert client.get(url, params=params, headers=headers).status_code == 404, (url, params)
    for version in ("all", "first", "last"):
        listed = client.get(f"{base}objects/", params={"match[version]": version}, headers=headers)
        assert stix_id not in ids(listed), version
