"""`puente indicators`: bring public datasets (CBP seizures, SESNSP incidence) into the node."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from puente.cli.common import (
    ActAs,
    DataDir,
    acting_user,
    console,
    errors,
    handles_errors,
    opened,
    t,
)
from puente.errors import N_, counted

indicators_app = typer.Typer(help="Indicators: the public data the plan is measured against.")


@indicators_app.command("import")
@handles_errors
def import_command(
    kind: str = typer.Argument(..., help="cbp-drugs, cbp-weapons or sesnsp"),
    files: list[Path] = typer.Argument(..., help="The dataset's files (cbp-drugs: every window)."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Import a public dataset: all of it or nothing; again, it changes only what was revised."""
    from puente.indicators import store

    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            stored = store.import_files(session, actor, kind, files)
    for note in stored.skipped_notes:
        errors.print(t("Skipped: {file} line {line}: {reason}", file=note.source, line=note.line,
                       reason=t(note.message, **note.params)))  # fmt: skip
    for note in stored.warnings:
        errors.print(t("Note: {reason}", reason=t(note.message, **note.params)))
    console.print(t(
        N_("{kind}: {rows}; {added}, {changed}, {unchanged}; {skipped}."), kind=kind,
        rows=counted("{count} row read", "{count} rows read", stored.rows_read),
        added=counted("{count} figure added", "{count} figures added", stored.added),
        changed=counted("{count} revised", "{count} revised", stored.changed),
        unchanged=counted("{count} unchanged", "{count} unchanged", stored.unchanged),
        skipped=counted("{count} row skipped", "{count} rows skipped", stored.skipped),
    ))  # fmt: skip


@indicators_app.command("list")
@handles_errors
def list_command(data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """The plan's indicators, with their latest observation against baseline and target."""
    from puente.cli.common import cli_locale
    from puente.indicators import compute
    from puente.plan import indicators

    locale = cli_locale()
    with opened(data_dir) as node:
        acting_user(node, act_as)
        with node.db.session() as session:
            found = [(i, compute.series(session, i)) for i, _ in indicators.indicators(session)]
    for indicator, series in found:
        totals: dict[date, float] = {}
        for points in series.values():
            for point in points:
                totals[point.on] = totals.get(point.on, 0.0) + point.value
        latest = max(totals) if totals else None
        last = t("no observation yet")
        if latest is not None:
            amount = f"{totals[latest]:,.0f}"
            last = t("{value} {unit} in {month}", value=amount, unit=indicator.unit.get(locale),
                     month=str(latest)[:7])  # fmt: skip
        target = indicator.targets[-1] if indicator.targets else None
        goal = ""
        if target is not None:
            aim = f"{target.value:,.0f}"
            goal = t("target {value} by {date}", value=aim, date=target.on.isoformat())
        console.print(f"{indicator.code} {indicator.name.get(locale)}: {last}; {goal}",
                      highlight=False)  # fmt: skip
