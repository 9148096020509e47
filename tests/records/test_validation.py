"""Wrongly typed, deeply nested and broken-text objects are refused by name, on every write path.

An object a partner, a tool or a script sends may hold anything JSON can say (and a Python
caller more): each such object is refused with a problem naming the object and the property
(a JSON pointer into what was sent), never a TypeError, a RecursionError or a 500.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from puente.accounts import service as accounts
from puente.errors import InvalidInput
from puente.node import Node
from puente.policy.roles import Principal
from puente.records import service as records
from puente.records.kinds import EXT_SEIZURE
from puente.records.models import Record
from puente.records.validation import MAX_DEPTH, ObjectChecker
from puente.sharing import partners
from puente.web.app import create_app
from tests.support.hostile import (
    HOSTILE,
    HOSTILE_AT,
    MARKS,
    PERSON,
    incident,
    nested,
    person,
    set_at,
)


def cartel() -> dict[str, Any]:
    return incident(type="threat-actor", id=f"threat-actor--{uuid.uuid4()}",
                    threat_actor_types=["crime-syndicate"], aliases=["CJNG"])  # fmt: skip


def seizure() -> dict[str, Any]:
    obj = incident(type="x-puente-seizure", id=f"x-puente-seizure--{uuid.uuid4()}",
                   substance="cocaína", quantity=12.5, unit="kg")  # fmt: skip
    obj["extensions"][EXT_SEIZURE] = {"extension_type": "new-sdo"}
    return obj


# (what is wrong, the object it is wrong in, the change, where the problem must point)
CASES: list[tuple[str, Callable[[], dict[str, Any]], Callable[[dict[str, Any]], None], str]] = [
    ("an agency that is an object", incident, set_at(f"{MARKS}/agencies", [{"a": 1}]),
     f"{MARKS}/agencies/0"),
    ("agencies as an object", incident, set_at(f"{MARKS}/agencies", {"CBP": 1}), f"{MARKS}/agencies"),
    ("agencies as a number", incident, set_at(f"{MARKS}/agencies", 5), f"{MARKS}/agencies"),
    ("agencies as one string", incident, set_at(f"{MARKS}/agencies", "CBP"), f"{MARKS}/agencies"),
    ("an agency that is a list", incident, set_at(f"{MARKS}/agencies", [["CBP"]]),
     f"{MARKS}/agencies/0"),
    ("rel_to as an object", incident, set_at(f"{MARKS}/rel_to", {"USA": True}), f"{MARKS}/rel_to"),
    ("a country that is a list", incident, set_at(f"{MARKS}/rel_to", [["USA"]]), f"{MARKS}/rel_to/0"),
    ("searchable_by as a number", incident, set_at(f"{MARKS}/searchable_by", 3),
     f"{MARKS}/searchable_by"),
    ("a recipient that is an object", incident, set_at(f"{MARKS}/recipients", [{"a": 1}]),
     f"{MARKS}/recipients/0"),
    ("handling as an object", incident, set_at(f"{MARKS}/handling", {"H0": 1}), f"{MARKS}/handling"),
    ("handling as a list", incident, set_at(f"{MARKS}/handling", ["H0"]), f"{MARKS}/handling"),
    ("handling text as a number", incident, set_at(f"{MARKS}/handling_text", 7),
     f"{MARKS}/handling_text"),
    ("handling text as an object", incident, set_at(f"{MARKS}/handling_text", {"a": 1}),
     f"{MARKS}/handling_text"),
    ("reliability as a list", incident, set_at(f"{MARKS}/source_reliability", ["A"]),
     f"{MARKS}/source_reliability"),
    ("credibility as text", incident, set_at(f"{MARKS}/information_credibility", "1"),
     f"{MARKS}/information_credibility"),
    ("credibility as true", incident, set_at(f"{MARKS}/information_credibility", True),
     f"{MARKS}/information_credibility"),
    ("credibility as a list", incident, set_at(f"{MARKS}/information_credibility", [1]),
     f"{MARKS}/information_credibility"),
    ("extension_type as a list", incident, set_at(f"{MARKS}/extension_type", ["x"]),
     f"{MARKS}/extension_type"),
    ("the markings extension as a list", incident, set_at(MARKS, [1]), MARKS),
    ("extensions as a list", incident, set_at("extensions", [1]), "extensions"),
    ("marking references as an object", incident, set_at("object_marking_refs", {"a": 1}),
     "object_marking_refs"),
    ("a marking reference that is an object", incident, set_at("object_marking_refs", [{"a": 1}]),
     "object_marking_refs/0"),
    ("granular markings as a number", incident, set_at("granular_markings", 5), "granular_markings"),
    ("a granular marking that is a list", incident, set_at("granular_markings", [[1]]),
     "granular_markings/0"),
    ("created_by_ref as an object", incident, set_at("created_by_ref", {"a": 1}), "created_by_ref"),
    ("the name as an object", incident, set_at("name", {"a": 1}), "name"),
    ("the name as a list", incident, set_at("name", ["x"]), "name"),
    ("the description as a number", incident, set_at("description", 12), "description"),
    ("revoked as text", incident, set_at("revoked", "no"), "revoked"),
    ("labels as a number", incident, set_at("labels", 5), "labels"),
    ("a label that is an object", incident, set_at("labels", [{"a": 1}]), "labels/0"),
    ("confidence as text", incident, set_at("confidence", "high"), "confidence"),
    ("confidence out of range", incident, set_at("confidence", 101), "confidence"),
    ("external references as an object", incident, set_at("external_references", {"a": 1}),
     "external_references"),
    ("an impossible created time", incident, set_at("created", "2020-13-45T99:00:00.000Z"),
     "created"),
    ("the 30th of February", incident, set_at("modified", "2026-02-30T12:00:00.000Z"), "modified"),
    ("created as a number", incident, set_at("created", 20260201), "created"),
    ("aliases as a number", cartel, set_at("aliases", 5), "aliases"),
    ("person aliases as a number", person, set_at(f"{PERSON}/aliases", 5), f"{PERSON}/aliases"),
    ("person documents as a number", person, set_at(f"{PERSON}/documents", 5),
     f"{PERSON}/documents"),
    ("a person document that is a number", person, set_at(f"{PERSON}/documents", [5]),
     f"{PERSON}/documents/0"),
    ("given names as a list", person, set_at(f"{PERSON}/given_names", ["Juan"]),
     f"{PERSON}/given_names"),
    ("threat actor types as a number", cartel, set_at("threat_actor_types", 5),
     "threat_actor_types"),
    ("a property nested 400 arrays deep", incident, set_at("description", nested(400)),
     "description" + "/0" * (MAX_DEPTH - 1)),
    ("a custom property nested 500 objects deep", incident, set_at("x_deep", nested(500, kind="obj")),
     "x_deep" + "/a" * (MAX_DEPTH - 1)),
    ("nesting inside the markings extension", incident, set_at(f"{MARKS}/x_more", nested(300)),
     f"{MARKS}/x_more" + "/0" * (MAX_DEPTH - 3)),
    ("a lone surrogate in the name", incident, set_at("name", "Juan \ud800"), "name"),
    ("a lone surrogate deep in a custom property", incident,
     set_at("x_notes", [{"text": ["ok", "\udfff"]}]), "x_notes/0/text/1"),
    ("a lone surrogate in a property name", incident, set_at("x_\ud800", 1), "x_\ufffd"),
    ("a lone surrogate in an agency", incident, set_at(f"{MARKS}/agencies", ["\ud800"]),
     f"{MARKS}/agencies/0"),
    ("a NUL character in the name", incident, set_at("name", "Juan\x00"), "name"),
    ("a NUL character in a property name", incident, set_at("x_\x00", 1), "x_\ufffd"),
    ("a negative quantity", seizure, set_at("quantity", -5), "quantity"),
    ("a quantity that is NaN", seizure, set_at("quantity", float("nan")), "quantity"),
    ("a quantity that is text", seizure, set_at("quantity", "12"), "quantity"),
    ("a unit no one knows", seizure, set_at("unit", "tons"), "unit"),
    ("a number beyond 64 bits", incident, set_at("x_count", 2**70), "x_count"),
    ("NaN", incident, set_at("x_ratio", float("nan")), "x_ratio"),
    ("a value JSON cannot hold", incident, set_at("x_raw", b"bytes"), "x_raw"),
]  # fmt: skip
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("what", "make", "change", "where"), CASES, ids=IDS)
def test_the_checker_names_the_wrong_property(
    what: str,
    make: Callable[[], dict[str, Any]],
    change: Callable[[dict[str, Any]], None],
    where: str,
) -> None:
    good = make()
    assert ObjectChecker().check(good, "/objects/3"), what
    obj = copy.deepcopy(good)
    change(obj)
    checker = ObjectChecker()
    assert not checker.check(obj, "/objects/3")
    pointers = [p.pointer for p in checker.problems]
    assert f"/objects/3/{where}" in pointers, pointers
    for problem in checker.problems:  # every problem can be shown, and says something
        orjson.dumps({"detail": problem.message.format(**problem.params), "at": problem.pointer})


@pytest.mark.parametrize(("what", "make", "change", "where"), CASES, ids=IDS)
def test_an_import_refuses_it_by_name_and_stores_nothing(
    node: Node,
    analyst: Principal,
    what: str,
    make: Callable[[], dict[str, Any]],
    change: Callable[[dict[str, Any]], None],
    where: str,
) -> None:
    good, bad = make(), make()
    change(bad)
    with pytest.raises(InvalidInput) as refused, node.db.session() as session:
        records.import_objects(session, node.settings, analyst, [good, bad])
    assert f"/objects/1/{where}" in [p.pointer for p in refused.value.problems]
    with node.db.session() as session:
        assert session.execute(select(func.count()).select_from(Record)).scalar_one() == 0


def test_properties_stix_does_not_define_may_hold_anything_json_can(
    node: Node, analyst: Principal
) -> None:
    """STIX 2.1 §11.1: a custom property is the producer's; only its shape is checked."""
    odd = person()
    odd["aliases"] = 5  # an identity has no aliases in STIX: this one is custom
    odd["x_tree"] = {"a": [1, 2.5, None, True, {"b": "ñ"}]}
    with node.db.session() as session:
        assert records.import_objects(session, node.settings, analyst, [odd]).stored == 1


