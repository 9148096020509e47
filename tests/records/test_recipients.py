"""Named recipients across two nodes (issue 13, leak 2): a name is qualified by its node's
country, so a Mexican record for ``fgr.enlace`` is never read by a US account that happens to
be called ``fgr.enlace``, and a record for Mexican users only never leaves Mexico.

Mexico writes through its REST API, web form and TAXII records collection; the United States
pulls and its users read through every exit: REST, search, the TAXII records collection and
the web record page.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from puente.accounts import service as accounts
from puente.errors import InvalidInput
from puente.node import Node
from puente.policy.markings import MARKINGS_EXTENSION, TLP_MARKING_IDS, Markings
from puente.policy.roles import Principal
from puente.records import service as records
from puente.records.models import Record
from puente.sharing import sync
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import add_user
from tests.support.pages import page, sign_in
from tests.support.partners import TAXII, add_partner, basic, receive

ROOT = "/taxii2/api/"


@pytest.fixture
def apps(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, TestClient]]:
    """Mexico's app and the United States' app, each reaching the other when it syncs."""
    us_app, mx_app = route_both_ways(linked, monkeypatch)
    with (
        TestClient(mx_app, follow_redirects=False) as mx,
        TestClient(us_app, follow_redirects=False) as us,
    ):
        yield mx, us


@pytest.fixture
def people(linked: Linked) -> dict[str, dict[str, str]]:
    """Tokens: Mexico's writer and its liaison fgr.enlace; on the US node an account that
    collides with that name, the liaison Mexico names, and an analyst named by nobody."""
    return {
        "fer": _token(linked.mx, "fer", "FGR"),
        "mx:fgr.enlace": _token(linked.mx, "fgr.enlace", "FGR"),
        "mx:gn.analista": _token(linked.mx, "gn.analista", "GN"),
        "mx:other": _token(linked.mx, "sspc.uno", "SSPC"),
        "us:fgr.enlace": _token(linked.us, "fgr.enlace", "CBP"),
        "us:hsi.liaison": _token(linked.us, "hsi.liaison", "HSI"),
        "us:cbp.analyst": _token(linked.us, "cbp.analyst", "CBP"),
    }


def _token(node: Node, username: str, agency: str) -> str:
    who = add_user(node, username, agency, ["analyst"])
    with node.db.session() as session:
        return accounts.create_token(session, who, username, "tests", 1).token


def _bearer(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


def _write(mx: TestClient, token: str, name: str, recipients: list[str], **marks: Any) -> Any:
    markings = {"tlp": "AMBER", "rel_to": ["USA"], "recipients": recipients, **marks}
    body = {"kind": "incident", "fields": {"name": name}, "markings": markings}
    return mx.post("/api/v1/records", json=body, headers=_bearer(token))


def _created(mx: TestClient, token: str, name: str, recipients: list[str], **marks: Any) -> Any:
    response = _write(mx, token, name, recipients, **marks)
    assert response.status_code == 201, response.text
    return response.json()


def _stored_recipients(node: Node, stix_id: str) -> str:
    with node.db.session() as session:
        return session.execute(
            select(Record.recipients).where(Record.stix_id == stix_id, Record.is_current)
        ).scalar_one()


def _held(node: Node, stix_id: str) -> bool:
    with node.db.session() as session:
        found = session.execute(select(Record.pk).where(Record.stix_id == stix_id)).first()
        return found is not None


def _records_collection(client: TestClient, username: str, token: str) -> str:
    listed = client.get(ROOT + "collections/", headers=basic(username, token)).json()
    (records,) = listed["collections"]
    return f"{ROOT}collections/{records['id']}/"


def _reads(
    client: TestClient, username: str, token: str, stix_id: str, name: str
) -> dict[str, bool]:
    """Whether ``username`` reaches the record through each exit of its node."""
    rest = client.get(f"/api/v1/records/{stix_id}", headers=_bearer(token)).status_code
    assert rest in (200, 404)
    found = client.get("/api/v1/records", params={"q": name}, headers=_bearer(token)).json()
    base = _records_collection(client, username, token)
    listed = client.get(f"{base}objects/", headers=basic(username, token)).json()
    one = client.get(f"{base}objects/{stix_id}/", headers=basic(username, token))
    client.cookies.clear()
    sign_in(client, username)
    web = client.get(f"/records/{stix_id}")
    client.cookies.clear()
    return {
        "rest": rest == 200,
        "search": stix_id in {item["id"] for item in found["items"]},
        "taxii list": stix_id in {obj["id"] for obj in listed.get("objects", [])},
        "taxii object": one.status_code == 200 and bool(one.json().get("objects")),
        "web page": web.status_code == 200 and name in web.text,
    }


NOWHERE = dict.fromkeys(("rest", "search", "taxii list", "taxii object", "web page"), False)
EVERYWHERE = dict.fromkeys(NOWHERE, True)


def test_a_us_account_named_like_a_mexican_recipient_reads_nothing_on_any_exit(
    apps: tuple[TestClient, TestClient], linked: Linked, people: dict[str, str]
) -> None:
    mx, us = apps
    only_mexico = _created(mx, people["fer"], "Entrega vigilada", ["fgr.enlace"])
    both = _created(mx, people["fer"], "Entrega conjunta", ["fgr.enlace", "hsi.liaison@USA"])
    sync.sync(linked.us, "mx-node")

    # A record for Mexico's users only never leaves Mexico.
    assert not _held(linked.us, only_mexico["id"])
    # The shared one did; the US fgr.enlace is not Mexico's fgr.enlace, on any exit.
    assert _stored_recipients(linked.us, both["id"]) == ",fgr.enlace@MEX,hsi.liaison@USA,"
    assert _reads(us, "fgr.enlace", people["us:fgr.enlace"], both["id"], "Entrega conjunta") == (
        NOWHERE
    )
    assert _reads(us, "cbp.analyst", people["us:cbp.analyst"], both["id"], "Entrega conjunta") == (
        NOWHERE
    )
    assert _reads(us, "hsi.liaison", people["us:hsi.liaison"], both["id"], "Entrega conjunta") == (
        EVERYWHERE
    )
    # On Mexico's node the named Mexican user reads it; another Mexican user does not.
    assert _reads(mx, "fgr.enlace", people["mx:fgr.enlace"], only_mexico["id"],
                  "Entrega vigilada") == EVERYWHERE  # fmt: skip
    assert _reads(mx, "sspc.uno", people["mx:other"], only_mexico["id"], "Entrega vigilada") == (
        NOWHERE
    )


def test_every_documented_way_to_name_a_user_is_accepted_and_stored_qualified(
    apps: tuple[TestClient, TestClient], linked: Linked, people: dict[str, str]
) -> None:
    mx, us = apps
    made = _created(mx, people["fer"], "Cruce documentado", ["gn.analista@MEX", "hsi.liaison@usa"])
    by_node = _created(mx, people["fer"], "Cruce por nodo", ["hsi.liaison@us-node", "fgr.enlace"])
    stored = made["object"]["extensions"][MARKINGS_EXTENSION]["recipients"]
    assert stored == ["gn.analista@MEX", "hsi.liaison@USA"]
    assert made["markings"]["recipients"] == ["gn.analista@MEX", "hsi.liaison@USA"]
    assert by_node["object"]["extensions"][MARKINGS_EXTENSION]["recipients"] == [
        "fgr.enlace@MEX",
        "hsi.liaison@USA",
    ]
    assert _stored_recipients(linked.mx, made["id"]) == ",gn.analista@MEX,hsi.liaison@USA,"
    assert _reads(mx, "gn.analista", people["mx:gn.analista"], made["id"], "Cruce documentado") == (
        EVERYWHERE
    )
    sync.sync(linked.us, "mx-node")
    for record, name in ((made, "Cruce documentado"), (by_node, "Cruce por nodo")):
        assert _reads(us, "hsi.liaison", people["us:hsi.liaison"], record["id"], name) == (
            EVERYWHERE
        )
        assert _reads(us, "cbp.analyst", people["us:cbp.analyst"], record["id"], name) == NOWHERE
        assert _reads(us, "fgr.enlace", people["us:fgr.enlace"], record["id"], name) == NOWHERE


def test_a_recipient_that_names_no_known_user_form_is_refused_at_its_field_translated(
    apps: tuple[TestClient, TestClient], people: dict[str, str]
) -> None:
    mx, _ = apps
    refused = _write(mx, people["fer"], "Mal", ["fgr.enlace", "nadie@nowhere", "@MEX", "Fer Lopez"])
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert [e["pointer"] for e in errors] == [
        "/markings/recipients/1",
        "/markings/recipients/2",
        "/markings/recipients/3",
    ]
    assert "nadie@nowhere" in errors[0]["detail"]
    assert "MEX, USA" in errors[0]["detail"]
    body = {"kind": "incident", "fields": {"name": "Mal"},
            "markings": {"tlp": "AMBER", "recipients": ["nadie@nowhere"]}}  # fmt: skip
    spanish = mx.post(
        "/api/v1/records", json=body, headers=_bearer(people["fer"], **{"Accept-Language": "es"})
    )
    assert spanish.status_code == 422
    assert spanish.json()["errors"][0]["detail"].startswith(
        "nadie@nowhere nombra un nodo desconocido"
    )


def test_a_record_for_mexican_users_only_is_never_in_the_us_partner_collection(
    apps: tuple[TestClient, TestClient], linked: Linked, people: dict[str, str]
) -> None:
    mx, _ = apps
    mexican = _created(mx, people["fer"], "Solo México", ["fgr.enlace", "gn.analista@MEX"],
                       tlp="GREEN")  # fmt: skip
    shared = _created(mx, people["fer"], "Para HSI", ["fgr.enlace", "hsi.liaison@USA"], tlp="GREEN")
    as_us = basic("us-node", "issued-by-mexico-to-us-0001")
    listed = mx.get(ROOT + "collections/", headers=as_us).json()["collections"]
    (released,) = [c for c in listed if c["can_read"]]
    base = f"{ROOT}collections/{released['id']}/"
    served = {o["id"] for o in mx.get(f"{base}objects/", headers=as_us).json()["objects"]}
    assert shared["id"] in served
    assert mexican["id"] not in served
    assert mx.get(f"{base}objects/{mexican['id']}/", headers=as_us).status_code == 404
    manifest = mx.get(f"{base}manifest/", headers=as_us).json().get("objects", [])
    assert mexican["id"] not in {m["id"] for m in manifest}
    sync.sync(linked.us, "mx-node")
    assert _held(linked.us, shared["id"])
    assert not _held(linked.us, mexican["id"])


def test_a_partners_bare_recipient_is_its_own_user_never_this_nodes_namesake(
    apps: tuple[TestClient, TestClient], linked: Linked, people: dict[str, str]
) -> None:
    """An older Mexican node sends a record for bare ``fgr.enlace`` (its liaison) and
    ``hsi.liaison@usa``: stored verbatim, matched as Mexico's fgr.enlace and the US liaison."""
    _, us = apps
    stamp = "2026-02-01T09:00:00.000Z"
    obj = {
        "type": "incident", "spec_version": "2.1", "id": f"incident--{uuid.uuid4()}",
        "created": stamp, "modified": stamp, "name": "Aviso antiguo",
        "object_marking_refs": [TLP_MARKING_IDS["AMBER"]],
        "extensions": {MARKINGS_EXTENSION: {
            "extension_type": "property-extension", "rel_to": ["MEX", "USA"], "handling": "H0",
            "recipients": ["fgr.enlace", "hsi.liaison@usa"]}},
    }  # fmt: skip
    receive(linked.us, "mx-node", [obj], "2026-02-01T09:00:00.000001Z")
    with linked.us.db.session() as session:
        row = session.execute(select(Record).where(Record.stix_id == obj["id"])).scalar_one()
        assert row.recipients == ",fgr.enlace@MEX,hsi.liaison@USA,"
        assert '"recipients":["fgr.enlace","hsi.liaison@usa"]' in row.content  # as it came
    assert _reads(us, "fgr.enlace", people["us:fgr.enlace"], obj["id"], "Aviso antiguo") == NOWHERE
    assert _reads(us, "hsi.liaison", people["us:hsi.liaison"], obj["id"], "Aviso antiguo") == (
        EVERYWHERE
    )


