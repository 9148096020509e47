"""Spec version 2's person keys: what a record and a query written by the other country's
agency meet by, and what they must never meet by (the causes of version 1's misses on real
names, issue 16, and the hard negatives beside them)."""

from __future__ import annotations

from typing import Any

import pytest

from puente.hits.keys import Keys
from puente.hits.names_v2 import parse
from puente.hits.specs import person_keys


def _keys(version: int, person: dict[str, Any], *, query: bool) -> Keys:
    return person_keys(
        version, person.get("given", ""), person.get("paternal", ""),
        person.get("maternal", ""), aliases=person.get("aliases", ()),
        dates_of_birth=person.get("dates", ()), query=query,
    )  # fmt: skip


def meets(record: dict[str, Any], asked: dict[str, Any], version: int = 2) -> set[str]:
    """The key types by which a query for ``asked`` reaches the record of ``record``."""
    held = _keys(version, record, query=False)
    query = _keys(version, asked, query=True)
    return {key.type for key in held.keys & query.keys}


MX = {"given": "Álvaro", "paternal": "Sánchez", "maternal": "Esteban", "dates": ["1974-02-04"]}


@pytest.mark.parametrize(
    ("why", "record", "asked"),
    [
        ("one digit of the date off, both surnames",
         {"given": "José Luis", "paternal": "Treviño", "maternal": "Morales",
          "dates": ["1973-06-28"]},
         {"given": "JOSE LUIS", "paternal": "TREVINO", "maternal": "MORALES",
          "dates": ["1978-06-28"]}),
        ("one digit of the date off, one surname, rare names",
         {"given": "Nazario", "paternal": "Zazueta", "maternal": "Urrea",
          "dates": ["1947-08-01"]},
         {"given": "NAZARIO", "paternal": "ZAZUETA", "dates": ["1947-08-07"]}),
        ("the other date of birth the record lists",
         {"given": "Sergio", "paternal": "Peña", "maternal": "Mendoza",
          "dates": ["1973-01-25", "1970-03-04"]},
         {"given": "SERGIO", "paternal": "PENA", "dates": ["1970-03-04"]}),
        ("a moniker for the given names, maternal surname dropped",
         {"given": "Gonzalo", "paternal": "Mendoza", "maternal": "Gaytán",
          "aliases": ["El Sapo"], "dates": ["1988-10-02"]},
         {"given": "EL SAPO", "paternal": "MENDOZA", "dates": ["1988-10-02"]}),
        ("a moniker with both surnames fused",
         {"given": "José", "paternal": "Díaz", "maternal": "de León Sauceda",
          "aliases": ["Lobito"], "dates": ["1970-05-09"]},
         {"given": "LOBITO", "paternal": "DIAZLEONSAUCEDA", "dates": ["1970-05-09"]}),
        ("the year only, no maternal surname, every given name",
         {"given": "Jesús Abraham", "paternal": "Labra", "maternal": "Avilés",
          "dates": ["1945-03-02"]},
         {"given": "JESUS ABRAHAM", "paternal": "LABRA", "dates": ["1945"]}),
        ("the year only, both surnames fused in one field of the record",
         {"given": "EFRAIN", "paternal": "PEREZPASUENGO", "dates": ["1954"]},
         {"given": "Efraín", "paternal": "Pérez", "maternal": "Pasuengo", "dates": ["1954"]}),
        ("Kike is Enrique", {**MX, "given": "Enrique"}, {**MX, "given": "KIKE"}),
        ("Fredy is Alfredo", {**MX, "given": "Alfredo"}, {**MX, "given": "FREDY"}),
        ("Freddy is Alfredo", {**MX, "given": "Alfredo"}, {**MX, "given": "FREDDY"}),
        ("Moncho is Ramón", {**MX, "given": "Ramón"}, {**MX, "given": "MONCHO"}),
        ("Panchito is Francisco", {**MX, "given": "Francisco"}, {**MX, "given": "PANCHITO"}),
        ("a transposition at the start of the only surname",
         {"given": "Abel", "paternal": "Álvarez", "maternal": "Ruiz", "dates": ["1973-10-31"]},
         {"given": "ABEL", "paternal": "AVLAREZ", "dates": ["1973-10-31"]}),
        ("a letter dropped at the start of the only surname",
         {"given": "Abel", "paternal": "Briones", "maternal": "Ruiz", "dates": ["1973-10-31"]},
         {"given": "ABEL", "paternal": "RIONES", "dates": ["1973-10-31"]}),
        ("the first given name as its initial",
         {"given": "Juan", "paternal": "Guzmán", "maternal": "Enríquez",
          "dates": ["1950-06-24"]},
         {"given": "J.", "paternal": "GUZMAN", "dates": ["1950-06-24"]}),
        ("day and month read the other country's way",
         MX, {**MX, "dates": ["1974-04-02"]}),
    ],
)  # fmt: skip
def test_version_2_finds_what_version_1_missed(
    why: str, record: dict[str, Any], asked: dict[str, Any]
) -> None:
    assert meets(record, asked), why
    # Its converse: the record written by the agency that asked, asked by the other.
    assert meets(asked, record), why


