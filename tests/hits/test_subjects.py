"""What an analyst asks about is checked before anything is sent, and every problem says which
field (or which line and column of a list) is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import FormData

from puente.errors import InvalidInput
from puente.hits import specs
from puente.hits.keys import LATEST, SPEC_VERSIONS, Keys
from puente.hits.schemas import HitAsk
from puente.hits.subjects import Subject, subjects_from_csv, subjects_from_dicts
from puente.hits.views import HitForm, form_errors


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


# --- Other dates of birth ("alt. DOB") ----------------------------------------------------------


def _dates_passed(monkeypatch: pytest.MonkeyPatch, subject: Subject, version: int) -> list[str]:
    """The dates of birth Subject.keys hands the version's person rules (whatever they make)."""
    seen: list[str] = []
    rules = specs.PERSON_RULES[version]

    def recording(*args: Any, **kwargs: Any) -> Keys:
        seen.extend(kwargs["dates_of_birth"])
        return rules(*args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setitem(specs.PERSON_RULES, version, recording)
    subject.keys(version)
    return seen


def test_other_dates_of_birth_are_asked_about_with_the_date_of_birth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = Subject.from_dict({"given_names": "Juan", "paternal_surname": "Pérez",
                                "date_of_birth": "1985-03-12",
                                "other_dates_of_birth": [" 1986-03-12 ", "", "1984"]})  # fmt: skip
    assert person.other_dates_of_birth == ("1986-03-12", "1984")
    assert person.label() == "Juan Pérez, 1985-03-12 / 1986-03-12 / 1984"
    assert person.as_dict()["other_dates_of_birth"] == ["1986-03-12", "1984"]
    assert Subject.from_dict(person.as_dict()) == person
    assert Subject.stored(person.as_dict()) == person
    for version in SPEC_VERSIONS:
        assert _dates_passed(monkeypatch, person, version) == ["1985-03-12", "1986-03-12", "1984"]


def test_other_dates_of_birth_alone_are_enough_with_a_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = Subject.from_dict({"given_names": "Ana", "paternal_surname": "Ruiz",
                                "other_dates_of_birth": ["1990-05-01"]})  # fmt: skip
    assert person.date_of_birth == ""
    assert person.label() == "Ana Ruiz, 1990-05-01"
    assert "person.name-dob" in person.keys(1).types()
    assert "person.name-dob" in person.keys(LATEST).types()
    assert _dates_passed(monkeypatch, person, LATEST) == ["1990-05-01"]


def test_a_subject_stored_before_other_dates_of_birth_still_loads() -> None:
    old = {"category": "person", "given_names": "Juan", "paternal_surname": "Pérez",
           "date_of_birth": "1985-03-12", "documents": ["CURP:PEGJ850312HDFRRN05"]}  # fmt: skip
    subject = Subject.stored(old)
    assert subject.other_dates_of_birth == ()
    assert subject.as_dict() == old
    assert subject.label() == "Juan Pérez, 1985-03-12"


@pytest.mark.parametrize(
    ("data", "pointer", "says"),
    [
        ({"other_dates_of_birth": ["1990-05-01", "05/01/1990"]}, "/other_dates_of_birth/1",
         "05/01/1990 is not a date of birth (YYYY-MM-DD or YYYY)."),
        ({"other_dates_of_birth": ["1990-02-30"]}, "/other_dates_of_birth/0",
         "1990-02-30 is not a date of birth"),
        ({"other_dates_of_birth": 1990}, "/other_dates_of_birth", "a list of text values"),
        ({"other_dates_of_birth": ["1990", 5]}, "/other_dates_of_birth", "a list of text values"),
        ({"other_dates_of_birth": ["1" * 201]}, "/other_dates_of_birth/0", "At most 200"),
    ],
)  # fmt: skip
def test_each_bad_other_date_of_birth_is_named(
    data: dict[str, Any], pointer: str, says: str
) -> None:
    person = {"category": "person", "given_names": "Ana", "paternal_surname": "Ruiz",
              "date_of_birth": "1990-05-01"}  # fmt: skip
    found = problems(subjects_from_dicts, [person, {**person, **data}])
    assert says in found["/subjects/1" + pointer], found


def test_the_api_body_takes_other_dates_of_birth_and_points_at_a_bad_one() -> None:
    ask = {"partner": "us-node", "case_reference": "FGR/0042", "legal_basis": "TAJM art. 1"}
    body = HitAsk.model_validate(ask | {"subjects": [
        {"given_names": "Ana", "paternal_surname": "Ruiz",
         "other_dates_of_birth": ["1990-05-01", "1991"]}]})  # fmt: skip
    (subject,) = body.to_subjects(10)
    assert subject.other_dates_of_birth == ("1990-05-01", "1991")
    bad = HitAsk.model_validate(ask | {"subjects": [
        {"given_names": "Ana", "paternal_surname": "Ruiz",
         "other_dates_of_birth": ["1990-05-01", "1991-13-01"]}]})  # fmt: skip
    assert set(problems(bad.to_subjects, 10)) == {"/subjects/0/other_dates_of_birth/1"}


def test_a_csv_cell_separates_other_dates_of_birth_with_semicolons() -> None:
    text = ("given_names,paternal_surname,date_of_birth,other_dates_of_birth\n"
            "Ana,Ruiz,1990-05-01,1990-01-05; 1991\n"
            "Eva,Soto,,1980-02-02\n")  # fmt: skip
    ana, eva = subjects_from_csv(text)
    assert ana.other_dates_of_birth == ("1990-01-05", "1991")
    assert (eva.date_of_birth, eva.other_dates_of_birth) == ("", ("1980-02-02",))
    bad = text.replace("1991", "sometime")
    assert problems(subjects_from_csv, bad) == {
        "/csv/2/other_dates_of_birth/1": "sometime is not a date of birth (YYYY-MM-DD or YYYY)."
    }


def test_the_form_takes_other_dates_of_birth_one_a_line() -> None:
    fields = {"partner": "us-node", "case_reference": "FGR/0042", "legal_basis": "TAJM art. 1",
              "category": "person", "given_names": "Ana", "paternal_surname": "Ruiz",
              "other_dates_of_birth": "1990-05-01\r\n\r\n1991;1992-02-02\n"}  # fmt: skip
    (subject,) = HitForm.parse(FormData(fields)).subjects(10)
    assert subject.other_dates_of_birth == ("1990-05-01", "1991", "1992-02-02")
    bad = HitForm.parse(FormData({**fields, "other_dates_of_birth": "1990-05-01\n31/12/1991"}))
    with pytest.raises(InvalidInput) as caught:
        bad.subjects(10)
    assert [p.pointer for p in caught.value.problems] == ["/other_dates_of_birth/1"]
    errors = form_errors(caught.value.problems, "es")
    assert errors == {"other_dates_of_birth": [
        "Elemento 2: 31/12/1991 no es una fecha de nacimiento (AAAA-MM-DD o AAAA)."]}  # fmt: skip
