"""What an analyst asks about: one person, firearm or vehicle, checked before anything is sent.

A subject holds only the fields of its category, as typed. :meth:`Subject.keys` turns it into
query-side match keys (docs/match-keys.md); the checks here refuse what would give no key, or
one that matches too much (a firearm's serial without its maker, a plate without its issuer),
and say which field is wrong, so each edge can show it next to that field. Lists come as CSV
(:func:`subjects_from_csv`), one subject a row, every problem named by line and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from puente.errors import N_, InvalidInput, Problem
from puente.hits.documents import DOCUMENT_TYPES, parse_document
from puente.hits.keys import CATEGORIES, LATEST, Keys
from puente.hits.persons import birth_date
from puente.hits.specs import firearm_keys, person_keys, vehicle_keys
from puente.hits.text import compact
from puente.hits.vehicles import MIN_VIN, vin

FIELDS: dict[str, tuple[str, ...]] = {
    "person": ("given_names", "paternal_surname", "maternal_surname", "date_of_birth",
               "other_dates_of_birth", "documents", "aliases"),
    "firearm": ("manufacturer", "serial"),
    "vehicle": ("vin", "plate", "plate_issuer"),
}  # fmt: skip
# Several values; ";" between them in a CSV cell.
LISTS = frozenset({"other_dates_of_birth", "documents", "aliases"})
CSV_COLUMNS = ("category", *(name for names in FIELDS.values() for name in names))
# What a CSV may say in its category column, in either language.
CATEGORY_WORDS = {
    "person": "person", "persona": "person",
    "firearm": "firearm", "arma": "firearm", "arma de fuego": "firearm",
    "vehicle": "vehicle", "vehiculo": "vehicle", "vehículo": "vehicle",
}  # fmt: skip
MAX_FIELD = 200  # longer than any name, serial or document number


@dataclass(frozen=True)
class Subject:
    """One person, firearm or vehicle to ask about; build it with :meth:`from_dict`."""

    category: str
    given_names: str = ""
    paternal_surname: str = ""
    maternal_surname: str = ""
    date_of_birth: str = ""
    # The others a list gives ("alt. DOB"): the partner may hold the person under any of them.
    other_dates_of_birth: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    manufacturer: str = ""
    serial: str = ""
    vin: str = ""
    plate: str = ""
    plate_issuer: str = ""

    def keys(self, version: int) -> Keys:
        """Its query-side match keys in spec ``version``, and what was odd about its input."""
        if self.category == "person":
            return person_keys(version, self.given_names, self.paternal_surname,
                               self.maternal_surname, aliases=self.aliases,
                               dates_of_birth=self.dates_of_birth(), documents=self.documents,
                               query=True)  # fmt: skip
        if self.category == "firearm":
            return firearm_keys(self.manufacturer, self.serial, version=version)
        if self.category == "vehicle":
            return vehicle_keys(self.vin, self.plate, self.plate_issuer, version=version)
        return Keys(version=version)

    def dates_of_birth(self) -> tuple[str, ...]:
        """Every date of birth given, date_of_birth first (if given)."""
        return tuple(d for d in (self.date_of_birth, *self.other_dates_of_birth) if d)

    def label(self) -> str:
        """A short description for lists and answers: "Juan Pérez García, 1985-03-12" (with
        other dates of birth: "…, 1985-03-12 / 1986-03-12")."""
        if self.category == "person":
            name = " ".join(p for p in (self.given_names, self.paternal_surname,
                                        self.maternal_surname) if p)  # fmt: skip
            name = name or ", ".join(d.replace(":", " ", 1) for d in self.documents)
            dates = " / ".join(self.dates_of_birth())
            return f"{name}, {dates}" if dates else name
        if self.category == "firearm":
            return f"{self.manufacturer} {self.serial}".strip()
        parts = [f"VIN {self.vin}"] if self.vin else []
        if self.plate:
            parts.append(f"{self.plate} ({self.plate_issuer})" if self.plate_issuer else self.plate)
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """Its category and filled fields (lists as lists): what :meth:`from_dict` reads."""
        found: dict[str, Any] = {"category": self.category}
        for name in FIELDS.get(self.category, ()):
            value = getattr(self, name)
            if value:
                found[name] = list(value) if name in LISTS else value
        return found

    @classmethod
    def stored(cls, data: Mapping[str, Any]) -> Subject:
        """A subject from :meth:`as_dict` of a checked one, as this node stored it: unchecked."""
        values: dict[str, Any] = {
            name: tuple(value) if name in LISTS else str(value)
            for name, value in data.items()
            if name in CSV_COLUMNS
        }
        return cls(**values)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], pointer: str = "") -> Subject:
        """A checked subject; :class:`InvalidInput` names every problem under ``pointer``."""
        subject, problems = parse_subject(data, pointer)
        if subject is None or problems:
            raise InvalidInput(problems)
        return subject


@dataclass
class _Values:
    """A subject's fields as given, before they are known to be good."""

    text: dict[str, str] = field(default_factory=dict)
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _read_values(
    data: Mapping[str, Any], pointer: str, problems: list[Problem]
) -> tuple[str, _Values]:
    values = _Values()
    category = ""
    for name, raw in data.items():
        where = f"{pointer}/{name}"
        if name == "category":
            category = raw.strip().lower() if isinstance(raw, str) else ""
            if not isinstance(raw, str):
                problems.append(Problem(N_("The category must be text."), where))
            continue
        if name not in LISTS and name in CSV_COLUMNS:
            if not isinstance(raw, str):
                problems.append(Problem(N_("This field must be text."), where))
            elif raw.strip():
                values.text[name] = raw.strip()
            continue
        if name in LISTS:
            items = raw.split(";") if isinstance(raw, str) else raw
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                problems.append(Problem(N_("This field must be a list of text values."), where))
            elif cleaned := tuple(i.strip() for i in items if i.strip()):
                values.lists[name] = cleaned
            continue
        problems.append(Problem(N_("Unknown field {field}."), where, {"field": name}))
    return category, values


