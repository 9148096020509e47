"""`puente audit verify`."""

from __future__ import annotations

from pathlib import Path

import typer

from puente.audit import service as audit
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
from puente.errors import N_, NP_, counted

app = typer.Typer(help="The audit log.")


@app.command("verify")
@handles_errors
def verify(data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """Check the hash chain: any modified, deleted, inserted or reordered entry is reported."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            report = audit.verify(session, actor)
    if report.ok:
        console.print(t(NP_("Audit chain intact: {count} entry verified.",
                            "Audit chain intact: {count} entries verified."), count=report.entries))  # fmt: skip
        return
    for item in report.breaks:
        errors.print(t("Entry {seq}: {problem}", seq=item.seq, problem=t(item.problem)))
    errors.print(
        t(
            N_("Audit chain BROKEN: {problems} in {entries}."),
            problems=counted("{count} problem", "{count} problems", len(report.breaks)),
            entries=counted("{count} entry", "{count} entries", report.entries),
        )
    )
    raise typer.Exit(1)
