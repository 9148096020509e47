"""Write docs/match-keys-v1.json: the match-key spec's test vectors, from the inputs below.

Run once when the spec is made; afterwards the file is the spec and tests/hits/test_vectors.py
holds the code to it. Changing a vector means a new spec version (docs/match-keys.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from puente.hits.firearms import firearm_keys
from puente.hits.keys import Keys
from puente.hits.persons import person_keys
from puente.hits.vehicles import vehicle_keys

OUT = Path(__file__).resolve().parent.parent / "docs" / "match-keys-v1.json"

PERSONS: list[dict[str, Any]] = [
    {"given_names": "José Luis", "paternal_surname": "Hernández", "maternal_surname": "Peña",
     "date_of_birth": "1984-03-12", "aliases": ["El Güero"],
     "documents": ["CURP:BOXW310820HNERXN09"]},
    {"given_names": "Pepe", "paternal_surname": "Hernandez-Pena", "date_of_birth": "1984-12-03",
     "query": True},
    {"given_names": "María Guadalupe", "paternal_surname": "de la Cruz",
     "maternal_surname": "Ximénez", "date_of_birth": "1979-07-30",
     "documents": ["PASSPORT:g-123 4567:MEX", "RFC:CUXG790730AB1"]},
    {"given_names": "William", "paternal_surname": "Villalobos", "date_of_birth": "1990",
     "aliases": ["Billy Lobo Vega"]},
    {"given_names": "Chuy", "paternal_surname": "Quintero", "maternal_surname": "Ybarra",
     "date_of_birth": "2001-01-02", "documents": ["SSN:536-90-4399", "DRIVER_LICENSE:D1234567:US-TX"],
     "query": True},
]  # fmt: skip
FIREARMS = [
    {"manufacturer": "Smith & Wesson", "serial_number": "DBS-1234"},
    {"manufacturer": "S&W", "serial_number": "DB5 1234"},
    {"manufacturer": "Romarm/Cugir", "importer": "Century International Arms Inc.",
     "serial_number": "1-ROA-1234-OL"},
]  # fmt: skip
VEHICLES = [
    {"vin": "1M8GDM9AXKP042788", "plate_number": "ABC-123", "plate_issuer": "US-TX"},
    {"vin": "1m8gdm9a-xkp04z788"},
    {"vin": "3VWFE21C04M000001", "plate_number": "UAB 12-34", "plate_issuer": "MX-CHH"},
    {"vin": "JH4KA3", "plate_number": "7XYZ123"},
    {"vin": "3F68H123456", "plate_number": "4ABC-12", "plate_issuer": "US-CA"},
]  # fmt: skip


def _out(keys: Keys) -> dict[str, Any]:
    return {
        "keys": [k.decode() for k in keys.encoded()],
        "warnings": [{"message": w.message, "value": w.value} for w in keys.warnings],
    }


def _person(case: dict[str, Any]) -> Keys:
    return person_keys(
        case.get("given_names", ""),
        case.get("paternal_surname", ""),
        case.get("maternal_surname", ""),
        aliases=case.get("aliases", []),
        date_of_birth=case.get("date_of_birth", ""),
        documents=case.get("documents", []),
        query=case.get("query", False),
    )


def _firearm(case: dict[str, Any]) -> Keys:
    return firearm_keys(case["manufacturer"], case["serial_number"], case.get("importer", ""))


def _vehicle(case: dict[str, Any]) -> Keys:
    return vehicle_keys(
        case.get("vin", ""), case.get("plate_number", ""), case.get("plate_issuer", "")
    )


def vectors() -> dict[str, Any]:
    return {
        "spec_version": 1,
        "persons": [{"input": case, **_out(_person(case))} for case in PERSONS],
        "firearms": [{"input": case, **_out(_firearm(case))} for case in FIREARMS],
        "vehicles": [{"input": case, **_out(_vehicle(case))} for case in VEHICLES],
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(vectors(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
