"""`puente audit verify`, `puente audit checkpoint`."""

from __future__ import annotations

from pathlib import Path

import typer

from puente.audit import checkpoints
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

PartnerCopy = typer.Option(
    [],
    "--partner-copy",
    exists=True,
    dir_okay=False,
    readable=True,
    help="A file of this node's checkpoints that a partner holds (`puente partner checkpoints` "
    "there); may be given more than once.",
)


@app.command("verify")
@handles_errors
def verify(
    partner_copy: list[Path] = PartnerCopy,
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Check the hash chain and the signed checkpoints: say what was found, and what this
    check cannot detect."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        anchors = checkpoints.anchors(node.settings, partner_copy)
        with node.db.session() as session:
            report = audit.verify(session, actor, anchors=anchors)
    _coverage(report)
    for note in report.notes:
        console.print(t("Note, entry {seq}: {problem}", seq=note.seq, problem=t(note.problem)))
    if report.ok:
        console.print(t(NP_("Audit chain intact: {count} entry verified.",
                            "Audit chain intact: {count} entries verified."), count=report.entries))  # fmt: skip
    else:
        for item in report.breaks:
            errors.print(t("Entry {seq}: {problem}", seq=item.seq, problem=t(item.problem)))
        errors.print(
            t(
                N_("Audit chain BROKEN: {problems} in {entries}."),
                problems=counted("{count} problem", "{count} problems", len(report.breaks)),
                entries=counted("{count} entry", "{count} entries", report.entries),
            )
        )
    console.print(t("What this check cannot detect:"))
    for limit in audit.limits(report):
        console.print("- " + t(limit.message, **limit.params))
    if not report.ok:
        raise typer.Exit(1)


def _coverage(report: audit.VerifyReport) -> None:
    copies = report.copies
    console.print(
        t(
            N_("Signed checkpoints: {checkpoints} (checkpoint file: {file}; database: "
               "{database}; partners' copies: {partner})."),
            checkpoints=report.checkpoints, file=copies.get(checkpoints.FILE, 0),
            database=copies.get(checkpoints.DATABASE, 0),
            partner=copies.get(checkpoints.PARTNER, 0),
        )
    )  # fmt: skip
    if report.covered:
        console.print(t(N_("Entries 1 to {covered} are pinned by a signed checkpoint: any change "
                           "to them, their deletion or a rewrite of the chain is detected."),
                        covered=report.covered))  # fmt: skip


@app.command("checkpoint")
@handles_errors
def checkpoint(data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """Sign the chain's head now and keep the checkpoint in the file, the database and (at the
    next sync) with each partner."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            made = audit.checkpoint(session, node.settings, actor)
        where = node.settings.checkpoint_path
    console.print(t("Checkpoint signed at entry {seq} ({hash}).", seq=made.seq,
                    hash=made.head_hash[:16]))  # fmt: skip
    console.print(t("Kept in {path}, in the database, and for each partner.", path=str(where)))
