"""`puente rfi`: requests for information to and from partner nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from puente.cli.common import ActAs, DataDir, acting_user, console, handles_errors, opened, t

rfi_app = typer.Typer(help="Requests for information: ask partners, and answer them.")


def _when(moment: object) -> str:
    return str(moment)[:16].replace("T", " ") if moment else "—"


@rfi_app.command("list")
@handles_errors
def list_command(
    inbox: bool = typer.Option(False, "--inbox", help="Requests received (default: sent)."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue ones."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only their ids."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """List requests sent (or received), newest first, with the timeliness figures."""
    from puente.rfis import reports, states
    from puente.rfis.states import STATE_LABELS

    direction = states.INCOMING if inbox else states.OUTGOING
    with opened(data_dir) as node, node.db.session() as session:
        actor = acting_user(node, act_as)
        items = reports.listing(session, actor, direction, overdue_only=overdue)
        figures = reports.timeliness(session, actor, direction)
    if quiet:
        for item in items:
            print(item.id)
        return
    table = Table(t("Id"), t("Partner"), t("Subject of the request"), t("State"), t("Due"))
    for item in items:
        state = t(STATE_LABELS[item.state]) + (" · " + t("Overdue") if item.overdue else "")
        table.add_row(item.id, item.partner, item.title, state, _when(item.due_at))
    console.print(table)
    median = figures.median_hours_to_answer
    share = figures.share_answered_on_time
    on_time = "—" if share is None else f"{share:.0%}"
    console.print(t("{answered} of {sent} answered; median {hours} h; {share} on time; "
                    "{overdue} overdue.", answered=figures.answered, sent=figures.sent,
                    hours="—" if median is None else median,
                    share=on_time,
                    overdue=figures.overdue))  # fmt: skip


@rfi_app.command("show")
@handles_errors
def show_command(rfi_id: str, data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """One request with its answer and history."""
    from puente.rfis import reports
    from puente.rfis.states import ACTION_LABELS, STATE_LABELS

    with opened(data_dir) as node, node.db.session() as session:
        actor = acting_user(node, act_as)
        found = reports.detail(session, actor, rfi_id)
        rfi = found.rfi
        console.print(f"[bold]{rfi.title}[/]  {found.summary.partner} · "
                      f"{t(STATE_LABELS[rfi.state])}")  # fmt: skip
        console.print(rfi.question)
        if rfi.answer:
            console.print(t("Answer: {text}", text=rfi.answer))
        for item in found.released:
            console.print(t("Released: {id} {label}", id=item.stix_id, label=item.label))
        if rfi.decline_reason:
            console.print(t("Declined: {reason}", reason=rfi.decline_reason))
        for approval in found.approvals:
            console.print(_approval_line(approval), soft_wrap=True)
        for event in found.events:
            note = f": {event.note}" if event.note else ""
            console.print(f"  {_when(event.at)}  {event.actor}  "
                          f"{t(ACTION_LABELS.get(event.action, event.action))}{note}")  # fmt: skip


def _approval_line(approval: Any) -> str:
    from puente.rfis import approvals

    name = approval.record_name or t("A record you may not see")
    if approval.state == approvals.PENDING:
        return t("Awaiting approval: {agency} · {name}", agency=approval.agency, name=name)
    if approval.state == approvals.REFUSED:
        return t("Refused by {agency}: {reason}", agency=approval.agency, reason=approval.note)
    if approval.state == approvals.APPROVED:
        return t(
            "Approved by {agency} ({user}) · {name} · {banner}",
            agency=approval.agency,
            user=approval.decided_by,
            name=name,
            banner=approval.proposed.banner(),
        )
    return t("Cancelled: {agency} · {name}", agency=approval.agency, name=name)


@rfi_app.command("ask")
@handles_errors
def ask_command(
    partner: str = typer.Argument(..., help="The partner node to ask."),
    title: str = typer.Option("", "--title", help="The subject of the request."),
    question: str = typer.Option("", "--question", help="What you ask, and why."),
    case_reference: str = typer.Option("", "--case"),
    legal_basis: str = typer.Option("", "--legal-basis"),
    priority: str = typer.Option("routine", "--priority", help="routine, priority or urgent"),
    hit: str = typer.Option("", "--hit", help="The hit/no-hit query this follows."),
    subject: int = typer.Option(0, "--subject", help="Which subject of that query (from 0)."),
    draft: bool = typer.Option(False, "--draft", help="Keep it as a draft; do not send."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Send a request for information to a partner (from a hit, or from scratch)."""
    from puente.rfis import candidates, service, transport

    new = service.NewRequest(partner=partner, title=title, question=question,
                             case_reference=case_reference, legal_basis=legal_basis,
                             priority=priority, hit_query_id=hit, send=not draft)  # fmt: skip
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        if hit:
            with node.db.session() as session:
                candidates.attach_hit(session, actor, new, str(subject))
        rfi_id = transport.create(node, actor, new)
    console.print(t("Request {id} sent to {node}.", id=rfi_id, node=partner) if not draft
                  else t("Request {id} kept as a draft.", id=rfi_id))  # fmt: skip