def infer_category(data: Mapping[str, Any]) -> str:
    """The one category whose fields are filled; "" when none or several are."""
    filled = {
        category
        for category, names in FIELDS.items()
        for name in names
        if data.get(name) not in (None, "", [], ())
    }
    return filled.pop() if len(filled) == 1 else ""


def parse_subject(
    data: Mapping[str, Any], pointer: str = ""
) -> tuple[Subject | None, list[Problem]]:
    """A subject and every problem with it (fields named under ``pointer``)."""
    problems: list[Problem] = []
    category, values = _read_values(data, pointer, problems)
    # Left out, the category is the one whose fields are filled in.
    category = CATEGORY_WORDS.get(category, category) or infer_category(
        {**values.text, **values.lists}
    )
    if category not in CATEGORIES:
        if category:
            problems.append(Problem(N_("Unknown category {category}: a subject is a person, a "
                                       "firearm or a vehicle."), f"{pointer}/category",
                                    {"category": category}))  # fmt: skip
        else:
            problems.append(Problem(N_("Say whether this is a person, a firearm or a vehicle "
                                       "(fill in the fields of one of them only)."),
                                    f"{pointer}/category"))  # fmt: skip
        return None, problems
    for name in [*values.text, *values.lists]:
        if name not in FIELDS[category]:
            problems.append(Problem(N_("This field is not one of a {category}'s: leave it empty "
                                       "or ask about it as a subject of its own."),
                                    f"{pointer}/{name}", {"category": category}))  # fmt: skip
        elif len(values.text.get(name, "")) > MAX_FIELD:
            problems.append(Problem(N_("At most {limit} characters."), f"{pointer}/{name}",
                                    {"limit": MAX_FIELD}))  # fmt: skip
        else:
            for number, item in enumerate(values.lists.get(name, ())):
                if len(item) > MAX_FIELD:
                    problems.append(Problem(N_("At most {limit} characters."),
                                            f"{pointer}/{name}/{number}", {"limit": MAX_FIELD}))  # fmt: skip
    kept = {n: v for n, v in values.text.items() if n in FIELDS[category]}
    lists = {n: v for n, v in values.lists.items() if n in FIELDS[category]}
    subject = Subject.stored({"category": category, **kept, **lists})
    problems += check(subject, pointer)
    return subject, problems