def test_the_web_form_takes_every_documented_form_and_names_a_bad_one(
    apps: tuple[TestClient, TestClient], linked: Linked, people: dict[str, str]
) -> None:
    mx, _ = apps
    csrf = sign_in(mx, "fer")
    refused = mx.post(
        "/records/new/incident",
        data={"csrf_token": csrf, "name": "Desde la forma", "markings.tlp": "AMBER",
              "markings.recipients": "fgr.enlace\nnadie@nowhere"},
    )  # fmt: skip
    assert refused.status_code == 422
    error = page(refused.text).one(id="f-markings-recipients-error-1").text()
    assert "nadie@nowhere" in error
    created = mx.post(
        "/records/new/incident",
        data={"csrf_token": csrf, "name": "Desde la forma", "markings.tlp": "AMBER",
              "markings.rel_to": "USA",
              "markings.recipients": "fgr.enlace\nhsi.liaison@usa, gn.analista@mx-node"},
    )  # fmt: skip
    assert created.status_code == 303, created.text
    stix_id = created.headers["location"].rsplit("/", 1)[1]
    assert _stored_recipients(linked.mx, stix_id) == (
        ",fgr.enlace@MEX,gn.analista@MEX,hsi.liaison@USA,"
    )
    edit = page(mx.get(f"/records/{stix_id}/edit").text)
    assert edit.one("textarea", name="markings.recipients").text() == (
        "fgr.enlace@MEX gn.analista@MEX hsi.liaison@USA"
    )


