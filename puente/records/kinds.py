"""The kinds of record an analyst creates, and how each maps onto STIX 2.1.

Standard objects where they fit (identity, threat-actor ``crime-syndicate``, location,
incident, relationship, note, report: STIX 2.1 §4); Puente's extension definitions
(STIX 2.1 §7.3) for persons' details, ports of entry, seizures, firearms and vehicles. Each
kind lists its form fields once; the web forms, the REST schema and the STIX builder all
read that list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from puente.errors import N_
from puente.records.relationships import meaning

PUENTE_IDENTITY = "identity--5c1f6a8e-93b2-4c57-8a0e-7f4d2b91c3e0"
EXT_PERSON = "extension-definition--a1e4c0f2-5d1b-4c1e-9a57-0d3e4b2c7f11"
EXT_PORT = "extension-definition--3b8d5f20-6e4a-4f1c-b2d9-8c7e1a0f5d64"
EXT_SEIZURE = "extension-definition--c4a9e7d1-2f3b-4a6c-9e8d-1b5f7a3c2e90"
EXT_FIREARM = "extension-definition--e2b7c5a3-8d1f-4e9a-a6c4-3f0d9b7e5a12"
EXT_VEHICLE = "extension-definition--f6d3a1b8-4c2e-4b7f-8a9d-5e1c3f7b0d26"

SEIZURE_TYPE = "x-puente-seizure"
FIREARM_TYPE = "x-puente-firearm"
VEHICLE_TYPE = "x-puente-vehicle"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    widget: str = "text"  # text, textarea, date, number, select, list, ref, refs, country
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    # A number's range (both ends, or only a low end of 0: a quantity), and whether whole.
    low: float | None = None
    high: float | None = None
    whole: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    stix_type: str
    fields: tuple[Field, ...]
    extension: str = ""  # where the Puente-specific fields live, if anywhere
    ext_fields: frozenset[str] = field(default_factory=frozenset)
    fixed: dict[str, Any] = field(default_factory=dict)


UNITS = ("kg", "g", "lb", "l", "ml", "pills", "units")
DOC_TYPES = ("CURP", "RFC", "PASSPORT", "INE", "SSN", "DRIVER_LICENSE", "OTHER")
CONCEALMENT = (
    "vehicle-compartment",
    "vehicle-fuel-tank",
    "commercial-cargo",
    "body-carry",
    "luggage",
    "mail-parcel",
    "tunnel",
    "maritime",
    "ultralight",
    "pedestrian",
    "other",
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "person",
            N_("Person"),
            "identity",
            (
                Field("given_names", N_("Given names"), required=True),
                Field("paternal_surname", N_("Paternal surname"), required=True),
                Field("maternal_surname", N_("Maternal surname")),
                Field("aliases", N_("Aliases"), "list", help=N_("One per line")),
                Field("date_of_birth", N_("Date of birth"), "date"),
                Field(
                    "other_dates_of_birth",
                    N_("Other dates of birth"),
                    "list",
                    help=N_("One per line, YYYY-MM-DD"),
                ),
                Field(
                    "nationality",
                    N_("Nationality"),
                    "list",
                    help=N_("ISO 3166-1 alpha-3, one per line"),
                ),
                Field(
                    "documents",
                    N_("Identity documents"),
                    "list",
                    help=N_("TYPE:NUMBER[:COUNTRY], one per line, e.g. CURP:GOMJ840312HSLRRN05"),
                ),
                Field("description", N_("Description"), "textarea"),
            ),
            EXT_PERSON,
            frozenset(
                {
                    "given_names",
                    "paternal_surname",
                    "maternal_surname",
                    "aliases",
                    "date_of_birth",
                    "other_dates_of_birth",
                    "nationality",
                    "documents",
                }
            ),
            {"identity_class": "individual"},
        ),
        Kind(
            "organization",
            N_("Organization"),
            "identity",
            (
                Field("name", N_("Name"), required=True),
                Field("sectors", N_("Sectors"), "list"),
                Field("contact_information", N_("Contact information")),
                Field("description", N_("Description"), "textarea"),
            ),
            fixed={"identity_class": "organization"},
        ),
        Kind(
            "criminal-organization",
            N_("Criminal organization"),
            "threat-actor",
            (
                Field("name", N_("Name"), required=True),
                Field("aliases", N_("Aliases"), "list", help=N_("One per line")),
                Field("first_seen", N_("First seen"), "date"),
                Field("description", N_("Description"), "textarea"),
            ),
            fixed={"threat_actor_types": ["crime-syndicate"]},
        ),
        Kind(
            "seizure",
            N_("Seizure"),
            SEIZURE_TYPE,
            (
                Field("name", N_("Title"), required=True),
                Field("seizure_date", N_("Date of seizure"), "date", required=True),
                Field("substance", N_("Drug or precursor"), required=True),
                Field(
                    "substance_category",
                    N_("Category"),
                    "select",
                    True,
                    ("drug", "precursor", "currency", "other"),
                ),
                Field("quantity", N_("Quantity"), "number", required=True, low=0),
                Field("unit", N_("Unit"), "select", True, UNITS),
                Field("location_ref", N_("Port of entry or place (record)"), "ref"),
                Field("place", N_("Place (text)")),
                Field(
                    "concealment_method", N_("Method of concealment"), "select", False, CONCEALMENT
                ),
                Field("description", N_("Description"), "textarea"),
            ),
            EXT_SEIZURE,
        ),
        Kind(
            "firearm",
            N_("Firearm"),
            FIREARM_TYPE,
            (
                Field("manufacturer", N_("Manufacturer"), required=True),
                Field("importer", N_("Importer")),
                Field("model", N_("Model")),
                Field("caliber", N_("Caliber")),
                Field("serial_number", N_("Serial number")),
                Field(
                    "firearm_type",
                    N_("Type"),
                    "select",
                    False,
                    ("pistol", "revolver", "rifle", "shotgun", "machine-gun", "other"),
                ),
                Field("recovery_place", N_("Recovery place")),
                Field("recovery_date", N_("Recovery date"), "date"),
                Field("trace_result", N_("Trace result"), "textarea"),
                Field("description", N_("Description"), "textarea"),
            ),
            EXT_FIREARM,
        ),
        Kind(
            "vehicle",
            N_("Vehicle"),
            VEHICLE_TYPE,
            (
                Field("vin", N_("VIN")),
                Field("make", N_("Make")),
                Field("model", N_("Model")),
                Field("year", N_("Year"), "number", low=1886, high=2100, whole=True),
                Field("color", N_("Color")),
                Field("plate_number", N_("Plate number")),
                Field(
                    "plate_issuer",
                    N_("Plate issuer"),
                    help=N_("State or country, e.g. US-TX or MX-CHH"),
                ),
                Field("description", N_("Description"), "textarea"),
            ),
            EXT_VEHICLE,
        ),
        Kind(
            "location",
            N_("Port of entry or place"),
            "location",
            (
                Field("name", N_("Name"), required=True),
                Field("country", N_("Country (ISO alpha-2)"), required=True),
                Field("administrative_area", N_("State")),
                Field("city", N_("City")),
                Field("latitude", N_("Latitude"), "number", low=-90, high=90),
                Field("longitude", N_("Longitude"), "number", low=-180, high=180),
                Field("port_code", N_("CBP port code")),
                Field("description", N_("Description"), "textarea"),
            ),
            EXT_PORT,
            frozenset({"port_code"}),
        ),
        Kind(
            "incident",
            N_("Incident"),
            "incident",
            (
                Field("name", N_("Name"), required=True),
                Field("description", N_("Description"), "textarea"),
            ),
        ),
        Kind(
            "relationship",
            N_("Relationship"),
            "relationship",
            (
                Field("source_ref", N_("Source record"), "ref", required=True),
                Field(
                    "relationship_type",
                    N_("Relationship type"),
                    required=True,
                    help=N_(
                        "e.g. member-of, owns, purchased, attributed-to, located-at, related-to"
                    ),
                ),
                Field("target_ref", N_("Target record"), "ref", required=True),
                Field("description", N_("Description"), "textarea"),
            ),
        ),
        Kind(
            "note",
            N_("Note"),
            "note",
            (
                Field("abstract", N_("Summary")),
                Field("content", N_("Content"), "textarea", required=True),
                Field("object_refs", N_("About records"), "refs", required=True),
            ),
        ),
        Kind(
            "report",
            N_("Report"),
            "report",
            (
                Field("name", N_("Title"), required=True),
                Field("published", N_("Published"), "date", required=True),
                Field("report_types", N_("Report types"), "list"),
                Field("object_refs", N_("Records in the report"), "refs", required=True),
                Field("description", N_("Description"), "textarea"),
            ),
        ),
    )
}

SDO_EXTENSIONS = {SEIZURE_TYPE: EXT_SEIZURE, FIREARM_TYPE: EXT_FIREARM, VEHICLE_TYPE: EXT_VEHICLE}


def kind_of(obj: dict[str, Any]) -> str:
    """The Puente kind of a STIX object ("other" for types no form creates)."""
    stix_type = obj.get("type")
    if stix_type == "identity":
        return "person" if obj.get("identity_class") == "individual" else "organization"
    if stix_type == "threat-actor":
        return (
            "criminal-organization"
            if "crime-syndicate" in (obj.get("threat_actor_types") or [])
            else "other"
        )
    for kind in KINDS.values():
        if kind.stix_type == stix_type:
            return kind.name
    return "other"


def person_extension(obj: dict[str, Any]) -> dict[str, Any]:
    ext = (obj.get("extensions") or {}).get(EXT_PERSON)
    return ext if isinstance(ext, dict) else {}


def full_name(given: str, paternal: str, maternal: str = "") -> str:
    return " ".join(p for p in (given, paternal, maternal) if p)


def display_name(obj: dict[str, Any]) -> str:
    """A short human label for any STIX object."""
    t = obj.get("type", "")
    if t == VEHICLE_TYPE:
        bits = [str(obj.get(k, "")) for k in ("year", "make", "model") if obj.get(k)]
        ident = obj.get("vin") or obj.get("plate_number") or ""
        return " ".join([*bits, str(ident)]).strip() or t
    if t == FIREARM_TYPE:
        bits = [str(obj.get(k, "")) for k in ("manufacturer", "model", "caliber") if obj.get(k)]
        if obj.get("serial_number"):
            bits.append(f"#{obj['serial_number']}")
        return " ".join(bits) or t
    if t == "relationship":
        return f"{obj.get('source_ref', '')} {meaning(obj)} {obj.get('target_ref', '')}"
    if t == "note":
        return str(obj.get("abstract") or str(obj.get("content", ""))[:80])
    return str(obj.get("name") or obj.get("id", ""))
