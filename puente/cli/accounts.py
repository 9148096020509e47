"""`puente user add`, `puente token create | list | revoke`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from puente.accounts import service as accounts
from puente.cli.common import ActAs, DataDir, acting_user, console, handles_errors, opened, t
from puente.clock import as_utc, now

user_app = typer.Typer(help="Users of this node.")
token_app = typer.Typer(help="API tokens.")


@user_app.command("add")
@handles_errors
def user_add(
    username: str,
    agency: str = typer.Option(..., "--agency", help="Agency code, e.g. CBP or FGR."),
    role: list[str] = typer.Option(
        ..., "--role", help="analyst, liaison, coordinator, auditor or admin; repeatable."
    ),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="PUENTE_NEW_PASSWORD",
    ),
    display_name: str = typer.Option("", "--name"),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Add a user."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            accounts.create_user(
                session, actor, username, password, agency, role, display_name, node.settings
            )
    console.print(
        t(
            "User {user} added ({agency}; {roles}).",
            user=username,
            agency=agency,
            roles=", ".join(role),
        )
    )


@token_app.command("create")
@handles_errors
def token_create(
    username: str,
    name: str = typer.Option("cli", "--name"),
    days: int = typer.Option(0, "--days", help="Days until it expires (default: node setting)."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """On the node's machine: issue a user an API token; it is shown once.

    The node operator's way to start a user or a script off. Over the REST API and the web,
    users make their own tokens and an admin may only list and revoke them.
    """
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            issued = accounts.issue_on_host(
                session,
                actor,
                username,
                name,
                days or node.settings.security.token_days,
                max_days=node.settings.security.token_max_days,
            )
    console.print(
        t(
            "Token for {user}, expires {when} (shown once; store it now):",
            user=username,
            when=issued.expires_at.strftime("%Y-%m-%d"),
        )
    )
    print(issued.token)


@token_app.command("list")
@handles_errors
def token_list(
    username: str = typer.Argument("", help="Whose tokens (default: yours); others: admin."),
    every: bool = typer.Option(False, "--all", help="Every user's tokens (admin)."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """List API tokens (never their secrets): yours, or, for an admin, a user's or everyone's."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        moment = now()
        with node.db.session() as session:
            if every:
                listed = accounts.tokens_of(session, actor)
            elif username and username != actor.username:
                listed = accounts.tokens_of(session, actor, username)
            else:
                listed = [accounts.TokenListing(row, actor.username)
                          for row in accounts.list_tokens(session, actor)]  # fmt: skip
            table = Table(t("Id"), t("User"), t("Name"), t("Starts with"), t("Expires"), t("State"))
            for item in listed:
                row = item.token
                if row.revoked_at is not None:
                    state = t("revoked")
                elif as_utc(row.expires_at) <= moment:
                    state = t("expired")
                else:
                    state = t("active")
                table.add_row(str(row.id), item.username, row.name, row.prefix + "…",
                              as_utc(row.expires_at).strftime("%Y-%m-%d"), state)  # fmt: skip
    console.print(table if listed else t("No API tokens."))


@token_app.command("revoke")
@handles_errors
def token_revoke(
    token_id: int = typer.Argument(..., help="The token's id, from `puente token list`."),
    data_dir: Path | None = DataDir,
    act_as: str = ActAs,
) -> None:
    """Revoke an API token at once: your own, or, for an admin, any user's."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            owner = accounts.revoke_token(session, actor, token_id)
    console.print(t("Token {id} of {user} revoked.", id=token_id, user=owner))
