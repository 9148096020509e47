"""What every command shares: the data directory, the acting user, errors, the console."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from puente.accounts import service as accounts
from puente.config import default_data_dir
from puente.errors import PuenteError
from puente.i18n import LOCALES, translate
from puente.node import Node, open_node
from puente.policy.roles import Principal

if TYPE_CHECKING:  # the CLI starts without loading Rich's progress bars
    from rich.progress import Progress

# Messages are never broken into lines of the terminal's width (the terminal wraps them
# itself): piped into a script or a file, each stays on the line it was printed on.
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def counting() -> Progress:
    """A spinner with a running count and the time, on stderr when that is a terminal."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
        console=errors,
        disable=not errors.is_terminal,
    )


DataDir = typer.Option(
    None,
    "--data-dir",
    "-d",
    envvar="PUENTE_HOME",
    help="The node's data directory (default ./puente-data).",
)
ActAs = typer.Option(
    "admin",
    "--as",
    envvar="PUENTE_USER",
    help="The user this command acts as (authorization and audit).",
)

F = TypeVar("F", bound=Callable[..., Any])


def cli_locale() -> str:
    for name in ("PUENTE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            primary = value.split("_")[0].split(".")[0].lower()
            return primary if primary in LOCALES else "en"
    return "en"


def t(message: str, **params: Any) -> str:
    return translate(cli_locale(), message, **params)


def fail(exc: PuenteError) -> typer.Exit:
    locale = cli_locale()
    for problem in exc.problems:
        where = f"{problem.pointer}: " if problem.pointer else ""
        errors.print(
            f"[bold red]error:[/] {where}{translate(locale, problem.message, **problem.params)}",
            markup=True,
            soft_wrap=True,
        )
    return typer.Exit(1)


def handles_errors(func: F) -> F:
    """Turn domain errors into a clear message in the user's language and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PuenteError as exc:
            raise fail(exc) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def opened(data_dir: Path | None) -> Iterator[Node]:
    node = open_node(data_dir or default_data_dir())
    try:
        yield node
    finally:
        node.close()


def acting_user(node: Node, username: str) -> Principal:
    with node.db.session() as session:
        return accounts.principal_for(accounts.get_user(session, username), node.settings)