def test_nesting_up_to_the_limit_is_stored(node: Node, analyst: Principal) -> None:
    obj = incident(x_tree=nested(MAX_DEPTH - 1))
    with node.db.session() as session:
        assert records.import_objects(session, node.settings, analyst, [obj]).stored == 1


# -- through each write path: the REST API, TAXII, the command line --------------------------


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client


def _token(node: Node, who: Principal) -> str:
    with node.db.session() as session:
        return accounts.create_token(session, who, who.username, "tests", 1).token


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_the_rest_api_answers_422_naming_the_field(
    client: TestClient, node: Node, analyst: Principal, hostile: str
) -> None:
    bad = incident()
    HOSTILE[hostile](bad)
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [incident(), bad]}
    response = client.post(
        "/api/v1/bundles",
        content=json.dumps(bundle).encode(),
        headers={"Authorization": f"Bearer {_token(node, analyst)}",
                 "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert any(p.startswith("/objects/1" + HOSTILE_AT[hostile]) for p in pointers), pointers


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_taxii_add_refuses_that_object_and_stores_the_rest(
    client: TestClient, node: Node, analyst: Principal, hostile: str
) -> None:
    good, bad = incident(), incident()
    HOSTILE[hostile](bad)
    headers = {"Authorization": f"Bearer {_token(node, analyst)}",
               "Accept": "application/taxii+json;version=2.1",
               "Content-Type": "application/taxii+json;version=2.1"}  # fmt: skip
    collections = client.get("/taxii2/api/collections/", headers=headers).json()["collections"]
    writable = next(c for c in collections if c.get("can_write"))
    response = client.post(
        f"/taxii2/api/collections/{writable['id']}/objects/",
        content=json.dumps({"objects": [good, bad]}).encode(),
        headers=headers,
    )
    assert response.status_code == 202, response.text
    status = response.json()
    assert [s["id"] for s in status["successes"]] == [good["id"]]
    assert [f["id"] for f in status["failures"]] == [bad["id"]]
    assert status["failures"][0]["message"]


def test_a_partner_page_quarantines_only_the_hostile_object(node: Node, admin: Principal) -> None:
    from tests.support.partners import PULL_URL

    with node.db.session() as session:
        partners.add_partner(
            session, admin, node_id="mx-node", country="MEX", display_name="MX",
            base_url="http://127.0.0.1:9", public_key="ab" * 32, outbound_secret="theirs-" * 4,
        )  # fmt: skip
    good = incident()
    hostile = []
    for change in HOSTILE.values():
        bad = incident()
        change(bad)
        hostile.append(bad)
    from puente.sharing import sync
    from puente.sharing.models import Partner

    with node.db.session() as session:
        partner = session.execute(select(Partner)).scalar_one()
        stamp = "2026-02-01T09:00:00.000001Z"
        page = sync.store_page(session, node, partner, PULL_URL, [good, *hostile], stamp, stamp)
    assert (page.stored, page.quarantined) == (1, len(hostile))


def test_the_property_types_are_the_oasis_schemas() -> None:
    """puente/records/stix_properties.py is what tools/stix_properties.py reads from the STIX
    2.1 JSON schemas stix2-validator ships: regenerate it after upgrading stix2-validator."""
    import importlib.util
    from pathlib import Path

    import puente.records.stix_properties as generated

    tool = Path(__file__).resolve().parents[2] / "tools" / "stix_properties.py"
    spec = importlib.util.spec_from_file_location("stix_properties_tool", tool)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.table() == generated.PROPERTIES