def test_the_causes_of_version_1_misses_are_found_by_version_2_only() -> None:
    record = {"given": "Gonzalo", "paternal": "Mendoza", "maternal": "Gaytán",
              "aliases": ["El Sapo"], "dates": ["1988-10-02"]}  # fmt: skip
    typo = {"given": "GONZALO", "paternal": "MENDOZA", "maternal": "GAYTAN",
            "dates": ["1988-10-03"]}  # fmt: skip
    moniker = {"given": "EL SAPO", "paternal": "MENDOZA", "dates": ["1988-10-02"]}
    for asked in (typo, moniker):
        assert not meets(record, asked, version=1)
        assert meets(record, asked, version=2)


@pytest.mark.parametrize(
    ("why", "record", "asked"),
    [
        ("a brother: same surnames, another name, born three years later",
         {"given": "Miguel Ángel", "paternal": "Treviño", "maternal": "Morales",
          "dates": ["1973-06-28"]},
         {"given": "OMAR", "paternal": "TREVINO", "maternal": "MORALES",
          "dates": ["1976-06-28"]}),
        ("a namesake one digit off: a common name",
         {"given": "Juan", "paternal": "Hernández", "maternal": "López",
          "dates": ["1980-01-15"]},
         {"given": "JUAN", "paternal": "HERNANDEZ", "dates": ["1980-01-16"]}),
        ("two full given names never meet by their initials",
         {"given": "Jorge", "paternal": "Guzmán", "maternal": "Loera", "dates": ["1957-04-04"]},
         {"given": "JUAN", "paternal": "GUZMAN", "dates": ["1957-04-04"]}),
        ("one surname each and the year: not enough",
         {"given": "Miguel", "paternal": "Treviño", "maternal": "Morales",
          "dates": ["1973-06-28"]},
         {"given": "MIGUEL", "paternal": "TREVINO", "dates": ["1973"]}),
        ("a single surname on both sides is never taken for two fused",
         {"given": "Carlos", "paternal": "Vera", "dates": ["1970-07-10"]},
         {"given": "LUIS", "paternal": "VERA", "dates": ["1970-07-10"]}),
        ("two full dates never meet by the year",
         {"given": "Rafael", "paternal": "Caro", "maternal": "Quintero",
          "dates": ["1952-12-12"]},
         {"given": "RAFAEL", "paternal": "CARO", "maternal": "QUINTERO",
          "dates": ["1952-07-30"]}),
        ("an article is not a name",
         {"given": "El", "paternal": "Mendoza", "dates": ["1988-10-02"]},
         {"given": "LA", "paternal": "MENDOZA", "dates": ["1988-10-02"]}),
    ],
)  # fmt: skip
def test_version_2_does_not_reach_strangers(
    why: str, record: dict[str, Any], asked: dict[str, Any]
) -> None:
    assert not meets(record, asked), why
    assert not meets(asked, record), why


def test_a_loose_date_needs_rarer_names_than_the_commonest() -> None:
    common = _keys(2, {"given": "José", "paternal": "García", "dates": ["1980-01-15"]},
                   query=False)  # fmt: skip
    rare = _keys(2, {"given": "Nazario", "paternal": "Zazueta", "dates": ["1980-01-15"]},
                 query=False)  # fmt: skip
    assert "person.name-dob-digit" not in common.types()
    assert {k.parts[2] for k in rare.keys if k.type == "person.name-dob-digit"} == {
        "19?0-01-15", "198?-01-15",
        "1980-?1-15", "1980-0?-15", "1980-01-?5", "1980-01-1?",
    }  # fmt: skip


def test_every_date_of_birth_gives_keys_and_a_bad_one_a_warning() -> None:
    keys = _keys(2, {"given": "Sergio", "paternal": "Peña", "maternal": "Mendoza",
                     "dates": ["1973-01-25", "1970", "25/01/1973"]}, query=False)  # fmt: skip
    days = {k.parts[-1] for k in keys.keys if k.type == "person.name-dob"}
    assert days == {"1973-01-25"}
    assert {k.parts[-1] for k in keys.keys if k.type == "person.names-year"} == {"1973", "1970"}
    assert [(w.value) for w in keys.warnings] == ["25/01/1973"]


def test_keys_of_two_versions_never_meet() -> None:
    person = {"given": "Juan", "paternal": "Pérez", "maternal": "López", "dates": ["1980-01-15"]}
    v1, v2 = _keys(1, person, query=True), _keys(2, person, query=False)
    assert v1.keys
    assert v2.keys
    assert not set(v1.encoded()) & set(v2.encoded())
    assert all(k.startswith(b"2|") for k in v2.encoded())


def test_names_read_articles_initials_and_fused_surnames() -> None:
    assert parse("El Sapo", "Mendoza").given == (("SAPO",),)
    initial = parse("J.", "García-López")
    assert (initial.given, initial.initials, initial.initial_only) == ((), ("J",), True)
    assert initial.fused == ("GARCIALOPEZ",)
    assert parse("José", "Díaz", "de León Sauceda").fused == (
        "DIAZLEONSAUCEDA", "DIAZDELEONSAUCEDA")  # fmt: skip
    assert parse("Kike", "Ruiz").given == (("ENRIQUE",),)