def test_a_stix_object_added_to_the_records_collection_is_stored_qualified(
    apps: tuple[TestClient, TestClient], linked: Linked, people: dict[str, str]
) -> None:
    mx, _ = apps
    token = people["fer"]
    base = _records_collection(mx, "fer", token)
    stamp = "2026-03-01T12:00:00.000Z"

    def incident(name: str, recipients: list[str]) -> dict[str, Any]:
        return {
            "type": "incident", "spec_version": "2.1", "id": f"incident--{uuid.uuid4()}",
            "created": stamp, "modified": stamp, "name": name,
            "object_marking_refs": [TLP_MARKING_IDS["AMBER"]],
            "extensions": {MARKINGS_EXTENSION: {
                "extension_type": "property-extension", "rel_to": ["MEX", "USA"],
                "handling": "H0", "recipients": recipients}},
        }  # fmt: skip

    good = incident("Por TAXII", ["hsi.liaison@usa", "fgr.enlace"])
    bad = incident("Por TAXII mal", ["nadie@nowhere"])
    headers = {**basic("fer", token), "Content-Type": TAXII}
    status = mx.post(f"{base}objects/", json={"objects": [good, bad]}, headers=headers).json()
    assert (status["success_count"], status["failure_count"]) == (1, 1)
    assert "nadie@nowhere" in status["failures"][0]["message"]
    assert _stored_recipients(linked.mx, good["id"]) == ",fgr.enlace@MEX,hsi.liaison@USA,"
    served = mx.get(f"{base}objects/{good['id']}/", headers=basic("fer", token)).json()
    (obj,) = served["objects"]
    assert obj["extensions"][MARKINGS_EXTENSION]["recipients"] == [
        "fgr.enlace@MEX",
        "hsi.liaison@USA",
    ]
    # The same object posted again is the same version, not a conflicting one.
    again = mx.post(f"{base}objects/", json={"objects": [good]}, headers=headers).json()
    assert again["success_count"] == 1


