"""CBP Weapons and Ammunition Seizures, counted by month, area and direction of travel.

Source: U.S. Customs and Border Protection, *Weapons and Ammunition Seizures* (cbp.gov),
FY2022 to April 2025, file ``cbp_weapons_seizures_fy22_25.csv``. Columns: Fiscal Year,
Month (abbv), Component, Region, Area of Responsibility, Inbound/Outbound, Mode of
Transportation, Seizure Type, Category, Event ID, Quantity Seized; one row per kind of item
seized in an event, so one event spans several rows.

Emits series ``cbp.weapons``, per month and cell of dimensions ``aor``, ``component``,
``direction`` (Inbound, Outbound, Other), ``region``, ``seizure_type`` ("Weapons",
"Ammunition & Gun Parts", or "All" for both together) and ``southbound`` ("yes" for
OUTBOUND at the Southwest Border: guns and ammunition leaving the United States toward
Mexico), the measures ``events`` (distinct Event IDs) and ``items`` (sum of Quantity Seized:
firearms, rounds, parts). One event can seize both types, so **events do not add up across
seizure types**: select ``seizure_type`` "All" for the events of a cell.

A row with an empty Quantity Seized (the FY2022-25 file has five) is reported as skipped for
its quantity; its event still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from puente.errors import N_
from puente.indicators.sources.common import (
    Dimensions,
    ImportReport,
    Note,
    Observation,
    Table,
    dimensions,
    fiscal_month,
    normalize_name,
)

SERIES = "cbp.weapons"
FY, MONTH, COMPONENT, REGION, AOR = (
    "Fiscal Year", "Month (abbv)", "Component", "Region", "Area of Responsibility",
)  # fmt: skip
DIRECTION, MODE, TYPE, CATEGORY, EVENT, QUANTITY = (
    "Inbound/Outbound", "Mode of Transportation", "Seizure Type", "Category", "Event ID",
    "Quantity Seized",
)  # fmt: skip
COLUMNS = (FY, MONTH, COMPONENT, REGION, AOR, DIRECTION, MODE, TYPE, CATEGORY, EVENT, QUANTITY)
SOUTHWEST = "Southwest Border"
ALL_TYPES = "All"
# A 32-bit integer's minimum: an identifier that overflowed on CBP's side, not an event's own.
PLACEHOLDER_EVENT = "-2147483648"


@dataclass
class _Cell:
    line: int
    events: set[str] = field(default_factory=set)
    items: float = 0.0


def read_cbp_weapons(path: Path) -> tuple[list[Observation], ImportReport]:
    """Observations of one CBP weapons and ammunition seizures file."""
    table = Table(path, COLUMNS)
    report = ImportReport(files=[table.source])
    cells: dict[tuple[date, Dimensions], _Cell] = {}
    placeholder_lines: list[int] = []
    for row in table.rows():
        fiscal = table.fiscal_year(row, FY)
        month = table.month(row, MONTH)
        labels = [table.label(row, c) for c in (COMPONENT, REGION, AOR, DIRECTION, TYPE, EVENT)]
        quantity = table.count(row, QUANTITY)
        if fiscal is None or month is None or None in labels:
            continue  # a problem was recorded; the file is rejected once it is all read
        component, region, aor, direction, kind, event = (str(label) for label in labels)
        # Event IDs are written as floats ("3460425857.0"): the same event, whatever the form.
        event = event.removesuffix(".0")
        if event == PLACEHOLDER_EVENT:
            placeholder_lines.append(row.line)
        period = fiscal_month(fiscal[0], month)
        report.fiscal_year_sources[fiscal[0]] = table.source
        direction = direction.capitalize()
        southbound = "yes" if direction == "Outbound" and region == SOUTHWEST else "no"
        for seizure_type in (kind, ALL_TYPES):
            dims = dimensions(aor=normalize_name(aor), component=component, direction=direction,
                              region=region, seizure_type=seizure_type,
                              southbound=southbound)  # fmt: skip
            cell = cells.get((period, dims))
            if cell is None:
                cell = cells[(period, dims)] = _Cell(row.line)
            cell.events.add(event)
            cell.items += quantity or 0.0
    if placeholder_lines:
        # Within one cell these rows count as one event, which is what they look like (one
        # month, area and direction); they are not merged with anything else.
        report.warnings.append(Note(table.source, placeholder_lines[0], N_(
            "Event ID {event} on lines {lines} is a placeholder, not an identifier; within a "
            "month, area and direction those rows count as one event."),
            {"event": PLACEHOLDER_EVENT, "lines": ", ".join(map(str, placeholder_lines))}))  # fmt: skip
    observations = [
        Observation(SERIES, period, dims, measure, value, table.source, cell.line)
        for (period, dims), cell in cells.items()
        for measure, value in (("events", float(len(cell.events))), ("items", cell.items))
    ]
    report.rows_read = table.rows_read
    report.skipped = table.skipped
    report.observations = len(observations)
    return observations, report
