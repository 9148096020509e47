"""CBP Nationwide Drug Seizures, read from the windows CBP publishes, newest figures first.

Source: U.S. Customs and Border Protection, *Nationwide Drug Seizures* (cbp.gov, "Drug
Seizure Statistics"), one CSV per window of fiscal years, e.g.
``cbp_drug_seizures_fy19_22.csv``, ``cbp_drug_seizures_fy22_25.csv``,
``nationwide-drugs-fy23-fy26-apr.csv``. Columns: FY, Month (abbv), Component, Region, Land
Filter, Area of Responsibility, Drug Type, Count of Event, Sum Qty (lbs); one row per month,
area and drug, with no row where nothing was seized.

Windows overlap and CBP revises figures between releases, so **the newest window wins each
fiscal year it holds**: the newest is the file whose data reaches the latest month, and for
every fiscal year the figures of the newest file holding that year are used *in full*
(a cell it no longer lists was revised away, not forgotten). :attr:`ImportReport.overlaps`
counts what each replacement changed.

Emits series ``cbp.drugs``, dimensions ``aor``, ``component``, ``drug``, ``land_filter``,
``region``, measures ``events`` (Count of Event) and ``weight_lb`` (Sum Qty (lbs)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from puente.errors import N_, InvalidInput, Problem
from puente.indicators.sources.common import (
    Dimensions,
    ImportReport,
    Note,
    Observation,
    Overlap,
    Table,
    dimensions,
    fiscal_month,
    normalize_name,
)

SERIES = "cbp.drugs"
FY, MONTH, EVENTS, WEIGHT = "FY", "Month (abbv)", "Count of Event", "Sum Qty (lbs)"
COMPONENT, REGION, LAND, AOR, DRUG = (
    "Component", "Region", "Land Filter", "Area of Responsibility", "Drug Type",
)  # fmt: skip
COLUMNS = (FY, MONTH, COMPONENT, REGION, LAND, AOR, DRUG, EVENTS, WEIGHT)
MEASURES = ((EVENTS, "events"), (WEIGHT, "weight_lb"))

Cell = tuple[date, Dimensions, str]


@dataclass
class _Window:
    """One file's figures, by fiscal year, keyed by (month, dimensions, measure)."""

    source: str
    order: int
    by_year: dict[int, dict[Cell, tuple[float, int]]] = field(default_factory=dict)
    reach: date = date.min

    def months(self, fiscal_year: int) -> set[date]:
        return {period for period, _, _ in self.by_year[fiscal_year]}


def read_cbp_drugs(paths: Sequence[Path]) -> tuple[list[Observation], ImportReport]:
    """Observations of every window in ``paths``, each fiscal year from the newest file.

    The order of ``paths`` does not matter (newest is decided by the data); observations
    come by fiscal year, then in the order of the file that gave the year.
    """
    if not paths:
        raise InvalidInput([Problem(N_("No CBP drug seizure file was given."))])
    report = ImportReport(files=[path.name for path in paths])
    windows = [_read_window(path, order, report) for order, path in enumerate(paths)]
    observations: list[Observation] = []
    for year in sorted({year for window in windows for year in window.by_year}):
        holders = [window for window in windows if year in window.by_year]
        # Newest = reaches the latest month; on a tie, the file given last.
        used = max(holders, key=lambda window: (window.reach, window.order))
        report.fiscal_year_sources[year] = used.source
        report.fiscal_year_through[year] = used.reach
        for other in holders:
            if other is not used:
                report.overlaps.append(_compare(year, used, other))
                _warn_lost_months(year, used, other, report)
        observations.extend(
            Observation(SERIES, period, dims, measure, value, used.source, line)
            for (period, dims, measure), (value, line) in used.by_year[year].items()
        )
    report.observations = len(observations)
    return observations, report


def _read_window(path: Path, order: int, report: ImportReport) -> _Window:
    table = Table(path, COLUMNS)
    window = _Window(path.name, order)
    for row in table.rows():
        fiscal = table.fiscal_year(row, FY)
        month = table.month(row, MONTH)
        labels = [table.label(row, column) for column in (COMPONENT, REGION, LAND, AOR, DRUG)]
        # Count of Event is a number of seizures; only the weight may be fractional.
        figures = [(measure, table.count(row, column) if column == EVENTS
                    else table.number(row, column)) for column, measure in MEASURES]  # fmt: skip
        if fiscal is None or month is None or None in labels:
            continue  # a problem was recorded; the file is rejected once it is all read
        component, region, land, aor, drug = (str(label) for label in labels)
        period = fiscal_month(fiscal[0], month)
        dims = dimensions(aor=normalize_name(aor), component=component, drug=drug,
                          land_filter=land, region=region)  # fmt: skip
        cells = window.by_year.setdefault(fiscal[0], {})
        repeated = False
        for measure, value in figures:
            if value is None:
                continue
            cell = (period, dims, measure)
            if cell not in cells:
                cells[cell] = (value, row.line)
                continue
            # CBP lists each month, area and drug once; two spellings of one area (the case
            # differs between releases) would meet here: add them, and say so once a row.
            first = cells[cell][1]
            cells[cell] = (cells[cell][0] + value, first)
            if not repeated:
                repeated = True
                report.warnings.append(
                    Note(
                        window.source,
                        row.line,
                        N_(
                            "Line {line} repeats a month, area and drug seen on line {first}; "
                            "the figures are added."
                        ),
                        {"line": row.line, "first": first},
                    )
                )
        window.reach = max(window.reach, period)
    report.rows_read += table.rows_read
    report.skipped.extend(table.skipped)
    return window


def _compare(year: int, used: _Window, replaced: _Window) -> Overlap:
    new, old = used.by_year[year], replaced.by_year[year]
    both = new.keys() & old.keys()
    revised = sum(1 for cell in both if abs(new[cell][0] - old[cell][0]) > 1e-9)
    return Overlap(year, used.source, replaced.source, revised, len(old.keys() - new.keys()),
                   len(new.keys() - old.keys()))  # fmt: skip


def _warn_lost_months(year: int, used: _Window, replaced: _Window, report: ImportReport) -> None:
    """The newest file wins a whole fiscal year; months only an older one had are dropped."""
    lost = sorted(replaced.months(year) - used.months(year))
    if lost:
        report.warnings.append(Note(replaced.source, 0, N_(
            "FY{year}: {months} only in {file}, which {used} replaces for that year; those "
            "months are left out."), {"year": year, "months": ", ".join(f"{m:%Y-%m}" for m in lost),
                                      "file": replaced.source, "used": used.source}))  # fmt: skip