@rfi_app.command("answer")
@handles_errors
def answer_command(
    rfi_id: str,
    text: str = typer.Option("", "--text", help="The answer."),
    release: list[str] = typer.Option([], "--release", help="A record of this node to release."),
    tlp: str = typer.Option("AMBER", "--tlp", help="GREEN, AMBER or AMBER+STRICT"),
    handling: str = typer.Option("H2", "--handling", help="H0, H1, H2 or H3"),
    reason: str = typer.Option(
        "",
        "--reason",
        help="Why release them: read by the originating agency when a record needs its approval.",
    ),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Answer a partner's request, releasing records to the named requesting users; held
    until approved when a record needs its originating agency's approval."""
    from puente.rfis import approvals, reports, service, transport

    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        transport.answer(node, actor, rfi_id,
                         service.AnswerInput(text, release, tlp, handling, reason))  # fmt: skip
        with node.db.session() as session:
            found = reports.detail(session, actor, rfi_id, audit_read=False)
    waiting = [a.agency for a in found.approvals if a.state == approvals.PENDING]
    if waiting:
        console.print(t("Request {id} awaits the approval of {agencies}: nothing is released "
                        "until they approve.", id=rfi_id,
                        agencies=", ".join(sorted(set(waiting)))), soft_wrap=True)  # fmt: skip
    else:
        console.print(t("Request {id} answered.", id=rfi_id))


@rfi_app.command("send")
@handles_errors
def send_command(rfi_id: str, data_dir: Path | None = DataDir, act_as: str = ActAs) -> None:
    """Send a draft you wrote."""
    from puente.rfis import service, transport

    with opened(data_dir) as node:
        transport.perform(node, acting_user(node, act_as), rfi_id, service.Move("send"))
    console.print(t("Request {id} sent.", id=rfi_id))


@rfi_app.command("approvals")
@handles_errors
def approvals_command(
    every: bool = typer.Option(False, "--all", help="Decided ones too."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only their ids."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Releases of your agency's records that await its approval (your agency's inbox)."""
    from puente.cli.common import cli_locale
    from puente.i18n import translate
    from puente.rfis import approvals

    with opened(data_dir) as node, node.db.session() as session:
        found = approvals.inbox(session, acting_user(node, act_as), "" if every else "pending")
    if quiet:
        for item in found:
            print(item.id)
        return
    if not found:
        console.print(t("Nothing awaits your agency's approval."))
    for item in found:
        why = "; ".join(translate(cli_locale(), p.message, **p.params) for p in item.why)
        original = item.original.banner() if item.original else ""
        lines = [
            f"{item.id}  {item.record_name}  ({original})",
            "  "
            + t(
                "Request: {title} · from {node} · {user} ({agency})",
                title=item.rfi_title,
                node=item.partner,
                user=item.requester,
                agency=item.requester_agency,
            ),
            "  " + t("Asked by {user}: {reason}", user=item.asked_by, reason=item.reason),
            "  " + t("Proposed copy: {banner}", banner=item.proposed.banner()),
            "  " + t("Why it needs approval: {why}", why=why),
        ]
        if item.state != approvals.PENDING:
            lines.append("  " + _approval_line(item))
        for line in lines:
            console.print(line, soft_wrap=True, markup=False)


@rfi_app.command("approve")
@handles_errors
def approve_command(
    approval_id: str,
    tlp: str = typer.Option("", "--tlp", help="The copy's TLP (default: as proposed)."),
    handling: str = typer.Option(
        "", "--handling", help="Its handling code (default: as proposed)."
    ),
    note: str = typer.Option("", "--note", help="A note for the liaison."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Approve releasing one of your agency's records (the answer goes once all are)."""
    from puente.rfis import approvals, transport

    with opened(data_dir) as node:
        rfi_id = transport.decide(node, acting_user(node, act_as), approval_id,
                                  approvals.Decision(True, tlp, handling, note))  # fmt: skip
    console.print(t("Approved. Request {id}: the answer goes once every record is approved.",
                    id=rfi_id), soft_wrap=True)  # fmt: skip


@rfi_app.command("refuse")
@handles_errors
def refuse_command(
    approval_id: str,
    reason: str = typer.Option("", "--reason", help="Why (the liaison reads it)."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Refuse releasing one of your agency's records: the answer stays home."""
    from puente.rfis import approvals, transport

    with opened(data_dir) as node:
        rfi_id = transport.decide(node, acting_user(node, act_as), approval_id,
                                  approvals.Decision(False, note=reason))  # fmt: skip
    console.print(t("Refused. Request {id}: nothing is released; the liaison is told.",
                    id=rfi_id), soft_wrap=True)  # fmt: skip


@rfi_app.command("decline")
@handles_errors
def decline_command(
    rfi_id: str,
    reason: str = typer.Option("", "--reason"),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Decline a partner's request, saying why."""
    from puente.rfis import transport

    with opened(data_dir) as node:
        transport.decline(node, acting_user(node, act_as), rfi_id, reason)
    console.print(t("Request {id} declined.", id=rfi_id))


@rfi_app.command("withdraw")
@handles_errors
def withdraw_command(
    rfi_id: str,
    reason: str = typer.Option("", "--reason"),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Withdraw a request you sent."""
    from puente.rfis import transport

    with opened(data_dir) as node:
        transport.withdraw(node, acting_user(node, act_as), rfi_id, reason)
    console.print(t("Request {id} withdrawn.", id=rfi_id))
