"""Spec version 1's test vectors (docs/match-keys-v1.json): both nodes' keys, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from puente.hits.firearms import firearm_keys
from puente.hits.keys import Keys
from puente.hits.persons import person_keys
from puente.hits.vehicles import vehicle_keys

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "match-keys-v1.json").read_text("utf-8")
)


def _keys(section: str, case: dict[str, Any]) -> Keys:
    if section == "persons":
        return person_keys(
            case.get("given_names", ""), case.get("paternal_surname", ""),
            case.get("maternal_surname", ""), aliases=case.get("aliases", []),
            date_of_birth=case.get("date_of_birth", ""), documents=case.get("documents", []),
            query=case.get("query", False),
        )  # fmt: skip
    if section == "firearms":
        return firearm_keys(case["manufacturer"], case["serial_number"], case.get("importer", ""))
    return vehicle_keys(case.get("vin", ""), case.get("plate_number", ""),
                        case.get("plate_issuer", ""))  # fmt: skip


CASES = [
    pytest.param(section, vector, id=f"{section}-{i}")
    for section in ("persons", "firearms", "vehicles")
    for i, vector in enumerate(VECTORS[section])
]


def test_the_vectors_are_for_this_spec_version() -> None:
    assert VECTORS["spec_version"] == 1
    assert len(CASES) >= 12


@pytest.mark.parametrize(("section", "vector"), CASES)
def test_keys_match_the_vector_byte_for_byte(section: str, vector: dict[str, Any]) -> None:
    keys = _keys(section, vector["input"])
    assert keys.encoded() == [k.encode("ascii") for k in vector["keys"]]
    assert [{"message": w.message, "value": w.value} for w in keys.warnings] == vector["warnings"]
