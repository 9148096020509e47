"""`puente user add`, `puente token create`."""

from __future__ import annotations

from pathlib import Path

import typer

from puente.accounts import service as accounts
from puente.cli.common import ActAs, DataDir, acting_user, console, handles_errors, opened, t

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
    """Issue an API token for a user; it is shown once."""
    with opened(data_dir) as node:
        actor = acting_user(node, act_as)
        with node.db.session() as session:
            issued = accounts.create_token(
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
