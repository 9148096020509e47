"""Stored records give the keys of their kind; other kinds and revoked records give none."""

from __future__ import annotations

from typing import Any

import pytest

from puente.hits import specs
from puente.hits.extract import record_keys
from puente.hits.keys import SPEC_VERSIONS, Keys
from puente.records.kinds import EXT_PERSON, FIREARM_TYPE, VEHICLE_TYPE


def _person(**ext: object) -> dict[str, object]:
    return {
        "type": "identity",
        "identity_class": "individual",
        "id": "identity--11111111-1111-4111-8111-111111111111",
        "extensions": {EXT_PERSON: {"extension_type": "property-extension", **ext}},
    }


def test_a_person_record_gives_name_and_document_keys() -> None:
    keys = record_keys(_person(given_names="Ana", paternal_surname="Ruiz",
                               date_of_birth="1990-05-01",
                               documents=[{"type": "PASSPORT", "number": "G123",
                                           "issuing_country": "MEX"}]), 1)  # fmt: skip
    assert keys is not None
    assert b"1|person.passport|MEX:G123" in {k.encode() for k in keys.keys}
    assert "person.name-dob" in keys.types()


def test_firearm_and_vehicle_records() -> None:
    gun = record_keys({"type": FIREARM_TYPE, "manufacturer": "Glock", "serial_number": "AB123"}, 1)
    car = record_keys({"type": VEHICLE_TYPE, "vin": "1HGCM82633A004352"}, 1)
    assert gun is not None
    assert car is not None
    assert gun.types() == {"firearm.make-serial", "firearm.make-serial-fuzzy"}
    assert "vehicle.vin" in car.types()


def test_other_kinds_are_not_matched_and_revoked_records_answer_nothing() -> None:
    assert record_keys({"type": "incident", "name": "x"}, 1) is None
    revoked = _person(given_names="Ana", paternal_surname="Ruiz", date_of_birth="1990-05-01")
    revoked["revoked"] = True
    keys = record_keys(revoked, 1)
    assert keys is not None
    assert not keys.keys


def test_malformed_fields_are_ignored_not_fatal() -> None:
    keys = record_keys(_person(given_names=["not", "a", "string"], paternal_surname=7,
                               documents="CURP:X", aliases="El Güero"), 1)  # fmt: skip
    assert keys is not None
    assert not keys.keys


def _dated(keys: Keys, day: str) -> set[str]:
    """The types of the keys that end with ``day``."""
    return {k.type for k in keys.keys if k.parts and k.parts[-1] == day}


def test_a_record_hands_every_date_it_lists_to_the_person_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[list[str]] = []
    for version, rules in list(specs.PERSON_RULES.items()):

        def recording(*args: Any, rules: Any = rules, **kwargs: Any) -> Keys:
            seen.append(list(kwargs["dates_of_birth"]))
            return rules(*args, **kwargs)  # type: ignore[no-any-return]

        monkeypatch.setitem(specs.PERSON_RULES, version, recording)
    record = _person(given_names="Ana", paternal_surname="Ruiz", date_of_birth="1990-05-01",
                     other_dates_of_birth=["1990-01-05", 7, "1991-05-01"])  # fmt: skip
    for version in SPEC_VERSIONS:
        record_keys(record, version)
    assert seen == [["1990-05-01", "1990-01-05", "1991-05-01"]] * len(SPEC_VERSIONS)
    alone = _person(given_names="Ana", paternal_surname="Ruiz", other_dates_of_birth=["1991-06-02"])
    keys = record_keys(alone, 1)
    assert keys is not None
    assert _dated(keys, "1991-06-02")  # with no date_of_birth, version 1 takes the first other one


def test_version_2_gives_keys_for_each_date_of_birth_a_record_lists() -> None:
    record = _person(given_names="Ana", paternal_surname="Ruiz", date_of_birth="1990-05-01",
                     other_dates_of_birth=["1991-06-02"])  # fmt: skip
    keys = record_keys(record, 2)
    assert keys is not None
    assert _dated(keys, "1990-05-01")
    assert _dated(keys, "1991-06-02")
