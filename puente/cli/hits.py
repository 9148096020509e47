"""`puente hits`: the hit/no-hit indexes this node keeps for its partners."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
from puente.errors import N_, NP_, InvalidInput, Problem
from puente.hits.labels import CATEGORY_LABELS

if TYPE_CHECKING:
    from puente.hits.subjects import Subject

hits_app = typer.Typer(help="Hit/no-hit: ask partners, and keep what they may ask.")


@hits_app.command("index")
@handles_errors
def index_command(
    partner: str | None = typer.Argument(None, help="One partner's node id (default: all)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Processes computing fingerprints."),
    data_dir: Path | None = DataDir,
) -> None:
    """Bring the partners' hit/no-hit indexes up to date with this node's records."""
    from concurrent.futures import Executor, ProcessPoolExecutor

    from puente.hits import refresh

    pool: Executor | None = ProcessPoolExecutor(workers) if workers > 1 else None
    with (
        opened(data_dir) as node,
        counting() as bar,
    ):
        task = bar.add_task(t("Record versions"), total=None)
        try:
            reports = refresh.refresh_partners(
                node,
                partner,
                pool=pool,
                progress=lambda _name, done: bar.update(task, completed=done),
            )
        finally:
            if pool is not None:
                pool.shutdown()
    if not reports:
        console.print(t("No partner: no index to keep."))
    for report in reports:
        console.print(
            t(
                "Index for {partner} in match-key spec version {version}: {keys} keys "
                "({added} added, {removed} removed, from {versions} record versions) in "
                "{seconds} s.",
                partner=report.partner,
                version=report.spec_version,
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
    other_dates_of_birth: list[str] = typer.Option(
        [], "--other-dob", help="Another date of birth the person is known by (repeatable)."
    ),
    document: list[str] = typer.Option([], "--document", help="TYPE:NUMBER[:ISSUER]"),
    manufacturer: str = typer.Option("", "--manufacturer"),
    serial: str = typer.Option("", "--serial"),
    vin: str = typer.Option("", "--vin"),
    plate: str = typer.Option("", "--plate"),
    plate_issuer: str = typer.Option("", "--plate-issuer"),
    csv_file: Path | None = typer.Option(
        None, "--csv", help="A CSV list of subjects, one a row (docs/federation.md)."
    ),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Ask a partner whether it holds persons, firearms or vehicles: hit or no hit for each."""
    from puente.hits import transport as hit_transport

    fields: dict[str, object] = {
        "given_names": given_names, "paternal_surname": paternal_surname,
        "maternal_surname": maternal_surname, "date_of_birth": date_of_birth,
        "other_dates_of_birth": other_dates_of_birth, "documents": document,
        "manufacturer": manufacturer, "serial": serial, "vin": vin, "plate": plate,
        "plate_issuer": plate_issuer,
    }  # fmt: skip
    with opened(data_dir) as node:
        subjects = _subjects(fields, csv_file, node.settings.hits.max_keys_per_query)
        actor = acting_user(node, act_as)
        answer = hit_transport.ask(node, actor, partner, subjects, case_reference=case_reference,
                            legal_basis=legal_basis)  # fmt: skip
    for number, item in enumerate(answer.subjects, start=1):
        for warning in item.warnings:
            errors.print(t(warning.message, value=warning.value))
        what = t(CATEGORY_LABELS[item.subject.category])
        if item.hit:
            console.print(t("{number}. {category} {label}: HIT ({keys})", number=number,
                            category=what, label=item.subject.label(),
                            keys=", ".join(item.matched)), soft_wrap=True)  # fmt: skip
        else:
            console.print(t("{number}. {category} {label}: no hit", number=number,
                            category=what, label=item.subject.label()), soft_wrap=True)  # fmt: skip
    console.print(t(NP_("Query {id}: {count} key asked of {node}.",
                        "Query {id}: {count} keys asked of {node}."), id=answer.query_id,
                    count=answer.key_count, node=answer.partner))  # fmt: skip


def _subjects(fields: dict[str, object], csv_file: Path | None, max_rows: int) -> list[Subject]:
    """The subjects the options give: a CSV list, or one subject per category filled in."""
    from puente.hits.subjects import FIELDS, Subject, subjects_from_csv

    filled = {name: value for name, value in fields.items() if value}
    if csv_file is not None:
        if filled:
            raise InvalidInput([Problem(N_("Give either --csv or the fields of one subject, not "
                                           "both."), "/csv")])  # fmt: skip
        try:
            data = csv_file.read_bytes()
        except OSError as exc:
            raise InvalidInput([Problem(N_("Cannot read {path}: {reason}"), "/csv",
                                        {"path": str(csv_file), "reason": exc.strerror or ""})]) from None  # fmt: skip
        return subjects_from_csv(data, max_rows=max_rows)
    subjects: list[Subject] = []
    problems: list[Problem] = []
    for category, names in FIELDS.items():
        given = {name: filled[name] for name in names if name in filled}
        if given:
            try:
                subjects.append(Subject.from_dict({"category": category, **given}))
            except InvalidInput as exc:
                problems += exc.problems
    if problems:
        raise InvalidInput(problems)
    if not subjects:
        raise InvalidInput([Problem(N_("Nothing to ask: give the fields of a person, a firearm "
                                       "or a vehicle, or --csv with a list."), "/subjects")])  # fmt: skip
    return subjects
