"""Relationship types: STIX 2.1's suggested ones where they fit, Puente's own (member-of,
owns, purchased, attributed-to) as `related-to` with the precise type in Puente's extension,
so the OASIS validator has nothing to warn about; older records and partners that write
Puente's names as the type itself read the same."""

from __future__ import annotations

from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_instance

from puente.errors import InvalidInput
from puente.node import Node
from puente.policy.markings import Markings
from puente.records import builder
from puente.records import service as records
from puente.records.extensions import definitions
from puente.records.kinds import display_name
from puente.records.relationships import EXT_RELATIONSHIP, PUENTE_TYPES
from tests.support.nodes import add_user
from tests.support.records import CARTEL_ID, LOCATION_ID, PERSON_ID, SAMPLE_FIELDS

FIREARM_ID = "x-puente-firearm--3d6f0c1a-8b2e-4f7d-9a15-c4e2b7d0a968"
VEHICLE_ID = "x-puente-vehicle--5a2c8e1f-0d3b-4c6a-8f97-b1e4d2c7a053"


def relationship_warnings(obj: dict[str, Any]) -> list[str]:
    result = validate_instance(obj, ValidationOptions(version="2.1"))
    assert result.errors == []
    return [str(w) for w in result.warnings if "relationship" in str(w)]


@pytest.mark.parametrize(
    ("source", "kind", "target"),
    [
        (PERSON_ID, "member-of", CARTEL_ID),
        (FIREARM_ID, "attributed-to", CARTEL_ID),
        (PERSON_ID, "purchased", FIREARM_ID),
        (PERSON_ID, "owns", VEHICLE_ID),
        (PERSON_ID, "seized-at", LOCATION_ID),  # a name of the analyst's own
    ],
)
def test_a_type_stix_does_not_suggest_travels_as_related_to_with_puentes_type(
    source: str, kind: str, target: str
) -> None:
    fields = {"source_ref": source, "relationship_type": kind, "target_ref": target}
    obj = builder.build("relationship", fields, "CBP")
    assert obj["relationship_type"] == "related-to"
    assert obj["extensions"][EXT_RELATIONSHIP] == {
        "extension_type": "property-extension", "relationship_type": kind}  # fmt: skip
    assert relationship_warnings(obj) == []
    # Read back for editing, and named in lists, by Puente's type.
    assert builder.fields_of("relationship", obj)["relationship_type"] == kind
    assert kind in display_name(obj)


@pytest.mark.parametrize(
    ("source", "kind", "target"),
    [
        (PERSON_ID, "located-at", LOCATION_ID),  # STIX 2.1 §4.5: identity located-at location
        (CARTEL_ID, "located-at", LOCATION_ID),  # §4.17: threat-actor located-at location
        (CARTEL_ID, "attributed-to", PERSON_ID),  # §4.17: its real identity
        (FIREARM_ID, "related-to", CARTEL_ID),  # §5.1.1: any two objects
    ],
)
def test_a_type_stix_suggests_is_kept_as_it_is(source: str, kind: str, target: str) -> None:
    fields = {"source_ref": source, "relationship_type": kind, "target_ref": target}
    obj = builder.build("relationship", fields, "CBP")
    assert obj["relationship_type"] == kind
    assert "extensions" not in obj
    assert relationship_warnings(obj) == []


def test_a_type_not_in_stix_form_is_refused_at_the_field() -> None:
    fields = {**SAMPLE_FIELDS["relationship"], "relationship_type": "Member Of"}
    with pytest.raises(InvalidInput) as refused:
        builder.build("relationship", fields, "CBP")
    assert [p.pointer for p in refused.value.problems] == ["/relationship_type"]


def test_the_extension_defines_puentes_types_and_is_published() -> None:
    (published,) = [d for d in definitions() if d["id"] == EXT_RELATIONSHIP]
    assert published["extension_types"] == ["property-extension"]
    assert validate_instance(published, ValidationOptions(version="2.1")).is_valid
    for name in PUENTE_TYPES:
        assert name in published["description"]
        assert name in published["schema"]


def _old_form(source: str, target: str) -> dict[str, Any]:
    """A relationship as Puente wrote it before, and an older partner node still does."""
    obj = builder.build("relationship", {**SAMPLE_FIELDS["relationship"], "source_ref": source,
                                         "target_ref": target, "relationship_type": "related-to"},
                        "CBP")  # fmt: skip
    obj["relationship_type"] = "member-of"
    return obj


def test_a_record_in_the_old_form_is_accepted_read_and_found_like_the_new(node: Node) -> None:
    ana = add_user(node, "ana", "CBP", ["analyst"])
    markings = Markings(tlp="GREEN", rel_to=frozenset({"USA"}))
    with node.db.session() as session:
        for kind, stix_id in (("person", PERSON_ID), ("criminal-organization", CARTEL_ID)):
            obj = builder.build(kind, SAMPLE_FIELDS[kind], "CBP") | {"id": stix_id}
            records.import_objects(session, node.settings, ana, [obj], override=markings)
        old = _old_form(PERSON_ID, CARTEL_ID)
        records.import_objects(session, node.settings, ana, [old], override=markings)
        new = records.create(session, node.settings, ana, "relationship",
                             dict(SAMPLE_FIELDS["relationship"]), markings)  # fmt: skip
        stored = records.get(session, ana, old["id"])
        assert stored.content["relationship_type"] == "member-of"  # stored as it came
        assert EXT_RELATIONSHIP not in stored.content["extensions"]
        assert stored.name == new.name  # named alike: "… member-of …"
        assert "member-of" in new.name
        found = records.search(session, ana, records.SearchQuery(text="member-of"))
        assert {v.stix_id for v in found.items} >= {old["id"], new.stix_id}
        # Edited, the old record's next version takes the new form.
        fields = builder.fields_of("relationship", stored.content)
        assert fields["relationship_type"] == "member-of"
        edited = records.new_version(session, node.settings, ana, old["id"], fields, markings)
    assert edited.content["relationship_type"] == "related-to"
    assert edited.content["extensions"][EXT_RELATIONSHIP]["relationship_type"] == "member-of"
    assert relationship_warnings(edited.content) == []
