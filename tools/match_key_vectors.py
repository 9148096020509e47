"""Write docs/match-keys-v<N>.json: a match-key spec version's test vectors, from the inputs
below (``python tools/match_key_vectors.py 2``).

Run once when a version is made; afterwards the file is the spec and tests/hits/test_vectors.py
holds the code to it. Changing a vector means a new spec version (docs/match-keys.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from puente.hits.keys import Keys
from puente.hits.specs import firearm_keys, person_keys, vehicle_keys

DOCS = Path(__file__).resolve().parent.parent / "docs"

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
# Version 2 reads every date of birth ("dates_of_birth") and adds the cases of its rules.
PERSONS_V2: list[dict[str, Any]] = [
    *({k: v for k, v in case.items() if k != "date_of_birth"}
      | {"dates_of_birth": [case["date_of_birth"]]} for case in PERSONS),
    {"given_names": "Gonzalo", "paternal_surname": "Mendoza", "maternal_surname": "Gaytán",
     "aliases": ["El Sapo", "Hugo Gonzalo Mendoza Gaytán"],
     "dates_of_birth": ["1988-10-02", "1987"]},
    {"given_names": "EL SAPO", "paternal_surname": "MENDOZA", "dates_of_birth": ["1988-10-02", "02/10/1988"],
     "query": True},
    {"given_names": "Jesús Abraham", "paternal_surname": "Labra", "dates_of_birth": ["1945"],
     "query": True},
    {"given_names": "J.", "paternal_surname": "DIAZDELEONSAUCEDA",
     "dates_of_birth": ["1970-05-09"], "query": True},
    {"given_names": "Kike", "paternal_surname": "Zazueta", "maternal_surname": "Urrea",
     "dates_of_birth": ["1947-08-01", "1949-01-08"]},
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


def _person(case: dict[str, Any], version: int) -> Keys:
    dates = case.get("dates_of_birth", [case.get("date_of_birth", "")])
    return person_keys(
        version,
        case.get("given_names", ""),
        case.get("paternal_surname", ""),
        case.get("maternal_surname", ""),
        aliases=case.get("aliases", []),
        dates_of_birth=dates,
        documents=case.get("documents", []),
        query=case.get("query", False),
    )


def _firearm(case: dict[str, Any], version: int) -> Keys:
    return firearm_keys(
        case["manufacturer"], case["serial_number"], case.get("importer", ""), version=version
    )


def _vehicle(case: dict[str, Any], version: int) -> Keys:
    return vehicle_keys(
        case.get("vin", ""), case.get("plate_number", ""), case.get("plate_issuer", ""),
        version=version,
    )  # fmt: skip


def vectors(version: int) -> dict[str, Any]:
    persons = PERSONS if version == 1 else PERSONS_V2
    return {
        "spec_version": version,
        "persons": [{"input": case, **_out(_person(case, version))} for case in persons],
        "firearms": [{"input": case, **_out(_firearm(case, version))} for case in FIREARMS],
        "vehicles": [{"input": case, **_out(_vehicle(case, version))} for case in VEHICLES],
    }


def path(version: int) -> Path:
    return DOCS / f"match-keys-v{version}.json"


def text(version: int) -> str:
    return json.dumps(vectors(version), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    version = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    path(version).write_text(text(version), encoding="utf-8")
    print(f"wrote {path(version)}")
