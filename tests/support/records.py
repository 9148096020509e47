"""What the record tests share: sample fields for every kind, and the OASIS validator."""

from __future__ import annotations

from typing import Any

from stix2validator import ValidationOptions, validate_instance

LOCATION_ID = "location--4f2b1c3e-2d8a-4b6e-9c1f-0a7e5d3b2c11"
PERSON_ID = "identity--7a1c9e2b-5d3f-4a8e-b6c1-2e9f0d4a7b33"
CARTEL_ID = "threat-actor--9c3e1a7b-2f5d-4e8a-a1b6-7d0c4e2f9a55"

# Fields a user would type for each kind, every field filled.
SAMPLE_FIELDS: dict[str, dict[str, Any]] = {
    "person": {
        "given_names": "José Luis",
        "paternal_surname": "Núñez",
        "maternal_surname": "García",
        "aliases": "El Güero\nPepe",
        "date_of_birth": "1984-03-12",
        "other_dates_of_birth": "1984-12-03\n1983-03-12",
        "nationality": "MEX\nusa",
        "documents": "CURP:NUGJ840312HSLXRS05\nPASSPORT:G12345678:MEX",
        "description": "Logistics coordinator seen at San Ysidro.",
    },
    "organization": {
        "name": "Transportes del Norte SA de CV",
        "sectors": ["transportation"],
        "contact_information": "Av. Revolución 100, Tijuana",
        "description": "Front company.",
    },
    "criminal-organization": {
        "name": "Cártel de Sinaloa",
        "aliases": ["CDS", "Federación"],
        "first_seen": "1989-01-01",
        "description": "Transnational criminal organization.",
    },
    "seizure": {
        "name": "Fentanyl pills at Nogales",
        "seizure_date": "2025-01-26",
        "substance": "fentanyl",
        "substance_category": "drug",
        "quantity": "12.5",
        "unit": "kg",
        "location_ref": LOCATION_ID,
        "place": "Mariposa crossing",
        "concealment_method": "vehicle-compartment",
        "description": "Hidden in the floor.",
    },
    "firearm": {
        "manufacturer": "Colt",
        "importer": "Century Arms",
        "model": "M4",
        "caliber": "5.56",
        "serial_number": "LE123456",
        "firearm_type": "rifle",
        "recovery_place": "Culiacán",
        "recovery_date": "2025-02-03",
        "trace_result": "Purchased in Phoenix, AZ, 2023.",
        "description": "Recovered after a shoot-out.",
    },
    "vehicle": {
        "vin": "1HGCM82633A004352",
        "make": "Honda",
        "model": "Accord",
        "year": "2003",
        "color": "gray",
        "plate_number": "ABC1234",
        "plate_issuer": "US-TX",
        "description": "Seen crossing daily.",
    },
    "location": {
        "name": "San Ysidro",
        "country": "us",
        "administrative_area": "California",
        "city": "San Diego",
        "latitude": "32.5422",
        "longitude": "-117.0297",
        "port_code": "2504",
        "description": "Land port of entry.",
    },
    "incident": {"name": "Tunnel found at Otay Mesa", "description": "A 500 m tunnel."},
    "relationship": {
        "source_ref": PERSON_ID,
        "relationship_type": "member-of",
        "target_ref": CARTEL_ID,
        "description": "According to a cooperating witness.",
    },
    "note": {
        "abstract": "Follow-up",
        "content": "Ask FGR about the second driver.",
        "object_refs": [PERSON_ID, CARTEL_ID],
    },
    "report": {
        "name": "Weekly border summary",
        "published": "2025-02-07",
        "report_types": ["threat-report"],
        "object_refs": f"{PERSON_ID}\n{CARTEL_ID}",
        "description": "What crossed this week.",
    },
}

OPTIONS = ValidationOptions(version="2.1")


def oasis_errors(obj: dict[str, Any]) -> list[str]:
    """What the OASIS stix2-validator finds wrong with ``obj`` (errors, not warnings)."""
    result = validate_instance(obj, OPTIONS)
    return [str(error) for error in result.errors]
