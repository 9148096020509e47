"""`puente partner ...` (and `partner checkpoints`), `puente node key`, `puente sync PARTNER`, `puente receipts verify`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table

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
from puente.config import load_settings
from puente.errors import N_, NP_
from puente.node import public_key_hex
from puente.sharing import checkpoints, partners, recalls, receipts, status, sync
from puente.sharing.collections import collection_id

partner_app = typer.Typer(help="Partner nodes: who pulls from this node, and whom it pulls from.")
node_app = typer.Typer(help="This node's identity.")
receipts_app = typer.Typer(help="Signed receipts: proof of what crossed the border.")


@node_app.command("key")
@handles_errors
def node_key(data_dir: Path | None = DataDir) -> None:
    """Print this node's public signing key: partners pin it when they add this node."""
    print(public_key_hex(load_settings(data_dir)))


@partner_app.command("add")
@handles_errors
def partner_add(
    node_id: str = typer.Argument(..., help="The partner node's id, e.g. mx-fgr-1."),
    country: str = typer.Option(..., "--country", help="Its country (ISO 3166-1 alpha-3)."),
    url: str = typer.Option(..., "--url", help="Its TAXII server, e.g. https://puente.fgr.mx."),
    key: str = typer.Option(..., "--key", help="Its public key, from `puente node key` there."),
    secret: str = typer.Option(
        ...,
        "--secret",
        envvar="PUENTE_PARTNER_SECRET",
        help="The secret the partner issued to this node (to pull from it).",
    ),
    their_secret: str | None = typer.Option(
        None,
        "--issue-secret",
        envvar="PUENTE_ISSUE_SECRET",
        help="The secret the partner will use here (default: a new random one).",
    ),
    name: str = typer.Option("", "--name", help="Display name."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Add a partner node and print the credentials it must use to pull from this one."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            added = partners.add_partner(
                session, actor, node_id=node_id, country=country.upper(), display_name=name,
                base_url=url, public_key=key, outbound_secret=secret, inbound_secret=their_secret,
            )  # fmt: skip
            released = collection_id(session, f"released/{node_id}")
    console.print(t("Partner {node} ({country}) added.", node=node_id, country=country.upper()))
    console.print(
        t("Give it these credentials to pull from this node: it signs in with its own node id "
          "(shown once):")
    )  # fmt: skip
    print(f"  username: {node_id}")
    print(f"  secret:   {added.inbound_secret}")
    console.print(t("Its collection here: {id}", id=released))


@partner_app.command("list")
@handles_errors
def partner_list(data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """List partner nodes, how pulling from each goes and the last thing that failed."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            rows = status.partner_statuses(session, actor, node.settings)
    # The URL, key and the error's detail: `puente partner status NODE`.
    # A node id is what an operator copies into the next command: never cut to "mx-lo…";
    # the error wraps instead (on a narrow terminal the ids were truncated).
    table = Table()
    widest = max((len(row.node_id) for row in rows), default=0)
    table.add_column(t("Node"), no_wrap=True, min_width=max(widest, len(t("Node"))))
    for header in (t("Country"), t("State"), t("Failures in a row")):
        table.add_column(header)
    table.add_column(t("Last error"), overflow="fold")
    for row in rows:
        table.add_row(row.node_id, row.country, t(status.STATE_LABELS[row.state]),
                      str(row.failures), _last_error(row))  # fmt: skip
    console.print(table if rows else t("No partners yet."))


def _last_error(row: status.PartnerStatus) -> str:
    """What failed last, translated, and when; "—" if nothing ever did."""
    if not row.last_error_kind:
        return "—"
    label = t(status.FAILURE_LABELS.get(row.last_error_kind, row.last_error_kind))
    when = row.last_error_at.strftime("%Y-%m-%d %H:%M") if row.last_error_at else ""
    return f"{label}, {when}" if when else label


@partner_app.command("status")
@handles_errors
def partner_status(
    node_id: str = typer.Argument(..., help="The partner node's id."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """How pulling from one partner goes: its state, cursor, failures and the last error."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            row = status.partner_status(session, actor, node.settings, node_id)

    def when(moment: datetime | None) -> str:
        return moment.isoformat(timespec="seconds") if moment else t("Never")

    facts = [
        (t("Partner"), f"{row.display_name} ({row.node_id}, {row.country})"),
        (t("TAXII server"), row.base_url),
        (t("Pinned signing key"), row.key_prefix + "…"),
        (t("State"), t(status.STATE_LABELS[row.state])),
        (t("Last successful sync"), when(row.last_success_at)),
        (t("Last attempt"), when(row.last_attempt_at)),
        (t("Failures in a row"), str(row.failures)),
        (t("Failures recorded"), str(row.failure_count)),
        (t("Last error"), _last_error(row)),
    ]
    if row.last_error:
        facts.append((t("Detail"), row.last_error))
    if row.next_attempt_at:
        facts.append((t("Next attempt"), when(row.next_attempt_at)))
    facts += [
        (t("Cursor"), row.cursor or t("Nothing stored yet")),
        (t("Records received"), str(row.received_count)),
        (t("Quarantined objects"), str(row.quarantined)),
    ]
    for label, value in facts:
        console.print(f"{label}: {value}", markup=False, highlight=False, soft_wrap=True)


@partner_app.command("checkpoints")
@handles_errors
def partner_checkpoints(
    node_id: str = typer.Argument(..., help="The partner node's id."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write them here (default: print)."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """The partner's signed audit checkpoints this node holds, one JSON line each: what the
    partner's auditors verify their chain against (`puente audit verify --partner-copy`)."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            lines = checkpoints.held(session, actor, node_id)
    text = "".join(line + "\n" for line in lines)
    if out is None:
        print(text, end="")
        return
    out.write_text(text, encoding="utf-8")
    errors.print(t(NP_("{count} checkpoint of {node} written to {path}.",
                       "{count} checkpoints of {node} written to {path}."), count=len(lines),
                   node=node_id, path=str(out)))  # fmt: skip


def _set_enabled(node_id: str, enabled: bool, data_dir: Path | None, act_as: str) -> None:
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            partners.set_enabled(session, actor, node_id, enabled)
    message = N_("Partner {node} enabled.") if enabled else N_("Partner {node} disabled.")
    console.print(t(message, node=node_id))


@partner_app.command("disable")
@handles_errors
def partner_disable(node_id: str, data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """Stop a partner: it can no longer sign in here, and this node stops pulling from it."""
    _set_enabled(node_id, False, data_dir, act_as)


@partner_app.command("enable")
@handles_errors
def partner_enable(node_id: str, data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """Let a disabled partner sign in and be pulled from again."""
    _set_enabled(node_id, True, data_dir, act_as)


@handles_errors
def sync_command(
    partner: str = typer.Argument(..., help="The partner's node id."),
    data_dir: Path | None = DataDir,
) -> None:
    """Pull everything new from a partner now (resumable; safe to run again)."""
    with (
        opened(data_dir) as node,
        counting() as bar,
    ):
        task = bar.add_task(t("Objects from {node}", node=partner), total=None)
        report = sync.sync(
            node,
            partner,
            progress=lambda done: bar.update(task, completed=done),
            page_size=node.settings.sync.page_size,
        )
    said = sync.summary(report)
    console.print(t(said.message, **said.params))


@receipts_app.command("verify")
@handles_errors
def receipts_verify(data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """Check every receipt: signatures, digests, and the versions they name."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            report = receipts.verify_all(session, node, actor)
    if report.ok:
        console.print(t(NP_("{count} receipt verifies.", "All {count} receipts verify."),
                        count=report.checked))  # fmt: skip
        return
    for receipt_id, problem in report.problems:
        errors.print(t("Receipt {id}: {problem}", id=receipt_id, problem=t(problem)))
    errors.print(t(NP_("{count} of {total} receipts does not verify.",
                       "{count} of {total} receipts do not verify."), count=len(report.problems),
                   total=report.checked))  # fmt: skip
    raise typer.Exit(1)


@handles_errors
def recall_command(
    record_id: str = typer.Argument(..., help="The id of the record to recall."),
    reason: str = typer.Option(..., "--reason", help="Why it is recalled (partners see it)."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Recall a record shared by mistake: partners purge it and acknowledge."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            result = recalls.recall(session, node, actor, record_id, reason)
    console.print(t("Recalled {id} ({recall}).", id=record_id, recall=result.recall_id))
    if result.partners:
        console.print(
            t("Pending acknowledgement from: {partners}", partners=", ".join(result.partners))
        )
    else:
        console.print(t("No partner could have received it."))


@handles_errors
def recalls_command(data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """List recalls: those this node sent (pending or acknowledged) and those it applied."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            notices = recalls.list_recalls(session, actor)
            names = {p.id: p.node_id for p in partners.list_partners(session, actor)}
            table = Table(t("Record"), t("Direction"), t("Partner"), t("State"), t("Reason"))
            for notice in notices:
                sent = notice.direction == recalls.SENT
                state = t("acknowledged") if notice.acknowledged_at else t("pending")
                table.add_row(notice.record_id, t("sent") if sent else t("received"),
                              names.get(notice.partner_id, "?"), state,
                              t(notice.reason) if notice.reason == recalls.WITHDRAWAL_REASON
                              else notice.reason)  # fmt: skip
    console.print(table if notices else t("No recalls."))