# --- One node: every way a record is written stores its recipients qualified ----------------


def _marked_incident(name: str, recipients: Any) -> dict[str, Any]:
    stamp = "2026-03-02T08:00:00.000Z"
    return {
        "type": "incident", "spec_version": "2.1", "id": f"incident--{uuid.uuid4()}",
        "created": stamp, "modified": stamp, "name": name,
        "object_marking_refs": [TLP_MARKING_IDS["RED"]],
        "extensions": {MARKINGS_EXTENSION: {
            "extension_type": "property-extension", "rel_to": ["USA"], "handling": "H0",
            "recipients": recipients}},
    }  # fmt: skip


def _row(node: Node, stix_id: str) -> Record:
    with node.db.session() as session:
        row = session.execute(select(Record).where(Record.stix_id == stix_id)).scalar_one()
        session.expunge(row)
        return row


def test_an_imported_objects_recipients_are_stored_qualified_in_the_column_and_the_object(
    node: Node, analyst: Principal
) -> None:
    obj = _marked_incident("Importado", ["dan", "hsi.liaison@usa", "lia@us-node", "fer@MEX"])
    with node.db.session() as session:
        records.import_objects(session, node.settings, analyst, [obj])
    row = _row(node, obj["id"])
    assert row.recipients == ",dan@USA,fer@MEX,hsi.liaison@USA,lia@USA,"
    stored = json.loads(row.content)["extensions"][MARKINGS_EXTENSION]["recipients"]
    assert stored == ["dan@USA", "fer@MEX", "hsi.liaison@USA", "lia@USA"]