def check(subject: Subject, pointer: str = "") -> list[Problem]:
    """What keeps this subject from being asked about, field by field."""
    if subject.category == "person":
        problems = _check_person(subject, pointer)
    elif subject.category == "firearm":
        problems = _check_firearm(subject, pointer)
    elif subject.category == "vehicle":
        problems = _check_vehicle(subject, pointer)
    else:
        return [Problem(N_("Unknown category {category}: a subject is a person, a firearm or a "
                           "vehicle."), f"{pointer}/category", {"category": subject.category})]  # fmt: skip
    # Checked in the latest version: the query's keys follow the one the partner answers in.
    if not problems and not subject.keys(LATEST).keys:
        problems.append(Problem(N_("This gives no match key: a person needs a date of birth "
                                   "(or the year, with a given name written in full) or an "
                                   "identity document."),
                                f"{pointer}/date_of_birth"))  # fmt: skip
    return problems


def _check_person(subject: Subject, pointer: str) -> list[Problem]:
    problems = []
    surname = subject.paternal_surname or subject.maternal_surname
    if not subject.documents:
        if not subject.given_names and not surname:
            problems.append(Problem(N_("A person needs a given name and a surname, or an "
                                       "identity document."), f"{pointer}/given_names"))  # fmt: skip
        elif not subject.given_names:
            problems.append(Problem(N_("Give the person's given name too, or an identity "
                                       "document."), f"{pointer}/given_names"))  # fmt: skip
        elif not surname:
            problems.append(Problem(N_("Give the person's surname too, or an identity "
                                       "document."), f"{pointer}/paternal_surname"))  # fmt: skip
    if subject.date_of_birth and not birth_date(subject.date_of_birth)[1]:
        problems.append(Problem(N_("{value} is not a date of birth (YYYY-MM-DD or YYYY)."),
                                f"{pointer}/date_of_birth", {"value": subject.date_of_birth}))  # fmt: skip
    for number, text in enumerate(subject.other_dates_of_birth):
        if not birth_date(text)[1]:
            problems.append(Problem(N_("{value} is not a date of birth (YYYY-MM-DD or YYYY)."),
                                    f"{pointer}/other_dates_of_birth/{number}", {"value": text}))  # fmt: skip
    for number, text in enumerate(subject.documents):
        if parse_document(text) is None:
            problems.append(Problem(N_("{value} is not a document: write TYPE:NUMBER or "
                                       "TYPE:NUMBER:ISSUER, TYPE one of {types}."),
                                    f"{pointer}/documents/{number}",
                                    {"value": text, "types": ", ".join(DOCUMENT_TYPES)}))  # fmt: skip
    return problems


def _check_firearm(subject: Subject, pointer: str) -> list[Problem]:
    problems = []
    if not compact(subject.serial):
        problems.append(Problem(N_("A firearm needs its serial number."), f"{pointer}/serial"))
    if not compact(subject.manufacturer):
        # A serial alone would match every maker's firearm with that number.
        problems.append(Problem(N_("A firearm needs its manufacturer as well as its serial "
                                   "number: serial numbers are unique only per manufacturer."),
                                f"{pointer}/manufacturer"))  # fmt: skip
    return problems


