"""Importing public datasets into the node: read (puente.indicators.sources), then store the
figures in one transaction, idempotently, and record what was skipped and why.

Importing the same file twice adds nothing; a newer window of the same series replaces the
figures it revises and adds the months it brings. All of it or none: a file with an error
stores nothing (the readers raise before anything is written).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from puente.accounts.service import Principal, now, require
from puente.audit import service as audit
from puente.errors import N_, InvalidInput, Problem
from puente.indicators.models import SourceFigure, SourceImport
from puente.indicators.sources.cbp_drugs import read_cbp_drugs
from puente.indicators.sources.cbp_weapons import read_cbp_weapons
from puente.indicators.sources.common import ImportReport, Note, Observation
from puente.indicators.sources.sesnsp import read_sesnsp
from puente.indicators.sources.shipped import read_shipped

Reader = Callable[[Sequence[Path]], tuple[list[Observation], ImportReport]]


def _one(read: Callable[[Path], tuple[list[Observation], ImportReport]]) -> Reader:
    def reader(paths: Sequence[Path]) -> tuple[list[Observation], ImportReport]:
        if len(paths) != 1:
            raise InvalidInput([Problem(N_("Give exactly one file for this dataset."), "")])
        return read(paths[0])

    return reader


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
    return store(session, who, "shipped", observations, report)


def store(session: Session, who: Principal, kind: str, observations: Sequence[Observation],
          report: ImportReport) -> Stored:  # fmt: skip
    held: dict[tuple[str, Any, str, str], tuple[int, float]] = {}
    for series in sorted({o.series for o in observations}):
        rows = session.execute(
            select(SourceFigure.id, SourceFigure.period, SourceFigure.dims, SourceFigure.measure,
                   SourceFigure.value).where(SourceFigure.series == series)
        )  # fmt: skip
        for pk, period, dims, measure, value in rows:
            held[(series, period, dims, measure)] = (pk, value)
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
        from sqlalchemy import bindparam

        session.execute(
            update(table).where(table.c.id == bindparam("pk"))
            .values(value=bindparam("value"), source=bindparam("source"), line=bindparam("line")),
            revised,
        )  # fmt: skip
    notes = {
        "skipped": [{"source": n.source, "line": n.line, "message": n.text()} for n in report.skipped],
        "warnings": [{"source": n.source, "line": n.line, "message": n.text()}
                     for n in report.warnings],
        "fiscal_years": {str(year): name for year, name in report.fiscal_year_sources.items()},
    }  # fmt: skip
    session.add(SourceImport(kind=kind, files=",".join(report.files), rows_read=report.rows_read,
                             added=len(fresh), changed=len(revised), unchanged=unchanged,
                             skipped=len(report.skipped), report=orjson.dumps(notes).decode(),
                             imported_by=who.username, imported_at=now()))  # fmt: skip
    audit.append(session, who.username, "indicators.import", kind,
                 details={"files": report.files, "added": len(fresh), "changed": len(revised),
                          "unchanged": unchanged, "skipped": len(report.skipped)})  # fmt: skip
    return Stored(
        kind,
        report.rows_read,
        len(fresh),
        len(revised),
        unchanged,
        len(report.skipped),
        list(report.skipped),
        list(report.warnings),
    )
