"""What every dataset reader shares: the observation, the import report, and strict CSV reading.

A reader turns one public data file into :class:`Observation` rows and an
:class:`ImportReport`. What stops a reader and what it only reports is the same for every
source, so the policy lives here:

- **Errors** (:class:`puente.errors.InvalidInput`, every problem with a pointer
  ``/<file>/line/<n>/<column>``): a missing or renamed column, a row with fewer or more fields
  than the header (a truncated or garbled file), a last line with no newline (a file cut
  inside its last field still has the right number of fields), a file with no row after its
  header, a value that is not a number, a negative or fractional count, an unknown month
  abbreviation, a year label that is not a year or lies outside 1990-2100, an empty label the
  row cannot be placed without (year, month, area, state). A file with any of these is not
  imported at all: a half-read series would show as a fall in the indicator.
- **Skipped and reported** (:attr:`ImportReport.skipped`): a blank line, a total row (a label
  starting with "Total"; totals are recomputed from the rows, never read), an empty measure
  (the row's other measure is still read). Publishers leave these in their files and they
  carry no figure that is lost by skipping them.
- **Warnings** (:attr:`ImportReport.warnings`): something true of the data that an operator
  should know, such as months not yet published or a placeholder event identifier.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from puente.errors import N_, InvalidInput, Problem
from puente.i18n import DEFAULT_LOCALE, translate

Dimensions = tuple[tuple[str, str], ...]

# Stop after this many problems: enough to fix a file in one pass, not a wall of text when
# the wrong file was chosen.
MAX_PROBLEMS = 20

# The years these datasets can hold a figure for: a year outside them is a cut or mistyped
# value ("15" for 2015, "0000"), not data, and most of them are not even dates.
FIRST_YEAR, LAST_YEAR = 1990, 2100

MONTHS = {
    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
    "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
}  # fmt: skip

# "2024", "FY2024", "2026 (FYTD)": CBP marks the fiscal year still in progress "(FYTD)".
_FISCAL_YEAR = re.compile(r"(?:FY\s*)?(\d{4})(\s*\(FYTD\))?", re.IGNORECASE)
# "1,234" or "12,345,678.5": thousands separators as SESNSP exports sometimes write them.
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_TOTAL = re.compile(r"(?:grand\s+)?totals?\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Observation:
    """One figure of one series for one calendar month.

    ``dimensions`` are sorted ``(name, value)`` pairs, so two observations of the same cell
    compare equal whatever order a reader built them in. ``source`` and ``line`` name the
    public file and the (first) line the figure was read from.
    """

    series: str
    period: date
    dimensions: Dimensions
    measure: str
    value: float
    source: str
    line: int

    def dimension(self, name: str) -> str:
        """The value of dimension ``name`` ("" when the observation has no such dimension)."""
        for key, value in self.dimensions:
            if key == name:
                return value
        return ""


@dataclass(frozen=True, slots=True)
class Note:
    """A skipped row or a warning: a gettext message id with ``{name}`` fields, and where."""

    source: str
    line: int  # 0 when the note is about the whole file
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def pointer(self) -> str:
        return pointer(self.source, self.line) if self.line else pointer(self.source)

    def text(self) -> str:
        """The English text (the edges translate ``message`` instead)."""
        return translate(DEFAULT_LOCALE, self.message, **self.params)


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two windows of one series both hold a fiscal year; the newer one's figures were used."""

    fiscal_year: int
    used: str
    replaced: str
    revised: int  # cells present in both files with a different figure
    dropped: int  # cells only the replaced file had
    added: int  # cells only the file used has


@dataclass
class ImportReport:
    """What a reader did with its file(s): enough to trust, or question, the observations."""

    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    observations: int = 0
    skipped: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    # Fiscal year -> the file whose figures were used for it (CBP series only).
    fiscal_year_sources: dict[int, str] = field(default_factory=dict)
    # Fiscal year -> the latest month of that file, for series whose windows overlap (CBP
    # drugs): the store keeps each year from the newest window across imports too.
    fiscal_year_through: dict[int, date] = field(default_factory=dict)
    overlaps: list[Overlap] = field(default_factory=list)


def dimensions(**values: str) -> Dimensions:
    return tuple(sorted(values.items()))


