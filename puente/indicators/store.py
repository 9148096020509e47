"""Importing public datasets into the node: read (puente.indicators.sources), then store the
figures in one transaction, idempotently, and record what was skipped and why.

Importing the same file twice adds nothing; a newer window of the same series replaces the
figures it revises and adds the months it brings. Where windows overlap (CBP drugs), each
fiscal year is held whole from the newest window imported so far: a newer-or-same window
replaces the year (figures it no longer lists are removed), an older one leaves it alone
and is reported as skipped for it. All of it or none: a file with an error stores nothing
(the readers raise before anything is written).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import now
from puente.errors import N_, NP_, InvalidInput, Problem
from puente.indicators.models import SourceFigure, SourceFiscalYear, SourceImport
from puente.indicators.sources.cbp_drugs import SERIES as CBP_DRUGS
from puente.indicators.sources.cbp_drugs import read_cbp_drugs
from puente.indicators.sources.cbp_weapons import read_cbp_weapons
from puente.indicators.sources.common import ImportReport, Note, Observation, fiscal_year_of
from puente.indicators.sources.sesnsp import read_sesnsp
from puente.indicators.sources.shipped import read_shipped
from puente.policy.roles import Principal, require

Reader = Callable[[Sequence[Path]], tuple[list[Observation], ImportReport]]


def _one(read: Callable[[Path], tuple[list[Observation], ImportReport]]) -> Reader:
    def reader(paths: Sequence[Path]) -> tuple[list[Observation], ImportReport]:
        if len(paths) != 1:
            raise InvalidInput([Problem(N_("Give exactly one file for this dataset."), "")])
        return read(paths[0])

    return reader


# Series published in overlapping windows of fiscal years, each year held whole from the newest.
WINDOWED_SERIES = (CBP_DRUGS,)

READERS: dict[str, Reader] = {
    "cbp-drugs": read_cbp_drugs,
    "cbp-weapons": _one(read_cbp_weapons),
    "sesnsp": _one(read_sesnsp),
}


@dataclass
class Stored:
    kind: str
    rows_read: int
    added: int
    changed: int
    unchanged: int
    skipped: int
    skipped_notes: list[Note]
    warnings: list[Note]
    removed: int = 0


Held = dict[tuple[str, date, str, str], tuple[int, float]]  # cell -> (id, value)


def dims_key(observation: Observation) -> str:
    return "|".join(f"{name}={value}" for name, value in observation.dimensions)


def import_files(session: Session, who: Principal, kind: str, paths: Sequence[Path]) -> Stored:
    """Read ``paths`` as dataset ``kind`` and store its figures."""
    require(who, "plan.write")
    reader = READERS.get(kind)
    if reader is None:
        raise InvalidInput([Problem(N_("Unknown dataset {kind}; use one of: {kinds}."), "/kind",
                                    {"kind": kind, "kinds": ", ".join(READERS)})])  # fmt: skip
    observations, report = reader(paths)
    return store(session, who, kind, observations, report)


def import_shipped(session: Session, who: Principal) -> Stored:
    """The compact subset the product ships for its demo (puente/indicators/data)."""
    observations = read_shipped()
    files = sorted({o.source for o in observations})
    report = ImportReport(files=files, rows_read=len(observations), observations=len(observations))
    stored = store(session, who, "shipped", observations, report)
    # The subset names no windows of its own (it replaces nothing), but its fiscal years
    # come from the newest public file: an older one imported later must leave them.
    for series in WINDOWED_SERIES:
        _remember_windows(session, series)
    return stored


def store(session: Session, who: Principal, kind: str, observations: Sequence[Observation],
          report: ImportReport) -> Stored:  # fmt: skip
    held: Held = {}
    for series in sorted({o.series for o in observations}):
        rows = session.execute(
            select(SourceFigure.id, SourceFigure.period, SourceFigure.dims, SourceFigure.measure,
                   SourceFigure.value).where(SourceFigure.series == series)
        )  # fmt: skip
        for pk, period, dims, measure, value in rows:
            held[(series, period, dims, measure)] = (pk, value)
    observations, gone, held_back, warnings = _newest_windows(session, observations, report, held)
    fresh: list[dict[str, Any]] = []
    revised: list[dict[str, Any]] = []
    unchanged = 0
    for o in observations:
        key = (o.series, o.period, dims_key(o), o.measure)
        found = held.get(key)
        if found is None:
            fresh.append({"series": o.series, "period": o.period, "dims": key[2],
                          "measure": o.measure, "value": o.value, "source": o.source[:200],
                          "line": o.line})  # fmt: skip
        elif found[1] != o.value:
            revised.append({"pk": found[0], "value": o.value, "source": o.source[:200],
                            "line": o.line})  # fmt: skip
        else:
            unchanged += 1
    table = cast(Table, SourceFigure.__table__)
    if fresh:
        session.execute(insert(table), fresh)
    if revised:
        session.execute(
            update(table).where(table.c.id == bindparam("pk"))
            .values(value=bindparam("value"), source=bindparam("source"), line=bindparam("line")),
            revised,
        )  # fmt: skip
    if gone:
        session.execute(delete(table).where(table.c.id == bindparam("pk")),
                        [{"pk": pk} for pk in gone])  # fmt: skip
    skipped_notes = [*report.skipped, *held_back.values()]
    notes = {
        "skipped": [{"source": n.source, "line": n.line, "message": n.text()} for n in skipped_notes],
        "warnings": [{"source": n.source, "line": n.line, "message": n.text()} for n in warnings],
        "fiscal_years": {str(year): name for year, name in report.fiscal_year_sources.items()
                         if year not in held_back},
        "removed": len(gone),
    }  # fmt: skip
    session.add(SourceImport(kind=kind, files=",".join(report.files), rows_read=report.rows_read,
                             added=len(fresh), changed=len(revised), unchanged=unchanged,
                             skipped=len(skipped_notes), report=orjson.dumps(notes).decode(),
                             imported_by=who.username, imported_at=now()))  # fmt: skip
    audit.append(session, who.username, "indicators.import", kind,
                 details={"files": report.files, "added": len(fresh), "changed": len(revised),
                          "unchanged": unchanged, "removed": len(gone),
                          "skipped": len(skipped_notes)})  # fmt: skip
    return Stored(
        kind,
        report.rows_read,
        len(fresh),
        len(revised),
        unchanged,
        len(skipped_notes),
        skipped_notes,
        warnings,
        len(gone),
    )


def _remember_windows(session: Session, series: str) -> None:
    """Record the window of each fiscal year of ``series`` held without one (figures from the
    shipped subset, or imported before windows were recorded): the file most of its figures
    came from, and the latest month that file reaches among the figures held."""
    recorded = set(session.execute(select(SourceFiscalYear.fiscal_year)
                                   .where(SourceFiscalYear.series == series)).scalars())  # fmt: skip
    reach: dict[str, date] = {}
    sources: dict[int, Counter[str]] = {}
    for period, source in session.execute(
        select(SourceFigure.period, SourceFigure.source).where(SourceFigure.series == series)
    ):
        reach[source] = max(reach.get(source, period), period)
        sources.setdefault(fiscal_year_of(period), Counter())[source] += 1
    for year, counted in sorted(sources.items()):
        if year not in recorded:
            source = counted.most_common(1)[0][0]
            session.add(SourceFiscalYear(series=series, fiscal_year=year, through=reach[source],
                                         source=source[:200]))  # fmt: skip
    session.flush()


def _newest_windows(
    session: Session, observations: Sequence[Observation], report: ImportReport, held: Held
) -> tuple[list[Observation], list[int], dict[int, Note], list[Note]]:
    """Each fiscal year whole from the newest window imported so far, across imports.

    Returns the observations to store, the ids of held figures to remove (a newer-or-same
    window replaces their year and no longer lists them: CBP revised them away), a note per
    fiscal year left as it is (a newer window holds it), and the warnings.
    """
    warnings = list(report.warnings)
    held_back: dict[int, Note] = {}
    if not report.fiscal_year_through:
        return list(observations), [], held_back, warnings
    for series in sorted({o.series for o in observations}):
        _remember_windows(session, series)
    first_line: dict[tuple[str, int], int] = {}
    for o in observations:
        key = (o.series, fiscal_year_of(o.period))
        first_line[key] = min(first_line.get(key, o.line), o.line)
    incoming = {(o.series, o.period, dims_key(o), o.measure) for o in observations}
    gone: list[int] = []
    for (series, year), line in sorted(first_line.items()):
        through, source = report.fiscal_year_through[year], report.fiscal_year_sources[year]
        holder = session.get(SourceFiscalYear, (series, year))
        if holder is not None and holder.through > through:
            held_back[year] = Note(source, line, N_(
                "FY{year} is held from a newer file ({held}, through {through}); the figures "
                "of {file} for that year are left out."),
                {"year": year, "held": holder.source, "through": f"{holder.through:%Y-%m}",
                 "file": source})  # fmt: skip
            continue
        stale = [pk for cell, (pk, _) in held.items() if cell[0] == series
                 and fiscal_year_of(cell[1]) == year and cell not in incoming]  # fmt: skip
        if stale:
            gone.extend(stale)
            warnings.append(Note(source, 0, NP_(
                "FY{year}: {count} figure that {file} no longer lists was removed.",
                "FY{year}: {count} figures that {file} no longer lists were removed."),
                {"year": year, "count": len(stale), "file": source}))  # fmt: skip
        if holder is None:
            session.add(SourceFiscalYear(series=series, fiscal_year=year, through=through,
                                         source=source[:200]))  # fmt: skip
        else:
            holder.through, holder.source = through, source[:200]
    kept = [o for o in observations if fiscal_year_of(o.period) not in held_back]
    return kept, gone, held_back, warnings