def _check_vehicle(subject: Subject, pointer: str) -> list[Problem]:
    problems = []
    number = vin(subject.vin)
    if number and len(number) < MIN_VIN:
        problems.append(Problem(N_("{value} is too short to be a VIN."), f"{pointer}/vin",
                                {"value": number}))  # fmt: skip
    if compact(subject.plate) and not compact(subject.plate_issuer):
        # Plates repeat across states and countries: alone, one would match strangers' cars.
        problems.append(Problem(N_("A plate needs its issuing state or country."),
                                f"{pointer}/plate_issuer"))  # fmt: skip
    if not number and not compact(subject.plate):
        problems.append(Problem(N_("A vehicle needs a VIN, or a plate with its issuing state or "
                                   "country."), f"{pointer}/vin"))  # fmt: skip
    return problems


def subjects_from_dicts(
    items: Sequence[Mapping[str, Any]], pointer: str = "/subjects"
) -> list[Subject]:
    """Checked subjects; every problem of every item at once, under ``pointer/<index>``."""
    subjects: list[Subject] = []
    problems: list[Problem] = []
    if not items:
        problems.append(Problem(N_("Nothing to ask: give at least one subject."), pointer))
    for index, item in enumerate(items):
        subject, found = parse_subject(item, f"{pointer}/{index}")
        problems += found
        if subject is not None:
            subjects.append(subject)
    if problems:
        raise InvalidInput(problems)
    return subjects


def decode(data: bytes) -> str:
    """A file's text: UTF-8 (with or without its byte-order mark), else Latin-1 (Excel)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def subjects_from_csv(text: str | bytes, *, max_rows: int = 2000) -> list[Subject]:
    """One subject per row under a header naming the columns (any of :data:`CSV_COLUMNS`).

    The category column may be left out, or a cell of it empty: the filled columns tell. Each
    problem points at ``/csv/<line>/<column>``, lines counted from 1 for the header.
    """
    content = decode(text) if isinstance(text, bytes) else text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(content, newline=""))
    problems: list[Problem] = []
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)  # blank lines before the header
        if header is None:
            raise InvalidInput([Problem(N_("The list is empty: it needs a header row naming "
                                           "the columns, then one row per subject."), "/csv")])  # fmt: skip
        columns = _columns(header, reader.line_num, problems)
        rows: list[tuple[int, list[str]]] = []
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise InvalidInput([Problem(N_("Line {line} cannot be read as CSV: {reason}"),
                                    f"/csv/{reader.line_num}",
                                    {"line": reader.line_num, "reason": str(exc)})]) from None  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    if not rows:
        raise InvalidInput([Problem(N_("The list has a header but no row under it."), "/csv")])
    if len(rows) > max_rows:
        raise InvalidInput([Problem(N_("A list may hold at most {limit} rows, not {count}."),
                                    "/csv", {"limit": max_rows, "count": len(rows)})])  # fmt: skip
    subjects = []
    for line, row in rows:
        subject = _row_subject(columns, line, row, problems)
        if subject is not None:
            subjects.append(subject)
    if problems:
        raise InvalidInput(problems)
    return subjects


def _columns(header: list[str], line: int, problems: list[Problem]) -> list[str]:
    columns = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in header]
    seen: set[str] = set()
    for name in columns:
        if not name:
            continue  # a trailing separator names nothing
        if name not in CSV_COLUMNS:
            problems.append(Problem(N_("Unknown column {column}: the columns are {columns}."),
                                    f"/csv/{line}/{name}",
                                    {"column": name, "columns": ", ".join(CSV_COLUMNS)}))  # fmt: skip
        elif name in seen:
            problems.append(Problem(N_("The column {column} appears twice."),
                                    f"/csv/{line}/{name}", {"column": name}))  # fmt: skip
        seen.add(name)
    return columns


def _row_subject(
    columns: list[str], line: int, row: list[str], problems: list[Problem]
) -> Subject | None:
    where = f"/csv/{line}"
    if any(cell.strip() for cell in row[len(columns) :]):
        problems.append(Problem(N_("Line {line} has more values than the header has columns."),
                                where, {"line": line}))  # fmt: skip
        return None
    data = {name: cell for name, cell in zip(columns, row, strict=False) if name and cell.strip()}
    subject, found = parse_subject(data, where)
    problems += found
    return subject if not found else None
