"""Only the originating agency makes new versions of a record or changes its markings; an admin
of another agency may revoke it (and recall it), never rewrite it. Checked on every path a
new version can take: REST, the web form, a STIX bundle over REST, TAXII and the command line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.accounts import service as accounts
from puente.node import Node
from puente.policy.roles import Principal
from puente.records import builder
from puente.records import service as records
from puente.records.models import Record
from puente.sharing import sync
from puente.web.app import create_app
from tests.support.cli import run
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import PASSWORD, add_user
from tests.support.pages import page, sign_in
from tests.support.partners import TAXII, add_partner, basic

REFUSAL = (
    "Only DEA on node us-node, which owns {id}, may make new versions of it or change its "
    "markings. An admin may revoke it; to change it, ask DEA."
)
LOOSER = {"tlp": "CLEAR", "rel_to": ["USA", "MEX"], "handling": "H0"}


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def dea(node: Node) -> Principal:
    return add_user(node, "dea.analyst", "DEA", ["analyst"])


@pytest.fixture
def inl_admin(node: Node) -> Principal:
    return add_user(node, "inl.admin", "INL", ["admin"])


def bearer(node: Node, who: Principal) -> dict[str, str]:
    with node.db.session() as session:
        issued = accounts.create_token(session, who, who.username, "tests", 1)
    return {"Authorization": f"Bearer {issued.token}"}


def dea_record(client: TestClient, node: Node, dea: Principal) -> dict[str, Any]:
    """The probe's record: DEA's, AMBER+STRICT, REL TO USA, agencies DEA and INL, H2."""
    body = {
        "kind": "incident",
        "fields": {"name": "Precursor shipment"},
        "markings": {"tlp": "AMBER+STRICT", "agencies": ["DEA", "INL"], "handling": "H2"},
    }
    made = client.post("/api/v1/records", json=body, headers=bearer(node, dea))
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def unchanged(client: TestClient, headers: dict[str, str], stix_id: str) -> None:
    versions = client.get(f"/api/v1/records/{stix_id}/versions", headers=headers).json()
    assert len(versions) == 1
    assert versions[0]["markings"]["banner"] == "TLP:AMBER+STRICT · REL TO USA · DEA, INL · H2"


def test_an_admin_may_not_re_mark_another_agencys_record_over_rest(
    client: TestClient, node: Node, dea: Principal, inl_admin: Principal
) -> None:
    made = dea_record(client, node, dea)
    admin = bearer(node, inl_admin)
    rewrite = {"fields": {"name": "Precursor shipment"}, "markings": LOOSER}
    response = client.put(f"/api/v1/records/{made['id']}", json=rewrite, headers=admin)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == REFUSAL.format(id=made["id"])
    unchanged(client, admin, made["id"])
    # The originating agency still may: another DEA analyst makes the next version.
    other_dea = bearer(node, add_user(node, "dea.other", "DEA", ["analyst"]))
    newer = {"fields": {"name": "Precursor shipment, confirmed"},
             "markings": {"tlp": "AMBER+STRICT", "agencies": ["DEA", "INL"], "handling": "H2"}}  # fmt: skip
    assert (
        client.put(f"/api/v1/records/{made['id']}", json=newer, headers=other_dea).status_code
        == 200
    )


def test_an_admin_may_revoke_another_agencys_record(
    client: TestClient, node: Node, dea: Principal, inl_admin: Principal
) -> None:
    made = dea_record(client, node, dea)
    admin = bearer(node, inl_admin)
    revoked = client.post(f"/api/v1/records/{made['id']}/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked"] is True
    assert revoked.json()["markings"]["banner"] == "TLP:AMBER+STRICT · REL TO USA · DEA, INL · H2"
    assert revoked.json()["originating_agency"] == "DEA"


def test_the_web_offers_an_admin_revoke_but_not_edit_and_refuses_the_edit_form(
    client: TestClient, node: Node, dea: Principal, inl_admin: Principal
) -> None:
    made = dea_record(client, node, dea)
    csrf = sign_in(client, "inl.admin", PASSWORD)
    shown = page(client.get(f"/records/{made['id']}").text)
    links = {a.attrs.get("href") for a in shown.all("a")}
    assert f"/records/{made['id']}/edit" not in links
    assert f"/records/{made['id']}/revoke" in links
    assert f"/records/{made['id']}/recall" in links
    form = client.get(f"/records/{made['id']}/edit")
    assert form.status_code == 403
    assert REFUSAL.format(id=made["id"]) in page(form.text).text()
    posted = client.post(f"/records/{made['id']}/edit",
                         data={"csrf_token": csrf, "name": "Rewritten", "tlp": "CLEAR",
                               "rel_to": ["USA", "MEX"], "handling": "H0"})  # fmt: skip
    assert posted.status_code == 403
    assert client.get(f"/records/{made['id']}/revoke").status_code == 200
    assert client.get(f"/records/{made['id']}/recall").status_code == 200
    done = client.post(f"/records/{made['id']}/revoke", data={"csrf_token": csrf})
    assert done.status_code == 303
    with node.db.session() as session:
        view = records.get(session, dea, made["id"], audit_read=False)
    assert (view.revoked, view.name, view.markings.tlp) == (
        True,
        "Precursor shipment",
        "AMBER+STRICT",
    )


def _newer(made: dict[str, Any], **changes: Any) -> dict[str, Any]:
    obj = dict(made["object"])
    obj.update(modified=builder.later_than(obj["modified"], builder.stix_now()), **changes)
    return obj


def test_an_admins_newer_version_in_a_bundle_is_refused(
    client: TestClient, node: Node, dea: Principal, inl_admin: Principal
) -> None:
    made = dea_record(client, node, dea)
    admin = bearer(node, inl_admin)
    newer = _newer(made, name="Rewritten by INL")
    bundle = {"type": "bundle", "id": "bundle--6f1d0c3e-1111-4a2b-9c3d-000000000001",
              "objects": [newer]}  # fmt: skip
    response = client.post("/api/v1/bundles", json=bundle, headers=admin)
    assert response.status_code == 403, response.text
    assert response.json()["errors"] == [
        {"detail": REFUSAL.format(id=made["id"]), "pointer": "/objects/0/id"}
    ]
    unchanged(client, admin, made["id"])


def test_an_admins_newer_version_over_taxii_is_refused_but_its_delete_revokes(
    client: TestClient, node: Node, dea: Principal, inl_admin: Principal
) -> None:
    made = dea_record(client, node, dea)
    with node.db.session() as session:
        token = accounts.create_token(session, inl_admin, "inl.admin", "taxii", 1).token
    headers = basic("inl.admin", token)
    root = "/taxii2/api/collections/"
    (collection,) = client.get(root, headers=headers).json()["collections"]
    base = f"{root}{collection['id']}/objects/"
    newer = _newer(made, name="Rewritten by INL")
    status = client.post(base, json={"objects": [newer]},
                         headers={**headers, "Content-Type": TAXII}).json()  # fmt: skip
    assert (status["success_count"], status["failure_count"]) == (0, 1)
    assert status["failures"][0]["message"] == REFUSAL.format(id=made["id"])
    unchanged(client, bearer(node, inl_admin), made["id"])
    assert client.delete(f"{base}{made['id']}/", headers=headers).status_code == 200


def test_an_admins_import_of_a_newer_version_is_refused_on_the_command_line(
    client: TestClient, node: Node, dea: Principal, inl_admin: Principal, tmp_path: Path
) -> None:
    made = dea_record(client, node, dea)
    bundle = tmp_path / "rewrite.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--6f1d0c3e-1111-4a2b-9c3d-000000000002",
                                  "objects": [_newer(made, name="Rewritten by INL")]}))  # fmt: skip
    code, output = run("import", "stix", str(bundle), "--as", "inl.admin",
                       env={"PUENTE_HOME": str(node.settings.data_dir), "PUENTE_LANG": "en"})  # fmt: skip
    assert code == 1
    assert REFUSAL.format(id=made["id"]) in " ".join(output.split())
    unchanged(client, bearer(node, inl_admin), made["id"])


def test_an_admin_may_recall_another_agencys_record(
    client: TestClient, node: Node, dea: Principal, inl_admin: Principal, admin: Principal
) -> None:
    add_partner(node, admin)
    made = dea_record(client, node, dea)
    csrf = sign_in(client, "inl.admin", PASSWORD)
    done = client.post(f"/records/{made['id']}/recall",
                       data={"csrf_token": csrf, "reason": "Shared by mistake"})  # fmt: skip
    assert done.status_code == 303


def test_an_import_may_not_claim_another_agencys_authorship(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An INL analyst imports a new record whose created_by_ref is DEA's identity: the node
    stores it as INL's, but Mexico's node reads its originator from created_by_ref, so the
    record would reach Mexico under DEA's name (issue 13, leak 3). Refused at the field."""
    us_app, _mx_app = route_both_ways(linked, monkeypatch)
    inl = add_user(linked.us, "inl.analyst", "INL", ["analyst"])
    forged = {
        "type": "incident", "spec_version": "2.1",
        "id": "incident--0b7c1e52-6a0d-4f43-9c1b-6b2d1f0e9a01",
        "created": "2026-01-05T10:00:00.000Z", "modified": "2026-01-05T10:00:00.000Z",
        "name": "Laboratorio en Sinaloa", "created_by_ref": builder.agency_identity_id("DEA"),
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
        "extensions": {"extension-definition--7d2f4e61-3c0a-4b8e-9f51-2a6c8d0e1b73": {
            "extension_type": "property-extension", "rel_to": ["MEX", "USA"], "handling": "H0"}},
    }  # fmt: skip
    bundle = {"type": "bundle", "id": "bundle--6f1d0c3e-1111-4a2b-9c3d-000000000003",
              "objects": [forged]}  # fmt: skip
    with TestClient(us_app) as us:
        response = us.post("/api/v1/bundles", json=bundle, headers=bearer(linked.us, inl))
    sync.sync(linked.mx, "us-node")
    with linked.mx.db.session() as session:
        held = session.execute(
            select(Record.originating_agency).where(Record.stix_id == forged["id"])
        ).scalars().all()  # fmt: skip
    assert "DEA" not in held
    assert response.status_code == 403, response.text
    assert response.json()["errors"][0]["pointer"] == "/objects/0/created_by_ref"


