"""What an analyst asks about is checked before anything is sent, and every problem says which
field (or which line and column of a list) is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from puente.errors import InvalidInput
from puente.hits.subjects import Subject, subjects_from_csv, subjects_from_dicts


def problems(call: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    found: dict[str, str] = {}
    for problem in caught.value.problems:  # one pointer may have several
        said = problem.message.format(**problem.params)
        found[problem.pointer] = (
            f"{found[problem.pointer]} {said}" if problem.pointer in found else said
        )
    return found


def test_a_person_gives_query_keys_and_reads_as_a_label() -> None:
    person = Subject.from_dict({"category": "person", "given_names": "Juan",
                                "paternal_surname": "Pérez", "maternal_surname": "García",
                                "date_of_birth": "1985-03-12"})  # fmt: skip
    assert person.label() == "Juan Pérez García, 1985-03-12"
    assert "person.name-dob" in person.keys(1).types()
    assert Subject.from_dict(person.as_dict()) == person
    assert Subject.stored(person.as_dict()) == person


def test_firearms_and_vehicles_read_as_labels() -> None:
    assert Subject.from_dict({"manufacturer": "Glock", "serial": "12345"}).label() == "Glock 12345"
    car = Subject.from_dict({"vin": "1HGCM82633A004352", "plate": "ABC123", "plate_issuer": "TX"})
    assert (car.category, car.label()) == ("vehicle", "VIN 1HGCM82633A004352, ABC123 (TX)")
    assert car.keys(1).types() == {"vehicle.vin", "vehicle.vin-fuzzy", "vehicle.wmi-serial",
                                  "vehicle.plate"}  # fmt: skip


@pytest.mark.parametrize(
    ("data", "pointer", "says"),
    [
        ({"category": "person"}, "/given_names", "a given name and a surname, or an identity"),
        ({"category": "person", "paternal_surname": "Ruiz", "date_of_birth": "1990"},
         "/given_names", "given name too"),
        ({"category": "person", "given_names": "Ana", "date_of_birth": "1990-05-01"},
         "/paternal_surname", "surname too"),
        ({"category": "person", "given_names": "Ana", "paternal_surname": "Ruiz",
          "date_of_birth": "1990-31-31"}, "/date_of_birth", "not a date of birth"),
        ({"category": "person", "given_names": "Ana", "paternal_surname": "Ruiz"},
         "/date_of_birth", "gives no match key"),
        ({"category": "person", "documents": ["LICENSE 12"]}, "/documents/0", "TYPE:NUMBER"),
        ({"category": "firearm", "serial": "12345"}, "/manufacturer", "as well as its serial"),
        ({"category": "firearm", "manufacturer": "Glock"}, "/serial", "its serial number"),
        ({"category": "vehicle", "plate": "ABC123"}, "/plate_issuer", "issuing state"),
        ({"category": "vehicle"}, "/vin", "a VIN, or a plate"),
        ({"category": "vehicle", "vin": "1HG"}, "/vin", "too short to be a VIN"),
        ({"category": "boat", "vin": "1HGCM82633A004352"}, "/category", "Unknown category boat"),
        ({"given_names": "Ana", "serial": "1"}, "/category", "person, a firearm or a vehicle"),
        ({"category": "person", "given_names": "Ana", "paternal_surname": "Ruiz",
          "date_of_birth": "1990", "serial": "X1"}, "/serial", "not one of a person's"),
        ({"category": "person", "given_names": 7}, "/given_names", "must be text"),
        ({"category": "person", "nickname": "x"}, "/nickname", "Unknown field nickname"),
    ],
)  # fmt: skip
def test_each_problem_names_its_field(data: dict[str, Any], pointer: str, says: str) -> None:
    found = problems(Subject.from_dict, data, "/subjects/2")
    assert says in found["/subjects/2" + pointer], found


def test_a_document_alone_is_enough_for_a_person() -> None:
    person = Subject.from_dict({"category": "persona", "documents": "CURP:HEGJ840312HDFRRS09"})
    assert person.documents == ("CURP:HEGJ840312HDFRRS09",)
    assert person.keys(1).types() == {"person.curp"}


def test_a_list_reports_every_subject_at_once() -> None:
    found = problems(subjects_from_dicts, [{"category": "firearm", "serial": "1"}, {"vin": "1"}])
    assert set(found) == {"/subjects/0/manufacturer", "/subjects/1/vin"}
    assert "at least one subject" in problems(subjects_from_dicts, [])["/subjects"]


CSV = """category,given_names,paternal_surname,maternal_surname,date_of_birth,documents,manufacturer,serial,vin,plate,plate_issuer
person,Juan,Pérez,García,1985-03-12,CURP:PEGJ850312HDFRRN05;PASSPORT:X123:MEX,,,,,
,,,,,,Glock,12345,,,
vehicle,,,,,,,,,ABC123,TX
"""


def test_a_csv_gives_one_subject_a_row_inferring_missing_categories() -> None:
    subjects = subjects_from_csv(CSV)
    assert [s.category for s in subjects] == ["person", "firearm", "vehicle"]
    assert subjects[0].documents == ("CURP:PEGJ850312HDFRRN05", "PASSPORT:X123:MEX")
    assert subjects[2].label() == "ABC123 (TX)"


def test_a_csv_may_come_with_a_byte_order_mark_or_in_latin_1() -> None:
    with_bom = subjects_from_csv("\ufeff" + CSV)
    assert with_bom == subjects_from_csv(b"\xef\xbb\xbf" + CSV.encode())
    assert with_bom == subjects_from_csv(CSV.encode("latin-1"))
    assert with_bom[0].paternal_surname == "Pérez"


def test_a_csv_without_the_category_column_and_with_blank_lines() -> None:
    text = "Given Names,paternal_surname,date_of_birth,serial,manufacturer\n\nAna,Ruiz,1990-05-01,,\n,,,X1,Colt\n"
    assert [s.label() for s in subjects_from_csv(text)] == ["Ana Ruiz, 1990-05-01", "Colt X1"]


def test_csv_problems_name_line_and_column_all_at_once() -> None:
    text = ("category,given_names,paternal_surname,date_of_birth,serial,manufacturer\n"
            "person,Ana,Ruiz,1990-05-01,,\n"
            "firearm,,,,12345,\n"
            "boat,,,,,\n"
            "person,Eva,,1990-05-01,,\n")  # fmt: skip
    assert problems(subjects_from_csv, text) == {
        "/csv/3/manufacturer": "A firearm needs its manufacturer as well as its serial number: "
        "serial numbers are unique only per manufacturer.",
        "/csv/4/category": "Unknown category boat: a subject is a person, a firearm or a vehicle.",
        "/csv/5/paternal_surname": "Give the person's surname too, or an identity document.",
    }


@pytest.mark.parametrize(
    ("text", "pointer", "says"),
    [
        ("", "/csv", "The list is empty"),
        ("\n\n", "/csv", "The list is empty"),
        ("given_names,paternal_surname\n", "/csv", "no row under it"),
        ("given_names,colour\nAna,red\n", "/csv/1/colour", "Unknown column colour"),
        ("serial,serial\n1,2\n", "/csv/1/serial", "appears twice"),
        ("serial,manufacturer\n1,Colt,extra\n", "/csv/2", "more values than the header"),
        ("given_names,serial\nAna,1\n", "/csv/2/category", "person, a firearm or a vehicle"),
    ],
)
def test_a_bad_csv_says_where(text: str, pointer: str, says: str) -> None:
    assert says in problems(subjects_from_csv, text)[pointer]


def test_a_csv_may_not_hold_more_rows_than_a_query_keys() -> None:
    text = "vin\n" + "1HGCM82633A004352\n" * 4
    assert "at most 3 rows, not 4" in problems(subjects_from_csv, text, max_rows=3)["/csv"]
