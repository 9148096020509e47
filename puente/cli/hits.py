"""`puente hits`: the hit/no-hit indexes this node keeps for its partners."""

from __future__ import annotations

from pathlib import Path

import typer

from puente.cli.common import DataDir, console, counting, handles_errors, opened, t

hits_app = typer.Typer(help="Hit/no-hit: what partners may ask this node about.")


@hits_app.command("index")
@handles_errors
def index_command(
    partner: str | None = typer.Argument(None, help="One partner's node id (default: all)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Processes computing fingerprints."),
    data_dir: Path | None = DataDir,
) -> None:
    """Bring the partners' hit/no-hit indexes up to date with this node's records."""
    from concurrent.futures import Executor, ProcessPoolExecutor

    from puente.hits import index

    pool: Executor | None = ProcessPoolExecutor(workers) if workers > 1 else None
    with (
        opened(data_dir) as node,
        counting() as bar,
    ):
        task = bar.add_task(t("Record versions"), total=None)
        try:
            reports = index.refresh_partners(
                node,
                partner,
                pool=pool,
                progress=lambda _name, done: bar.update(task, completed=done),
            )
        finally:
            if pool is not None:
                pool.shutdown()
    if not reports:
        console.print(t("No enabled partner: no index to keep."))
    for report in reports:
        console.print(
            t(
                "Index for {partner}: {keys} keys ({added} added, {removed} removed, from "
                "{versions} record versions) in {seconds} s.",
                partner=report.partner,
                keys=report.keys,
                added=report.added,
                removed=report.removed,
                versions=report.versions,
                seconds=report.seconds,
            )
        )