def test_a_revoked_record_takes_no_new_version_over_rest_either(
    client: TestClient, node: Node, dea: Principal, inl_admin: Principal
) -> None:
    """An admin revokes DEA's record; DEA's analyst may not undo it with a PUT (the web
    refuses the edit of a revoked record; STIX 2.1 §3.6: a revoked object is not versioned)."""
    made = dea_record(client, node, dea)
    assert client.post(f"/api/v1/records/{made['id']}/revoke",
                       headers=bearer(node, inl_admin)).status_code == 200  # fmt: skip
    again = {"fields": {"name": "Precursor shipment"},
             "markings": {"tlp": "AMBER+STRICT", "agencies": ["DEA", "INL"], "handling": "H2"}}  # fmt: skip
    put = client.put(f"/api/v1/records/{made['id']}", json=again, headers=bearer(node, dea))
    assert put.status_code == 409, put.text
    current = client.get(f"/api/v1/records/{made['id']}", headers=bearer(node, dea)).json()
    assert current["revoked"] is True


def test_a_revoked_record_takes_no_new_version_in_a_bundle(
    client: TestClient, node: Node, dea: Principal, inl_admin: Principal
) -> None:
    made = dea_record(client, node, dea)
    revoked = client.post(f"/api/v1/records/{made['id']}/revoke", headers=bearer(node, inl_admin))
    newer = _newer(revoked.json(), name="Precursor shipment, back")
    newer.pop("revoked")
    bundle = {"type": "bundle", "id": "bundle--6f1d0c3e-1111-4a2b-9c3d-000000000004",
              "objects": [newer]}  # fmt: skip
    response = client.post("/api/v1/bundles", json=bundle, headers=bearer(node, dea))
    assert response.status_code == 409, response.text
    assert response.json()["errors"][0]["pointer"] == "/objects/0/id"
    current = client.get(f"/api/v1/records/{made['id']}", headers=bearer(node, dea)).json()
    assert current["revoked"] is True


