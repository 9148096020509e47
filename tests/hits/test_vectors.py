"""The test vectors of every spec version (docs/match-keys-v<N>.json): both nodes' keys, byte
for byte. A node of another implementation, or of a later Puente, must give the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from puente.hits.keys import SPEC_VERSIONS, Keys
from puente.hits.specs import firearm_keys, person_keys, vehicle_keys

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _vectors(version: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DOCS / f"match-keys-v{version}.json").read_text("utf-8"))
    return data


def _keys(version: int, section: str, case: dict[str, Any]) -> Keys:
    if section == "persons":
        # Version 1's vectors give one date of birth; later versions a list of them.
        dates = case.get("dates_of_birth", [case.get("date_of_birth", "")])
        return person_keys(
            version, case.get("given_names", ""), case.get("paternal_surname", ""),
            case.get("maternal_surname", ""), aliases=case.get("aliases", []),
            dates_of_birth=dates, documents=case.get("documents", []),
            query=case.get("query", False),
        )  # fmt: skip
    if section == "firearms":
        return firearm_keys(case["manufacturer"], case["serial_number"], case.get("importer", ""),
                            version=version)  # fmt: skip
    return vehicle_keys(case.get("vin", ""), case.get("plate_number", ""),
                        case.get("plate_issuer", ""), version=version)  # fmt: skip


CASES = [
    pytest.param(version, section, vector, id=f"v{version}-{section}-{i}")
    for version in SPEC_VERSIONS
    for section in ("persons", "firearms", "vehicles")
    for i, vector in enumerate(_vectors(version)[section])
]


@pytest.mark.parametrize("version", SPEC_VERSIONS)
def test_every_version_has_its_vectors(version: int) -> None:
    vectors = _vectors(version)
    assert vectors["spec_version"] == version
    assert len(vectors["persons"]) >= 5
    assert all(v["keys"] for v in vectors["firearms"])


@pytest.mark.parametrize(("version", "section", "vector"), CASES)
def test_keys_match_the_vector_byte_for_byte(
    version: int, section: str, vector: dict[str, Any]
) -> None:
    keys = _keys(version, section, vector["input"])
    assert keys.encoded() == [k.encode("ascii") for k in vector["keys"]]
    assert [{"message": w.message, "value": w.value} for w in keys.warnings] == vector["warnings"]


def test_version_2_keeps_version_1s_rules_for_firearms_and_vehicles() -> None:
    v1, v2 = _vectors(1), _vectors(2)
    for section in ("firearms", "vehicles"):
        for old, new in zip(v1[section], v2[section], strict=True):
            assert [k.replace("1|", "2|", 1) for k in old["keys"]] == new["keys"]