def test_an_import_naming_no_known_node_stores_nothing_and_says_where(
    node: Node, analyst: Principal
) -> None:
    good = _marked_incident("Bien", ["dan"])
    bad = _marked_incident("Mal", ["dan", "fer@mx-node", "Dan Smith"])  # no partner mx-node
    not_a_list = _marked_incident("Tampoco", "dan")
    with node.db.session() as session, pytest.raises(InvalidInput) as refused:
        records.import_objects(session, node.settings, analyst, [good, bad, not_a_list])
    where = f"/objects/1/extensions/{MARKINGS_EXTENSION}/recipients"
    assert [(p.pointer, p.params.get("value")) for p in refused.value.problems] == [
        (f"{where}/1", "fer@mx-node"),
        (f"{where}/2", "Dan Smith"),
        (f"/objects/2/extensions/{MARKINGS_EXTENSION}/recipients", None),
    ]
    with node.db.session() as session:
        assert session.execute(select(Record.pk)).first() is None


def test_a_partners_node_id_names_its_users_once_it_is_a_partner(
    node: Node, analyst: Principal, admin: Principal
) -> None:
    add_partner(node, admin, "mx-node", "MEX")
    obj = _marked_incident("Con socio", ["fer@mx-node"])
    with node.db.session() as session:
        records.import_objects(session, node.settings, analyst, [obj])
    assert _row(node, obj["id"]).recipients == ",fer@MEX,"


def test_markings_a_program_builds_with_bare_names_are_stored_qualified(
    node: Node, analyst: Principal
) -> None:
    """The demo and other code pass Markings directly: bare names are this node's users."""
    marks = Markings(tlp="RED", rel_to=frozenset({"USA"}), recipients=frozenset({"dan"}))
    with node.db.session() as session:
        view = records.create(session, node.settings, analyst, "incident", {"name": "x"}, marks)
    assert view.markings.recipients == frozenset({"dan@USA"})
    assert view.content["extensions"][MARKINGS_EXTENSION]["recipients"] == ["dan@USA"]
    wrong = Markings(tlp="RED", rel_to=frozenset({"USA"}), recipients=frozenset({"dan@nowhere"}))
    with node.db.session() as session, pytest.raises(InvalidInput) as refused:
        records.create(session, node.settings, analyst, "incident", {"name": "y"}, wrong)
    assert [p.pointer for p in refused.value.problems] == ["/markings/recipients/0"]


def test_a_version_stored_before_names_were_qualified_imports_again_as_unchanged(
    node: Node, analyst: Principal
) -> None:
    """Migration 0015 qualifies the column but leaves stored objects (and their hashes,
    which receipts pin) as they were: the node's export of such a version reads back."""
    marks = Markings(tlp="RED", rel_to=frozenset({"USA"}), recipients=frozenset({"dan"}))
    with node.db.session() as session:
        view = records.create(session, node.settings, analyst, "incident", {"name": "x"}, marks)
    old = dict(view.content)
    old["extensions"] = {**old["extensions"], MARKINGS_EXTENSION: {
        **old["extensions"][MARKINGS_EXTENSION], "recipients": ["dan"]}}  # fmt: skip
    content = orjson.dumps(old, option=orjson.OPT_SORT_KEYS)
    with node.db.session() as session:
        session.execute(
            update(Record)
            .where(Record.stix_id == view.stix_id)
            .values(content=content.decode(), content_hash=hashlib.sha256(content).hexdigest())
        )
    with node.db.session() as session:
        again = records.import_objects(session, node.settings, analyst, [old])
    assert (again.stored, again.unchanged) == (0, 1)


def test_a_partner_whose_node_id_spells_a_country_never_renames_that_countrys_users(
    node: Node, analyst: Principal, admin: Principal
) -> None:
    """A node id is any slug, so an admin may register a Mexican partner whose node id is
    ``usa``. A US writer's ``bob@USA`` must still name the US user bob: read as ``bob@MEX``,
    the record would leave for Mexico and its namesake there would read it (issue 13, leak 2)."""
    add_partner(node, admin, "usa", "MEX")
    obj = _marked_incident("Para bob", ["bob@USA", "ana@usa"])
    with node.db.session() as session:
        records.import_objects(session, node.settings, analyst, [obj])
    assert _row(node, obj["id"]).recipients == ",ana@USA,bob@USA,"


def test_a_partner_registered_under_this_nodes_own_id_never_renames_its_users(
    node: Node, analyst: Principal, admin: Principal
) -> None:
    """This node's own id names its own users, whatever partner an admin registers."""
    add_partner(node, admin, node.settings.node_id, "MEX")
    obj = _marked_incident("Para bob", [f"bob@{node.settings.node_id}"])
    with node.db.session() as session:
        records.import_objects(session, node.settings, analyst, [obj])
    assert _row(node, obj["id"]).recipients == ",bob@USA,"
