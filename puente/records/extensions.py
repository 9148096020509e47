"""Puente's STIX 2.1 extension definitions (STIX 2.1 §7.3), emitted with every export.

Each definition carries its JSON Schema inline, so a partner's tools can read Puente's objects
without reaching back to this node.
"""

from __future__ import annotations

import json
from typing import Any

from puente.policy.markings import MARKINGS_EXTENSION
from puente.records.kinds import (
    EXT_FIREARM,
    EXT_PERSON,
    EXT_PORT,
    EXT_SEIZURE,
    EXT_VEHICLE,
    PUENTE_IDENTITY,
)
from puente.records.relationships import EXT_RELATIONSHIP, PUENTE_TYPES

CREATED = "2025-01-01T00:00:00.000Z"

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_COUNTRIES = {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{3}$"}}
_TIMESTAMP = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, tuple[str, str, list[str], dict[str, Any], list[str]]] = {
    # id: (name, description, extension types, properties, required)
    MARKINGS_EXTENSION: (
        "Puente markings",
        "Who may receive and search a record and what they may do with it: REL TO countries, "
        "agencies, handling (H0 none, H1 not evidence without consent, H2 no onward "
        "dissemination without consent, H3 other), searchable-by countries, Admiralty grading "
        "and named recipients. TLP travels as a TLP 2.0 marking-definition reference.",
        ["property-extension"],
        {
            "rel_to": _COUNTRIES,
            "agencies": _STRINGS,
            "handling": {"enum": ["H0", "H1", "H2", "H3"]},
            "handling_text": _STRING,
            "searchable_by": _COUNTRIES,
            "source_reliability": {"enum": list("ABCDEF")},
            "information_credibility": {"type": "integer", "minimum": 1, "maximum": 6},
            "recipients": _STRINGS,
        },
        ["rel_to", "handling"],
    ),
    EXT_PERSON: (
        "Puente person details",
        "Names as Mexican and US records write them (given names, paternal and maternal "
        "surname), aliases, date of birth (and any other dates of birth the sources give), "
        "nationality and identity documents (CURP, RFC, passport...) on an identity of class "
        "individual.",
        ["property-extension"],
        {
            "given_names": _STRING,
            "paternal_surname": _STRING,
            "maternal_surname": _STRING,
            "aliases": _STRINGS,
            "date_of_birth": {"type": "string", "format": "date"},
            "other_dates_of_birth": {
                "type": "array",
                "items": {"type": "string", "format": "date"},
            },
            "nationality": _COUNTRIES,
            "documents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"type": _STRING, "number": _STRING, "issuing_country": _STRING},
                    "required": ["type", "number"],
                },
            },
        },
        ["paternal_surname"],
    ),
    EXT_PORT: (
        "Puente port of entry",
        "The CBP four-digit port code of a location that is a port of entry.",
        ["property-extension"],
        {"port_code": {"type": "string", "pattern": "^[0-9]{4}$"}},
        [],
    ),
    EXT_SEIZURE: (
        "Puente seizure",
        "A seizure of drugs, precursor chemicals, currency or other contraband: what, how much, "
        "where (a location or a place) and how it was concealed.",
        ["new-sdo"],
        {
            "name": _STRING,
            "seizure_date": _TIMESTAMP,
            "substance": _STRING,
            "substance_category": {"enum": ["drug", "precursor", "currency", "other"]},
            "quantity": {"type": "number", "minimum": 0},
            "unit": {"enum": ["kg", "g", "lb", "l", "ml", "pills", "units"]},
            "location_ref": _STRING,
            "place": _STRING,
            "concealment_method": _STRING,
            "description": _STRING,
        },
        ["name", "substance", "quantity", "unit"],
    ),
    EXT_FIREARM: (
        "Puente firearm",
        "A firearm: manufacturer or importer, model, caliber, serial number, where it was "
        "recovered and the result of its trace.",
        ["new-sdo"],
        {
            "manufacturer": _STRING,
            "importer": _STRING,
            "model": _STRING,
            "caliber": _STRING,
            "serial_number": _STRING,
            "firearm_type": _STRING,
            "recovery_place": _STRING,
            "recovery_date": _TIMESTAMP,
            "trace_result": _STRING,
            "description": _STRING,
        },
        ["manufacturer"],
    ),
    EXT_VEHICLE: (
        "Puente vehicle",
        "A vehicle: VIN, make, model, year, colour and plate with its issuing state or country.",
        ["new-sdo"],
        {
            "vin": _STRING,
            "make": _STRING,
            "model": _STRING,
            "year": {"type": "integer"},
            "color": _STRING,
            "plate_number": _STRING,
            "plate_issuer": _STRING,
            "description": _STRING,
        },
        [],
    ),
    EXT_RELATIONSHIP: (
        "Puente relationship type",
        "The precise type of a relationship STIX 2.1 has no suggested type for, which travels "
        "as relationship_type related-to (STIX 2.1 §5.1.1) so that every STIX tool reads it. "
        "Puente defines: "
        + "; ".join(
            f"{name} ({source} to {target}): {meaning}"
            for name, (source, target, meaning) in PUENTE_TYPES.items()
        )
        + ". An analyst may write another type in the same form.",
        ["property-extension"],
        {
            "relationship_type": {
                "type": "string",
                "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
                "examples": list(PUENTE_TYPES),
            },
        },
        ["relationship_type"],
    ),
}


Schema = tuple[str, str, list[str], dict[str, Any], list[str]]

# The definitions whose schema changed since their first release: (modified, version). A
# changed definition is a new version of the same object (STIX 2.1 §3.6), so that a partner's
# tools and the TAXII collections (puente.records.definitions) take it as the newer one; an
# added optional property is a minor version. Nodes of either release read each other's
# objects: a node checks only the properties its version names.
REVISIONS: dict[str, tuple[str, str]] = {
    EXT_PERSON: ("2026-12-07T00:00:00.000Z", "1.1.0"),  # other_dates_of_birth
}


def register(schemas: dict[str, Schema]) -> None:
    """A domain above records whose objects travel in the same feeds (the joint action plan)
    publishes its extension definitions with these (:func:`puente.domains.install`)."""
    SCHEMAS.update(schemas)


def json_schema(extension_id: str) -> dict[str, Any]:
    name, description, _types, properties, required = SCHEMAS[extension_id]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": name,
        "description": description,
        "type": "object",
        "properties": properties,
        "required": required,
    }


def definitions() -> list[dict[str, Any]]:
    """The extension-definition objects, plus the identity that publishes them."""
    objects: list[dict[str, Any]] = [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": PUENTE_IDENTITY,
            "created": CREATED,
            "modified": CREATED,
            "name": "Puente",
            "identity_class": "system",
            "description": "The Puente information-sharing platform (publisher of its extensions).",
        }
    ]
    for extension_id, (name, description, types, _props, _required) in SCHEMAS.items():
        modified, version = REVISIONS.get(extension_id, (CREATED, "1.0.0"))
        objects.append(
            {
                "type": "extension-definition",
                "spec_version": "2.1",
                "id": extension_id,
                "created": CREATED,
                "modified": modified,
                "created_by_ref": PUENTE_IDENTITY,
                "name": name,
                "description": description,
                # STIX 2.1 §7.3 allows the schema as plain text: ship it inline, self-contained.
                "schema": json.dumps(json_schema(extension_id), ensure_ascii=False, sort_keys=True),
                "version": version,
                "extension_types": types,
            }
        )
    return objects