def test_a_new_version_is_current_even_after_one_dated_in_the_future(
    client: TestClient, node: Node, dea: Principal
) -> None:
    """A DEA bundle stored a version dated 2099 (a wrong clock, or on purpose). A DEA analyst
    then tightens the record to TLP:RED over REST: the new version must be the current one,
    not an older version behind the 2099 one that leaves the record as loose as it was."""
    made = dea_record(client, node, dea)
    headers = bearer(node, dea)
    future = dict(made["object"], modified="2099-01-01T00:00:00.000Z", name="Dated 2099")
    bundle = {"type": "bundle", "id": "bundle--6f1d0c3e-1111-4a2b-9c3d-000000000005",
              "objects": [future]}  # fmt: skip
    assert client.post("/api/v1/bundles", json=bundle, headers=headers).status_code in (200, 201)
    tighter = {"fields": {"name": "Precursor shipment, informant named"},
               "markings": {"tlp": "RED", "agencies": ["DEA"], "handling": "H2"}}  # fmt: skip
    put = client.put(f"/api/v1/records/{made['id']}", json=tighter, headers=headers)
    assert put.status_code == 200, put.text
    current = client.get(f"/api/v1/records/{made['id']}", headers=headers).json()
    assert (current["name"], current["markings"]["tlp"]) == (
        "Precursor shipment, informant named",
        "RED",
    )


