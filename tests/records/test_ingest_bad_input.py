"""Issue 2's "Bad input" list, through POST /api/v1/bundles.

Each bad bundle gets a problem detail naming what is wrong and where (a JSON pointer into the
posted document), and stores nothing at all: no record row, no audit entry.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from puente.accounts import service as accounts
from puente.audit.models import AuditEntry
from puente.node import Node
from puente.policy.markings import MARKINGS_EXTENSION, TLP_MARKING_IDS
from puente.records.models import Record, RecordRef
from puente.web.app import create_app
from tests.support.nodes import add_user

MARKINGS_AT = f"extensions/{MARKINGS_EXTENSION}"


def cartel(**changes: Any) -> dict[str, Any]:
    """A valid criminal organization; ``None`` in ``changes`` removes a property."""
    obj: dict[str, Any] = {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": f"threat-actor--{uuid.uuid4()}",
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": "Cártel de Jalisco Nueva Generación",
        "threat_actor_types": ["crime-syndicate"],
    }
    obj.update(changes)
    return {k: v for k, v in obj.items() if v is not None}


def bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}


def _bearer(node: Node, username: str, agency: str) -> dict[str, str]:
    who = add_user(node, username, agency, ["analyst"])
    with node.db.session() as session:
        token = accounts.create_token(session, who, username, "tests", 1).token
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client


@pytest.fixture
def cbp(node: Node) -> dict[str, str]:
    return _bearer(node, "ana", "CBP")


def _stored(node: Node) -> tuple[int, int, int]:
    with node.db.session() as session:
        return (
            session.execute(select(func.count()).select_from(Record)).scalar_one(),
            session.execute(select(func.count()).select_from(RecordRef)).scalar_one(),
            session.execute(select(func.count()).select_from(AuditEntry)).scalar_one(),
        )


def _refused(
    client: TestClient, node: Node, headers: dict[str, str], body: Any, status: int = 422
) -> list[dict[str, str]]:
    """Post ``body``; check it is refused as a problem detail and nothing is stored."""
    before = _stored(node)
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    response = client.post(
        "/api/v1/bundles", content=raw, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["detail"] == problem["errors"][0]["detail"]
    assert _stored(node) == before
    return [{"detail": e["detail"], "pointer": e["pointer"]} for e in problem["errors"]]


def test_a_good_bundle_is_stored(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    before = _stored(node)
    response = client.post("/api/v1/bundles", json=bundle(cartel(), cartel()), headers=cbp)
    assert response.status_code == 201, response.text
    assert response.json()["stored"] == 2
    records, _, entries = _stored(node)
    assert (records, entries) == (before[0] + 2, before[2] + 1)


def test_malformed_json(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    errors = _refused(client, node, cbp, b'{"type": "bundle", "objects": [}')
    assert errors[0]["pointer"] == ""
    assert errors[0]["detail"].startswith("Malformed JSON at line 1, column 32:")


def test_json_that_is_not_utf8(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    body = '{"type": "bundle", "objects": [{"name": "Peña"}]}'.encode("latin-1")
    offset = body.index("ñ".encode("latin-1"))
    errors = _refused(client, node, cbp, body)
    assert errors == [{"detail": f"The body is not valid UTF-8 (byte {offset}).", "pointer": ""}]


def test_a_document_that_is_not_a_bundle(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    errors = _refused(client, node, cbp, cartel())
    assert errors == [
        {"detail": 'Expected a STIX bundle: an object with "type": "bundle".', "pointer": "/type"}
    ]


def test_an_object_missing_a_required_property(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    errors = _refused(client, node, cbp, bundle(cartel(), cartel(name=None)))
    assert errors == [{"detail": "Missing required property name.", "pointer": "/objects/1/name"}]


def test_a_bad_id(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    errors = _refused(client, node, cbp, bundle(cartel(id="threat-actor--not-a-uuid")))
    assert errors == [
        {
            "detail": 'The id must be "threat-actor--" followed by a UUID.',
            "pointer": "/objects/0/id",
        }
    ]


def test_an_id_of_another_type(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    errors = _refused(client, node, cbp, bundle(cartel(id=f"malware--{uuid.uuid4()}")))
    assert errors[0]["pointer"] == "/objects/0/id"


def test_a_bad_timestamp(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    errors = _refused(client, node, cbp, bundle(cartel(created="2025-01-01 00:00")))
    assert errors == [
        {
            "detail": "created must be an RFC 3339 UTC timestamp such as 2025-01-31T17:05:00.000Z.",
            "pointer": "/objects/0/created",
        }
    ]


def test_modified_before_created(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    errors = _refused(client, node, cbp, bundle(cartel(modified="2024-12-31T23:59:59Z")))
    assert errors == [
        {"detail": "modified must not be earlier than created.", "pointer": "/objects/0/modified"}
    ]


def test_an_unknown_marking_reference(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    unknown = f"marking-definition--{uuid.uuid4()}"
    obj = cartel(object_marking_refs=[TLP_MARKING_IDS["GREEN"], unknown])
    errors = _refused(client, node, cbp, bundle(obj))
    assert errors == [
        {
            "detail": f"Unknown marking definition {unknown}: it is neither TLP nor in the bundle"
            " nor stored here.",
            "pointer": "/objects/0/object_marking_refs/1",
        }
    ]


def test_a_marking_defined_in_the_same_bundle_is_known(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    statement = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid4()}",
        "created": "2025-01-01T00:00:00.000Z",
        "definition_type": "statement",
        "definition": {"statement": "Copyright SSPC"},
    }
    obj = cartel(object_marking_refs=[statement["id"]])
    response = client.post("/api/v1/bundles", json=bundle(obj, statement), headers=cbp)
    assert response.status_code == 201, response.text


def test_an_unknown_agency_in_the_markings(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    markings = {
        "extension_type": "property-extension",
        "rel_to": ["USA", "MEX"],
        "handling": "H0",
        "agencies": ["CBP", "KGB"],
    }
    obj = cartel(extensions={MARKINGS_EXTENSION: markings})
    errors = _refused(client, node, cbp, bundle(obj))
    assert errors == [
        {"detail": "Unknown agency KGB.", "pointer": f"/objects/0/{MARKINGS_AT}/agencies/1"}
    ]


def test_a_duplicate_id_in_a_bundle(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    first = cartel()
    errors = _refused(client, node, cbp, bundle(first, cartel(), dict(first)))
    assert errors == [
        {
            "detail": f"The object {first['id']} appears twice in the bundle.",
            "pointer": "/objects/2/id",
        }
    ]


def test_an_oversized_object(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    node.settings.limits.max_object_bytes = 2048
    errors = _refused(
        client, node, cbp, bundle(cartel(), cartel(description="Plaza de Tijuana. " * 200))
    )
    assert len(errors) == 1
    assert errors[0]["pointer"] == "/objects/1"
    assert errors[0]["detail"].startswith("The object is ")
    assert errors[0]["detail"].endswith(" bytes; this node accepts at most 2048.")


def test_an_oversized_bundle(client: TestClient, node: Node, cbp: dict[str, str]) -> None:
    node.settings.limits.max_bundle_objects = 3
    errors = _refused(client, node, cbp, bundle(*(cartel() for _ in range(4))), status=413)
    assert errors == [
        {
            "detail": "The bundle holds 4 objects; this node accepts at most 3.",
            "pointer": "/objects",
        }
    ]


def test_a_new_version_by_another_agency(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    original = cartel()
    assert client.post("/api/v1/bundles", json=bundle(original), headers=cbp).status_code == 201
    dea = _bearer(node, "dan", "DEA")
    newer = cartel(id=original["id"], modified="2025-06-01T00:00:00.000Z", name="CJNG")
    errors = _refused(client, node, dea, bundle(cartel(), newer), status=403)
    assert errors == [
        {
            "detail": f"Only CBP on node us-node, which owns {original['id']}, may make new"
            " versions of it or change its markings. An admin may revoke it; to change it, ask"
            " CBP.",
            "pointer": "/objects/1/id",
        }
    ]
    # The owner may.
    response = client.post("/api/v1/bundles", json=bundle(newer), headers=cbp)
    assert response.status_code == 201, response.text
    assert response.json()["superseded"] == 1


def test_a_different_object_under_a_stored_version(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    original = cartel()
    assert client.post("/api/v1/bundles", json=bundle(original), headers=cbp).status_code == 201
    errors = _refused(client, node, cbp, bundle(dict(original, name="Otro")), status=409)
    assert errors[0]["pointer"] == "/objects/0/modified"


def test_every_problem_is_reported_at_once(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    errors = _refused(
        client,
        node,
        cbp,
        bundle(cartel(name=None), cartel(), cartel(created="yesterday"), cartel(id="x--1")),
    )
    assert [e["pointer"] for e in errors] == [
        "/objects/0/name",
        "/objects/2/created",
        "/objects/3/id",
    ]


def test_a_bundle_rejected_late_stores_nothing_of_its_earlier_objects(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    # Large enough that the first objects are written before the bad one is read.
    good = [cartel(name=f"Célula {n}") for n in range(2500)]
    errors = _refused(client, node, cbp, bundle(*good, cartel(created="never")))
    assert errors[0]["pointer"] == "/objects/2500/created"


def test_a_bundle_refused_for_ownership_late_stores_nothing(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    original = cartel()
    assert client.post("/api/v1/bundles", json=bundle(original), headers=cbp).status_code == 201
    dea = _bearer(node, "dan", "DEA")
    newer = dict(copy.deepcopy(original), modified="2025-06-01T00:00:00.000Z")
    good = [cartel(name=f"Célula {n}") for n in range(2500)]
    errors = _refused(client, node, dea, bundle(*good, newer), status=403)
    assert errors[0]["pointer"] == "/objects/2500/id"


def test_an_import_cannot_overwrite_or_probe_a_record_the_importer_may_not_see(
    node: Node,
) -> None:
    """Security review: a bundle reusing the id of a hidden record is refused without a word
    about its owner, and the hidden record is untouched."""
    from puente.errors import Forbidden
    from puente.policy.schemas import MarkingsIn
    from puente.records import service as records
    from tests.support.nodes import add_user

    dea = add_user(node, "dan", "DEA", ["analyst"])
    other_dea = add_user(node, "dora", "DEA", ["analyst"])
    with node.db.session() as session:
        hidden = records.create(
            session,
            node.settings,
            dea,
            "incident",
            {"name": "Informant meeting"},
            MarkingsIn(tlp="RED").to_markings("USA"),
        )
    takeover = dict(hidden.content, name="Overwritten", modified="2030-01-01T00:00:00.000Z")
    with node.db.session() as session, pytest.raises(Forbidden) as refused:
        records.import_objects(session, node.settings, other_dea, [takeover])
    assert refused.value.message == "You may not make new versions of {id}."
    assert "DEA" not in str(refused.value)
    assert "us-node" not in str(refused.value)
    with node.db.session() as session:
        assert records.get(session, dea, hidden.stix_id).name == "Informant meeting"


def _seizure(quantity: Any) -> dict[str, Any]:
    from puente.records import builder
    from tests.support.records import SAMPLE_FIELDS

    fields = {k: v for k, v in SAMPLE_FIELDS["seizure"].items() if k != "location_ref"}
    return builder.build("seizure", fields, "CBP") | {"quantity": quantity}


@pytest.mark.parametrize("quantity", [-5, -0.001, "12", True, None])
def test_a_seizure_quantity_that_is_no_amount(
    client: TestClient, node: Node, cbp: dict[str, str], quantity: Any
) -> None:
    """Issue 14: a seizure of -5 kg, or of "12", was stored as it came."""
    errors = _refused(client, node, cbp, bundle(_seizure(quantity)))
    assert [e["pointer"] for e in errors] == ["/objects/0/quantity"]


def test_a_seizure_of_nothing_is_stored(
    client: TestClient, node: Node, cbp: dict[str, str]
) -> None:
    response = client.post("/api/v1/bundles", json=bundle(_seizure(0)), headers=cbp)
    assert response.status_code == 201, response.text