@cache  # a few hundred distinct months across all files, tens of thousands of rows
def fiscal_month(fiscal_year: int, month: int) -> date:
    """The first day of ``month`` of a US federal fiscal year (FY2023 runs Oct 2022 … Sep 2023)."""
    return date(fiscal_year - 1 if month >= 10 else fiscal_year, month, 1)


def fiscal_year_of(period: date) -> int:
    """The US federal fiscal year a month belongs to (October 2022 is in FY2023)."""
    return period.year + 1 if period.month >= 10 else period.year


@cache
def parse_fiscal_year(label: str) -> tuple[int, bool] | None:
    """``"2026 (FYTD)"`` -> ``(2026, True)``; ``"2024"`` -> ``(2024, False)``; else None."""
    found = _FISCAL_YEAR.fullmatch(label.strip())
    if found is None:
        return None
    return int(found.group(1)), found.group(2) is not None


@cache
def normalize_name(name: str) -> str:
    """One spelling for an area name whatever the file's case and spacing.

    The drug files write "ATLANTA FIELD OFFICE", the weapons file "Atlanta Field Office";
    both become "Atlanta Field Office", so one indicator can select either series.
    """
    return " ".join(word.capitalize() for word in name.split())


def is_total(values: Sequence[str]) -> bool:
    """A total or subtotal row some exports append: a label that starts with "Total"."""
    # The substring test first: it spares the pattern on almost every row.
    return "total" in "|".join(values).lower() and any(_TOTAL.match(v.strip()) for v in values)


def pointer(source: str, line: int | None = None, column: str | None = None) -> str:
    """An RFC 6901 pointer into a file: ``/<file>/line/<n>/<column>``."""
    parts = [source] if line is None else [source, "line", str(line)]
    if column is not None:
        parts.append(column)
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def file_error(message: str, source: str, **params: Any) -> InvalidInput:
    """An error about a whole file (it cannot be opened or decoded)."""
    return InvalidInput([Problem(message, pointer(source), {"file": source, **params})])


