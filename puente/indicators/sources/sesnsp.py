"""SESNSP crime incidence by state and month (Mexico's *fuero común*, new methodology).

Source: Secretariado Ejecutivo del Sistema Nacional de Seguridad Pública (SESNSP),
*Incidencia delictiva del fuero común, nueva metodología*, state level ("IDEFC_NM"),
January 2015 to May 2022, file ``IDEFC_NM_may22_latin1.csv``. Latin-1 text; columns Año,
Clave_Ent, Entidad, Bien jurídico afectado, Tipo de delito, Subtipo de delito, Modalidad,
Enero … Diciembre. One row per year, state and modality; each month holds the number of
crimes recorded in investigation files opened that month. Months not yet published are
empty (skipped, and counted in a warning per year); numbers may carry thousands separators
("1,234"). A year, state and modality listed twice is added up and reported in a warning.

Emits series ``sesnsp.incidence``, measure ``incidents``, dimensions ``bien_juridico``,
``state`` (Entidad as written), ``state_code`` (INEGI two-digit code, "01" … "32"),
``tipo``, ``subtipo``: the modalities of a subtype are summed (homicidio doloso = con arma
de fuego + con arma blanca + con otro elemento + no especificado). With
``modalities=True`` each modality is its own observation, under a ``modalidad`` dimension.
"""

from __future__ import annotations

import math
from datetime import date
from functools import cache
from pathlib import Path

from puente.errors import N_, NP_
from puente.indicators.sources.common import (
    FIRST_YEAR,
    LAST_YEAR,
    Dimensions,
    ImportReport,
    Note,
    Observation,
    Table,
    dimensions,
)

SERIES = "sesnsp.incidence"
YEAR, STATE_CODE, STATE, GOOD, TYPE, SUBTYPE, MODALITY = (
    "Año", "Clave_Ent", "Entidad", "Bien jurídico afectado", "Tipo de delito",
    "Subtipo de delito", "Modalidad",
)  # fmt: skip
MONTHS = (
    "Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre",
    "Octubre", "Noviembre", "Diciembre",
)  # fmt: skip
COLUMNS = (YEAR, STATE_CODE, STATE, GOOD, TYPE, SUBTYPE, MODALITY, *MONTHS)
STATES = 32  # INEGI numbers Mexico's states 1 to 32


def read_sesnsp(path: Path, *, modalities: bool = False) -> tuple[list[Observation], ImportReport]:
    """Observations of one SESNSP state-level incidence file (latin-1, or UTF-8 if it is)."""
    table = Table(path, COLUMNS, encoding=_encoding(path))
    report = ImportReport(files=[table.source])
    cells: dict[tuple[date, Dimensions], tuple[float, int]] = {}
    unpublished: dict[int, dict[int, int]] = {}  # year -> month -> empty figures
    first_lines: dict[tuple[int, int, str, str, str, str, str], int] = {}
    for row in table.rows():
        year = table.integer(row, YEAR, FIRST_YEAR, LAST_YEAR)
        code = table.integer(row, STATE_CODE, 1, STATES)
        labels = [table.label(row, c) for c in (STATE, GOOD, TYPE, SUBTYPE, MODALITY)]
        if year is None or code is None or None in labels:
            continue  # a problem was recorded; the file is rejected once it is all read
        state, good, kind, subtype, modality = (str(label) for label in labels)
        # SESNSP lists each year, state and modality once; a repeat is most likely the same
        # row pasted twice, which the sum below would double: say so.
        first = first_lines.setdefault((year, code, state, good, kind, subtype, modality),
                                       row.line)  # fmt: skip
        if first != row.line:
            report.warnings.append(Note(table.source, row.line, N_(
                "Line {line} repeats the year, state and modality of line {first}; the "
                "figures are added."), {"line": row.line, "first": first}))  # fmt: skip
        names = {"bien_juridico": good, "state": state, "state_code": f"{code:02d}",
                 "subtipo": subtype, "tipo": kind}  # fmt: skip
        if modalities:
            names["modalidad"] = modality
        dims = dimensions(**names)
        periods = _months(year)
        for month, column in enumerate(MONTHS, start=1):
            text = row.values[column].strip()
            if not text:
                # Not yet published (the months after the cut-off): expected, not a skip.
                months = unpublished.setdefault(year, {})
                months[month] = months.get(month, 0) + 1
                continue
            try:  # the common case, before the checks of Table.number
                value = float(text)
            except ValueError:
                value = None
            if value is None or value < 0 or not math.isfinite(value) or not value.is_integer():
                value = table.count(row, column)
                if value is None:
                    continue
            key = (periods[month], dims)
            total, line = cells.get(key, (0.0, row.line))
            cells[key] = (total + value, line)
    for year, months in sorted(unpublished.items()):
        report.warnings.append(Note(table.source, 0, NP_(
            "{year}: no figure for {months} ({count} empty cell): not yet published.",
            "{year}: no figure for {months} ({count} empty cells): not yet published."),
            {"year": year, "months": ", ".join(MONTHS[m - 1] for m in sorted(months)),
             "count": sum(months.values())}))  # fmt: skip
    observations = [
        Observation(SERIES, period, dims, "incidents", value, table.source, line)
        for (period, dims), (value, line) in cells.items()
    ]
    report.rows_read = table.rows_read
    report.skipped = table.skipped
    report.observations = len(observations)
    return observations, report


@cache
def _months(year: int) -> dict[int, date]:
    return {month: date(year, month, 1) for month in range(1, 13)}


def _encoding(path: Path) -> str:
    """SESNSP publishes latin-1; a copy re-saved as UTF-8 is read as such, not as mojibake."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
    except FileNotFoundError:
        return "latin-1"  # Table reports the missing file
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the 64 KiB read is still UTF-8.
        return "latin-1" if error.start < len(head) - 3 else "utf-8-sig"
    return "utf-8-sig"
