"""A person recorded on one side is found from the way the other side writes the name."""

from __future__ import annotations

import pytest

from puente.hits.persons import birth_date, person_keys, swapped

RECORD = {
    "given_names": "José Luis",
    "paternal_surname": "Hernández",
    "maternal_surname": "Peña",
    "date_of_birth": "1984-03-12",
}


def _index() -> set[str]:
    keys = person_keys(
        RECORD["given_names"], RECORD["paternal_surname"], RECORD["maternal_surname"],
        date_of_birth=RECORD["date_of_birth"], aliases=["El Güero"],
    )  # fmt: skip
    return {k.encode().decode() for k in keys.keys}


@pytest.mark.parametrize(
    ("perturbation", "given", "paternal", "maternal", "dob"),
    [
        ("as recorded", "José Luis", "Hernández", "Peña", "1984-03-12"),
        ("accents stripped", "Jose Luis", "Hernandez", "Pena", "1984-03-12"),
        ("maternal surname dropped", "José Luis", "Hernández", "", "1984-03-12"),
        ("hyphenated", "José Luis", "Hernández-Peña", "", "1984-03-12"),
        ("surnames swapped", "José Luis", "Peña", "Hernández", "1984-03-12"),
        ("surnames fused", "José Luis", "Hernandezpena", "", "1984-03-12"),
        ("second given name dropped", "José", "Hernández", "Peña", "1984-03-12"),
        ("first given name dropped", "Luis", "Hernández", "Peña", "1984-03-12"),
        ("nickname", "Pepe", "Hernández", "Peña", "1984-03-12"),
        ("English form", "Joseph", "Hernandez", "", "1984-03-12"),
        ("typo in the given name", "Jsoé Luis", "Hernández", "Peña", "1984-03-12"),
        ("typo in the surname", "José Luis", "Hernándes", "Peña", "1984-03-12"),
        ("day and month swapped", "José Luis", "Hernández", "Peña", "1984-12-03"),
    ],
)
def test_the_query_meets_the_record(
    perturbation: str, given: str, paternal: str, maternal: str, dob: str
) -> None:
    query = person_keys(given, paternal, maternal, date_of_birth=dob, query=True)
    assert {k.encode().decode() for k in query.keys} & _index(), perturbation


def test_the_birth_year_reaches_only_where_a_full_date_cannot() -> None:
    full = person_keys("José Luis", "Hernández", "Peña", date_of_birth="1984-03-12")
    year_only = person_keys("José Luis", "Hernández", "Peña", date_of_birth="1984")
    ask_year = person_keys("José", "Hernández", "Peña", date_of_birth="1984", query=True)
    ask_full = person_keys("José", "Hernández", "Peña", date_of_birth="1984-03-12", query=True)
    ask_other_day = person_keys("José", "Hernández", "Peña", date_of_birth="1984-03-21",
                                query=True)  # fmt: skip
    assert {k.type for k in ask_year.keys & full.keys} == {"person.names-year"}
    assert {k.type for k in ask_full.keys & year_only.keys} == {"person.names-yearonly"}
    assert not ask_other_day.keys & full.keys  # same names, same year: too common to say


def test_particles_go_and_a_fused_particle_is_tried_without_it() -> None:
    record = person_keys("Juan", "de la Cruz", "Martínez", date_of_birth="1990-01-05")
    for paternal in ("Cruz", "Delacruz", "De La Cruz"):
        query = person_keys("Juan", paternal, "", date_of_birth="1990-01-05", query=True)
        assert query.keys & record.keys, paternal


def test_an_alias_alone_meets_only_with_the_date_of_birth() -> None:
    record = person_keys("Joaquín", "Guzmán", "Loera", aliases=["El Chapo"],
                         date_of_birth="1957-04-04")  # fmt: skip
    same_day = person_keys("", "", aliases=["Chapo"], date_of_birth="1957-04-04", query=True)
    other_day = person_keys("", "", aliases=["Chapo"], date_of_birth="1960-04-04", query=True)
    assert {k.type for k in same_day.keys & record.keys} == {"person.alias-dob"}
    assert not other_day.keys & record.keys


def test_other_people_do_not_meet() -> None:
    record = person_keys("José Luis", "Hernández", "Peña", date_of_birth="1984-03-12")
    for given, paternal, dob in [
        ("José Luis", "Hernández", "1985-03-12"),  # another year
        ("María", "Hernández", "1984-03-13"),  # another person, near date
        ("Pedro", "Ramírez", "1984-03-12"),  # same date, other names
    ]:
        query = person_keys(given, paternal, "", date_of_birth=dob, query=True)
        assert not query.keys & record.keys, (given, paternal, dob)


def test_the_swapped_date_is_tried_only_by_queries() -> None:
    assert swapped("1984-03-12") == "1984-12-03"
    assert swapped("1984-03-13") == ""  # no 13th month
    assert swapped("1984-03-03") == ""  # the same date
    record = person_keys("Ana", "Ruiz", date_of_birth="1984-03-12")
    assert all("1984-12-03" not in k.parts for k in record.keys)


def test_documents_give_keys_and_failed_checks_warn() -> None:
    keys = person_keys("Ana", "Ruiz", documents=["CURP:BOXW310820HNERXN09",
                                                 "CURP:BOXW310820HNERXN08",
                                                 "PASSPORT:G 1234567:MEX", "PASSPORT:999"])  # fmt: skip
    encoded = {k.encode() for k in keys.keys}
    assert b"1|person.curp|BOXW310820HNERXN09" in encoded
    assert b"1|person.curp|BOXW310820HNERXN08" in encoded  # the other side may hold the typo
    assert b"1|person.passport|MEX:G1234567" in encoded
    assert {w.value for w in keys.warnings} == {"BOXW310820HNERXN08", "999"}


def test_a_bad_date_of_birth_is_a_warning_not_a_key() -> None:
    keys = person_keys("Ana", "Ruiz", date_of_birth="31/02/1990")
    assert keys.warnings
    assert not keys.keys
    assert birth_date("1990") == ("", "1990")
    assert birth_date("1990-02-31") == ("", "")