class Problems:
    """Collects what is wrong with a file and raises them together (up to MAX_PROBLEMS)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[Problem] = []

    def add(self, message: str, line: int | None, column: str | None, **params: Any) -> None:
        params = {"file": self.source, **({"line": line} if line else {}), **params}
        if column is not None:
            params["column"] = column
        self.found.append(Problem(message, pointer(self.source, line, column), params))
        if len(self.found) >= MAX_PROBLEMS:
            raise InvalidInput(self.found)

    def check(self) -> None:
        if self.found:
            raise InvalidInput(self.found)


@dataclass
class Row:
    """One data row: its physical line and its fields by column name."""

    line: int
    values: dict[str, str]


class Table:
    """A CSV file read row by row with its header checked: the columns a reader needs must be
    there by name (in any order), and every row must have as many fields as the header."""

    def __init__(self, path: Path, columns: Sequence[str], encoding: str = "utf-8-sig") -> None:
        self.path = path
        self.source = path.name
        self.columns = columns
        self.encoding = encoding
        self.problems = Problems(self.source)
        self.skipped: list[Note] = []
        self.rows_read = 0

    def skip(self, at: int, message: str, **params: Any) -> None:
        self.skipped.append(Note(self.source, at, message, {"line": at, **params}))

    def rows(self) -> Iterator[Row]:
        try:
            complete = _ends_with_newline(self.path)
            with self.path.open(encoding=self.encoding, newline="") as handle:
                yield from self._rows(csv.reader(handle), complete)
        except FileNotFoundError:
            raise file_error(N_("The file {file} does not exist."), self.source) from None
        except UnicodeDecodeError as error:
            raise file_error(
                N_("The file {file} is not {encoding} text (byte {offset})."),
                self.source,
                encoding=self.encoding,
                offset=error.start,
            ) from None
        except csv.Error as error:
            raise file_error(
                N_("The file {file} is not valid CSV: {reason}."), self.source, reason=str(error)
            ) from None

    def _rows(self, reader: Any, complete: bool) -> Iterator[Row]:
        header = next(reader, None)
        if header is None:
            self.problems.add(N_("The file {file} is empty: it has no header row."), None, None)
            self.problems.check()
            return
        header = [name.strip() for name in header]
        for name in self.columns:
            if name not in header:
                self.problems.add(
                    N_("Column {column} is missing from {file} (its header has: {header})."),
                    1, name, header=", ".join(header),
                )  # fmt: skip
        self.problems.check()
        width = len(header)
        for fields in reader:
            line = reader.line_num
            if not fields or not any(value.strip() for value in fields):
                self.skip(line, N_("Line {line} is blank."))
                continue
            self.rows_read += 1
            if is_total(fields):
                self.skip(line, N_("Line {line} is a total row; totals are computed, not read."))
                continue
            if len(fields) != width:
                self.problems.add(
                    N_("Line {line} of {file} has {found} fields where the header has "
                       "{expected}: the file is cut short or garbled."),
                    line, header[min(len(fields), width - 1)], found=len(fields),
                    expected=width,
                )  # fmt: skip
                continue
            yield Row(line, dict(zip(header, fields, strict=True)))
        if not self.rows_read:
            self.problems.add(N_("The file {file} holds no rows after its header."), None, None)
        if not complete:
            # Every publisher's file ends with a newline; without one the last field may have
            # been cut ("345" of "345.25") and would still read as a number.
            self.problems.add(
                N_("The file {file} ends in the middle of line {line}: it may be cut short; "
                   "re-download it."),
                reader.line_num, None,
            )  # fmt: skip
        self.problems.check()

    def label(self, row: Row, column: str) -> str | None:
        """A label the row cannot be placed without; a problem when empty."""
        value = row.values[column].strip()
        if not value:
            self.problems.add(N_("{column} on line {line} of {file} is empty."), row.line, column)
            return None
        return value

    def number(self, row: Row, column: str) -> float | None:
        """A non-negative number (thousands separators allowed); None when empty or wrong.

        An empty value is skipped and reported; anything else that is not a number is a
        problem.
        """
        text = row.values[column].strip()
        if not text:
            self.skip(row.line, N_("{column} is empty on line {line}."), column=column)
            return None
        try:
            value = float(text)
        except ValueError:
            value = float(text.replace(",", "")) if _THOUSANDS.fullmatch(text) else math.nan
        if not math.isfinite(value):
            self.problems.add(N_("{column} on line {line} of {file} is not a number: {value}."),
                              row.line, column, value=text)  # fmt: skip
            return None
        if value < 0:
            self.problems.add(N_("{column} on line {line} of {file} is negative: {value}."),
                              row.line, column, value=text)  # fmt: skip
            return None
        return value

    def count(self, row: Row, column: str) -> float | None:
        """A number of things (events, items, crimes): as :meth:`number`, and whole."""
        value = self.number(row, column)
        if value is not None and not value.is_integer():
            self.problems.add(N_("{column} on line {line} of {file} is not a whole number: "
                                 "{value}."), row.line, column, value=row.values[column])  # fmt: skip
            return None
        return value

    def integer(self, row: Row, column: str, first: int, last: int) -> int | None:
        """A whole number from ``first`` to ``last`` such as a year or a state code; a problem
        when empty, not whole or out of range."""
        if self.label(row, column) is None:
            return None
        value = self.count(row, column)
        if value is None:
            return None
        if not first <= value <= last:
            self.out_of_range(row, column, first, last)
            return None
        return int(value)

    def out_of_range(self, row: Row, column: str, first: int, last: int) -> None:
        self.problems.add(N_("{column} on line {line} of {file} is not between {first} and "
                             "{last}: {value}."), row.line, column, first=first, last=last,
                          value=row.values[column].strip())  # fmt: skip

    def month(self, row: Row, column: str) -> int | None:
        text = row.values[column].strip()
        month = MONTHS.get(text.upper()[:3]) if len(text) == 3 else None
        if month is None:
            self.problems.add(
                N_("{column} on line {line} of {file} is not a month abbreviation "
                   "(JAN … DEC): {value}."),
                row.line, column, value=text,
            )  # fmt: skip
        return month

    def fiscal_year(self, row: Row, column: str) -> tuple[int, bool] | None:
        text = row.values[column]
        parsed = parse_fiscal_year(text)
        if parsed is None:
            self.problems.add(
                N_("{column} on line {line} of {file} is not a fiscal year such as 2024 or "
                   "2026 (FYTD): {value}."),
                row.line, column, value=text,
            )  # fmt: skip
        elif not FIRST_YEAR <= parsed[0] <= LAST_YEAR:
            self.out_of_range(row, column, FIRST_YEAR, LAST_YEAR)
            return None
        return parsed


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        if handle.seek(0, 2) == 0:
            return True  # empty: reported as having no header
        handle.seek(-1, 2)
        return handle.read(1) in (b"\n", b"\r")
