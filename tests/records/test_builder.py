"""Every kind of record builds a STIX 2.1 object that the OASIS tools accept."""

from __future__ import annotations

from typing import Any

import pytest
import stix2
from sqlalchemy.orm import Session

from puente.errors import InvalidInput
from puente.i18n import translate
from puente.node import Node
from puente.policy.markings import Markings
from puente.policy.roles import Principal
from puente.policy.schemas import MarkingsIn
from puente.records import builder
from puente.records import service as records
from puente.records.kinds import EXT_PERSON, EXT_PORT, KINDS, kind_of
from puente.records.validation import ObjectChecker
from tests.support.nodes import add_user
from tests.support.records import (
    CARTEL_ID,
    LOCATION_ID,
    PERSON_ID,
    SAMPLE_FIELDS,
    oasis_errors,
)


def test_every_kind_has_sample_fields() -> None:
    assert set(SAMPLE_FIELDS) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_builds_an_object_the_oasis_validator_accepts(kind: str) -> None:
    obj = builder.build(kind, SAMPLE_FIELDS[kind], "CBP")
    assert oasis_errors(obj) == []
    assert obj["type"] == KINDS[kind].stix_type
    assert kind_of(obj) == kind
    assert obj["created_by_ref"] == builder.agency_identity_id("CBP")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_parses_with_the_oasis_library(kind: str) -> None:
    obj = builder.build(kind, SAMPLE_FIELDS[kind], "CBP")
    parsed = stix2.parse(obj, allow_custom=True)
    identifier = parsed["id"] if isinstance(parsed, dict) else parsed.id
    assert identifier == obj["id"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_passes_puentes_own_checks(kind: str) -> None:
    checker = ObjectChecker()
    assert checker.check(builder.build(kind, SAMPLE_FIELDS[kind], "CBP"), "")
    assert checker.problems == []


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_only_required_fields_still_validates(kind: str) -> None:
    required = {f.name: SAMPLE_FIELDS[kind][f.name] for f in KINDS[kind].fields if f.required}
    if kind == "vehicle":
        required["vin"] = SAMPLE_FIELDS[kind]["vin"]
    obj = builder.build(kind, required, "DEA")
    assert oasis_errors(obj) == []


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fields_read_back_for_editing_rebuild_the_same_record(kind: str) -> None:
    first = builder.build(kind, SAMPLE_FIELDS[kind], "CBP")
    again = builder.build(kind, builder.fields_of(kind, first), "CBP", previous=first)
    assert again["id"] == first["id"]
    assert again["created"] == first["created"]
    assert again["modified"] > first["modified"]
    strip = {"modified"}
    assert {k: v for k, v in again.items() if k not in strip} == {
        k: v for k, v in first.items() if k not in strip
    }


def test_a_person_keeps_spanish_names_in_the_person_extension() -> None:
    obj = builder.build("person", SAMPLE_FIELDS["person"], "FGR")
    assert obj["name"] == "José Luis Núñez García"
    assert obj["identity_class"] == "individual"
    details = obj["extensions"][EXT_PERSON]
    assert details["extension_type"] == "property-extension"
    assert details["paternal_surname"] == "Núñez"
    assert details["maternal_surname"] == "García"
    assert details["aliases"] == ["El Güero", "Pepe"]
    assert details["nationality"] == ["MEX", "USA"]
    assert details["documents"] == [
        {"type": "CURP", "number": "NUGJ840312HSLXRS05"},
        {"type": "PASSPORT", "number": "G12345678", "issuing_country": "MEX"},
    ]


def test_a_port_of_entry_is_a_location_with_its_port_code() -> None:
    obj = builder.build("location", SAMPLE_FIELDS["location"], "CBP")
    assert obj["country"] == "US"
    assert obj["latitude"] == 32.5422
    assert obj["extensions"][EXT_PORT] == {
        "extension_type": "property-extension",
        "port_code": "2504",
    }


def test_a_criminal_organization_is_a_crime_syndicate() -> None:
    obj = builder.build("criminal-organization", SAMPLE_FIELDS["criminal-organization"], "DEA")
    assert obj["type"] == "threat-actor"
    assert obj["threat_actor_types"] == ["crime-syndicate"]
    assert obj["first_seen"] == "1989-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("kind", "fields", "pointer"),
    [
        pytest.param(
            "person", {"given_names": "Ana"}, "/paternal_surname", id="a required field left empty"
        ),
        pytest.param(
            "seizure",
            {**SAMPLE_FIELDS["seizure"], "quantity": "a lot"},
            "/quantity",
            id="a quantity that is not a number",
        ),
        pytest.param(
            "seizure",
            {**SAMPLE_FIELDS["seizure"], "unit": "tons"},
            "/unit",
            id="a unit not in the list",
        ),
        pytest.param(
            "seizure",
            {**SAMPLE_FIELDS["seizure"], "seizure_date": "26/01/2025"},
            "/seizure_date",
            id="a date not in ISO form",
        ),
        pytest.param(
            "location",
            {**SAMPLE_FIELDS["location"], "country": "USA"},
            "/country",
            id="a location country that is not alpha-2",
        ),
        pytest.param(
            "person",
            {**SAMPLE_FIELDS["person"], "nationality": "Mexican"},
            "/nationality/0",
            id="a nationality that is not alpha-3",
        ),
        pytest.param(
            "person",
            {**SAMPLE_FIELDS["person"], "documents": "CURP"},
            "/documents/0",
            id="a document without its number",
        ),
        pytest.param(
            "relationship",
            {**SAMPLE_FIELDS["relationship"], "target_ref": "cartel"},
            "/target_ref",
            id="a reference that is not a record id",
        ),
        pytest.param(
            "note",
            {**SAMPLE_FIELDS["note"], "object_refs": ["x--1"]},
            "/object_refs/0",
            id="one bad reference in a list",
        ),
        pytest.param(
            "vehicle", {"make": "Ford"}, "/vin", id="a vehicle with neither VIN nor plate"
        ),
        pytest.param("spaceship", {}, "/kind", id="an unknown kind"),
    ],
)
def test_bad_fields_are_refused_at_the_field(
    kind: str, fields: dict[str, Any], pointer: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        builder.build(kind, fields, "CBP")
    assert pointer in [p.pointer for p in refused.value.problems]


@pytest.mark.parametrize(
    ("kind", "field", "value", "detail"),
    [
        ("seizure", "quantity", "-5", "Quantity cannot be negative."),
        ("seizure", "quantity", -0.5, "Quantity cannot be negative."),
        ("seizure", "quantity", "nan", "Quantity must be a number."),
        ("seizure", "quantity", float("nan"), "Quantity must be a number."),
        ("seizure", "quantity", "inf", "Quantity must be a number."),
        ("seizure", "quantity", "1e999", "Quantity must be a number."),
        ("seizure", "quantity", "1_000", "Quantity must be a number."),
        ("vehicle", "year", "2003.5", "Year must be a whole number."),
        ("vehicle", "year", "-2003", "Year must be from 1886 to 2100."),
        ("location", "latitude", "91", "Latitude must be from -90 to 90."),
        ("location", "longitude", "-180.5", "Longitude must be from -180 to 180."),
    ],
)
def test_a_number_the_field_cannot_hold_is_refused_at_the_field(
    kind: str, field: str, value: Any, detail: str
) -> None:
    """Issue 14: a quantity of -5, NaN or Infinity was stored (NaN as null)."""
    with pytest.raises(InvalidInput) as refused:
        builder.build(kind, {**SAMPLE_FIELDS[kind], field: value}, "CBP")
    (problem,) = refused.value.problems
    assert problem.pointer == f"/{field}"
    assert translate("en", problem.message, **problem.params) == detail


@pytest.mark.parametrize(
    ("kind", "field", "value", "stored"),
    [
        ("seizure", "quantity", "0", 0),
        ("seizure", "quantity", 12.5, 12.5),
        ("seizure", "quantity", "1e3", 1000),
        ("vehicle", "year", "2003", 2003),
        ("location", "latitude", "-90", -90),
        ("location", "longitude", "180.0", 180),
    ],
)
def test_a_number_the_field_can_hold_is_kept(
    kind: str, field: str, value: Any, stored: float
) -> None:
    obj = builder.build(kind, {**SAMPLE_FIELDS[kind], field: value}, "CBP")
    found = obj.get(field, next(iter(obj.get("extensions", {}).values()), {}).get(field))
    assert found == stored


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_stored_with_its_markings_still_validates(node: Node, kind: str) -> None:
    """What the node stores and emits: the object plus its TLP reference and markings."""
    author = add_user(node, "ana", "CBP", ["analyst"])
    markings = MarkingsIn(
        tlp="AMBER+STRICT",
        rel_to=["MEX"],
        agencies=["CBP", "FGR"],
        handling="H3",
        handling_text="Ask CBP first",
        searchable_by=["MEX"],
        reliability="B",
        credibility=2,
    ).to_markings("USA")
    fields = dict(SAMPLE_FIELDS[kind])
    with node.db.session() as session:
        _seed_references(node, session, author, markings)
        view = records.create(session, node.settings, author, kind, fields, markings)
    assert oasis_errors(view.content) == []
    assert view.markings == markings


def _seed_references(node: Node, session: Session, author: Principal, markings: Markings) -> None:
    """The records the samples refer to, stored under their fixed ids."""
    for kind, stix_id in (
        ("location", LOCATION_ID),
        ("person", PERSON_ID),
        ("criminal-organization", CARTEL_ID),
    ):
        obj = builder.build(kind, SAMPLE_FIELDS[kind], author.agency)
        obj["id"] = stix_id
        records.import_objects(session, node.settings, author, [obj], override=markings)


@pytest.mark.parametrize(
    ("kind", "fields", "where"),
    [
        ("person", {"given_names": {"a": 1}, "paternal_surname": "Pérez"}, "/given_names"),
        ("incident", {"name": [["deep"]]}, "/name"),
        ("incident", {"name": True}, "/name"),
        ("person", {"given_names": "Juan", "paternal_surname": "Pérez",
                    "aliases": ["El Flaco", {"a": 1}]}, "/aliases/1"),
        ("person", {"given_names": "Juan", "paternal_surname": "Pérez",
                    "nationality": {"MEX": True}}, "/nationality"),
        ("vehicle", {"vin": "1HGCM82633A004352", "year": [2004]}, "/year"),
    ],
)  # fmt: skip
def test_a_field_that_is_not_text_is_refused_by_name(
    kind: str, fields: dict[str, Any], where: str
) -> None:
    """A JSON client may send anything: an object or a list where the form has text would be
    stored as its Python repr ("{'a': 1}")."""
    with pytest.raises(InvalidInput) as refused:
        builder.build(kind, fields, "CBP")
    assert where in [p.pointer for p in refused.value.problems]
