"""`puente hits`: the hit/no-hit indexes this node keeps for its partners."""

from __future__ import annotations

from pathlib import Path

import typer

from puente.cli.common import (
    ActAs,
    DataDir,
    acting_user,
    console,
    counting,
    errors,
    handles_errors,
    opened,
    t,
)
from puente.errors import N_

hits_app = typer.Typer(help="Hit/no-hit: ask partners, and keep what they may ask.")
CATEGORY_NAMES = {"person": N_("Person"), "firearm": N_("Firearm"), "vehicle": N_("Vehicle")}


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


@hits_app.command("ask")
@handles_errors
def ask_command(
    partner: str = typer.Argument(..., help="The partner node to ask."),
    case_reference: str = typer.Option("", "--case", help="The case this query serves."),
    legal_basis: str = typer.Option("", "--legal-basis", help="The legal basis for asking."),
    given_names: str = typer.Option("", "--given-names"),
    paternal_surname: str = typer.Option("", "--paternal-surname"),
    maternal_surname: str = typer.Option("", "--maternal-surname"),
    date_of_birth: str = typer.Option("", "--dob", help="YYYY-MM-DD, or YYYY."),
    document: list[str] = typer.Option([], "--document", help="TYPE:NUMBER[:ISSUER]"),
    manufacturer: str = typer.Option("", "--manufacturer"),
    serial: str = typer.Option("", "--serial"),
    vin: str = typer.Option("", "--vin"),
    plate: str = typer.Option("", "--plate"),
    plate_issuer: str = typer.Option("", "--plate-issuer"),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Ask a partner whether it holds a person, firearm or vehicle: hit or no hit."""
    from puente.hits import asking
    from puente.hits.firearms import firearm_keys
    from puente.hits.keys import Keys
    from puente.hits.persons import person_keys
    from puente.hits.vehicles import vehicle_keys

    keys = Keys()
    if given_names or paternal_surname or document:
        keys.update(person_keys(given_names, paternal_surname, maternal_surname,
                                date_of_birth=date_of_birth, documents=document, query=True))  # fmt: skip
    if serial:
        keys.update(firearm_keys(manufacturer, serial))
    if vin or plate:
        keys.update(vehicle_keys(vin, plate, plate_issuer))
    for warning in keys.warnings:
        errors.print(t(warning.message, value=warning.value))
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        answer = asking.ask(node, actor, partner, keys, case_reference=case_reference,
                            legal_basis=legal_basis)  # fmt: skip
    for category, matched in answer.matched.items():
        if matched:
            console.print(t("{category}: HIT ({keys})", category=t(CATEGORY_NAMES[category]),
                            keys=", ".join(matched)))  # fmt: skip
        else:
            console.print(t("{category}: no hit", category=t(CATEGORY_NAMES[category])))
    console.print(t("Query {id}: {count} keys asked of {node}.", id=answer.query_id,
                    count=answer.key_count, node=answer.partner))  # fmt: skip
