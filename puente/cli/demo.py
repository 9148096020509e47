"""`puente demo`: a seeded node on this machine, in one command."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from puente.cli.common import console, handles_errors, t
from puente.config import CONFIG_FILE
from puente.node import initialize, open_node

DEMO_ADMIN_PASSWORD = "puente-demo-2026"  # noqa: S105 - printed to the demo's user on purpose


@handles_errors
def demo(
    data_dir: Path = typer.Option(
        Path("puente-demo"),
        "--data-dir",
        "-d",
        help="Where the demo node lives (created if missing).",
    ),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Start the web server after seeding."
    ),
) -> None:
    """Start a demo node seeded with ports of entry, seizures, persons, firearms and vehicles."""
    from puente.demo.seed import seed

    if (data_dir / CONFIG_FILE).exists():
        node = open_node(data_dir)
    else:
        node = initialize(
            data_dir,
            "us-demo",
            "USA",
            "Puente — United States (demo)",
            "",
            "admin",
            DEMO_ADMIN_PASSWORD,
            "INL",
        )
    try:
        with console.status(t("Seeding the demo node…")):
            summary = seed(node)
    finally:
        node.close()
    table = Table(title=t("Demo logins"))
    for column in (t("Username"), t("Password"), t("Role"), t("Agency")):
        table.add_column(column)
    for login in summary.logins:
        table.add_row(login.username, login.password, login.role, login.agency)
    console.print(table)
    console.print(t("{count} records on the node.", count=summary.records))
    url = f"http://{host}:{port}/"
    console.print(t("Open {url} in a browser. Ctrl-C stops the node.", url=url))
    if serve:
        from puente.cli.node import serve as run_server

        run_server(data_dir=data_dir, host=host, port=port, workers=1)