def test_an_object_marked_with_two_tlps_is_stored_under_the_stricter(
    client: TestClient, node: Node, dea: Principal
) -> None:
    """STIX applies every marking an object lists: one from another tool that lists TLP:GREEN
    and TLP:RED is TLP:RED, not GREEN because GREEN came first (GREEN would go to Mexico)."""
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    obj = {"type": "incident", "spec_version": "2.1",
           "id": "incident--0b7c1e52-6a0d-4f43-9c1b-6b2d1f0e9a02",
           "created": "2026-01-05T10:00:00.000Z", "modified": "2026-01-05T10:00:00.000Z",
           "name": "Dos marcas", "object_marking_refs": [green, red],
           "extensions": {"extension-definition--7d2f4e61-3c0a-4b8e-9f51-2a6c8d0e1b73": {
               "extension_type": "property-extension", "rel_to": ["MEX", "USA"],
               "handling": "H0"}}}  # fmt: skip
    bundle = {"type": "bundle", "id": "bundle--6f1d0c3e-1111-4a2b-9c3d-000000000006",
              "objects": [obj]}  # fmt: skip
    headers = bearer(node, dea)
    assert client.post("/api/v1/bundles", json=bundle, headers=headers).status_code in (200, 201)
    stored = client.get(f"/api/v1/records/{obj['id']}", headers=headers).json()
    assert stored["markings"]["tlp"] == "RED"


def test_a_tlp_a_granular_marking_applies_to_part_of_an_object_governs_all_of_it(
    client: TestClient, node: Node, dea: Principal
) -> None:
    """Puente gates whole objects: an object from another tool marked TLP:GREEN whose
    description a granular marking makes TLP:RED is TLP:RED as a whole, or the description
    would go to Mexico with the rest."""
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    obj = {"type": "incident", "spec_version": "2.1",
           "id": "incident--0b7c1e52-6a0d-4f43-9c1b-6b2d1f0e9a03",
           "created": "2026-01-05T10:00:00.000Z", "modified": "2026-01-05T10:00:00.000Z",
           "name": "Parte en rojo", "description": "Informante: Z-7",
           "object_marking_refs": [green],
           "granular_markings": [{"marking_ref": red, "selectors": ["description"]}],
           "extensions": {"extension-definition--7d2f4e61-3c0a-4b8e-9f51-2a6c8d0e1b73": {
               "extension_type": "property-extension", "rel_to": ["MEX", "USA"],
               "handling": "H0"}}}  # fmt: skip
    bundle = {"type": "bundle", "id": "bundle--6f1d0c3e-1111-4a2b-9c3d-000000000007",
              "objects": [obj]}  # fmt: skip
    headers = bearer(node, dea)
    done = client.post("/api/v1/bundles", json=bundle, headers=headers)
    assert done.status_code in (200, 201, 422), done.text
    if done.status_code != 422:  # refused outright is as good
        stored = client.get(f"/api/v1/records/{obj['id']}", headers=headers).json()
        assert stored["markings"]["tlp"] == "RED"
