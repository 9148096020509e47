"""The `puente` command."""

from __future__ import annotations

import typer

from puente import __version__, domains
from puente.cli import (
    accounts,
    audit,
    demo,
    hits,
    indicators,
    node,
    plan,
    records,
    rfis,
    sharing,
)

app = typer.Typer(
    name="puente",
    help="Puente: one sovereign node of the US–Mexico security information-sharing platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _domains() -> None:
    """Every command runs with the domains registered with the layers below them."""
    domains.install()


app.command("init")(node.init)
app.command("serve")(node.serve)
app.command("demo")(demo.demo)
app.add_typer(node.db_app, name="db")
app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.token_app, name="token")
app.add_typer(records.import_app, name="import")
app.add_typer(records.export_app, name="export")
app.add_typer(audit.app, name="audit")
app.add_typer(sharing.partner_app, name="partner")
sharing.node_app.command("status")(node.status)
app.add_typer(sharing.node_app, name="node")
app.command("sync")(sharing.sync_command)
app.add_typer(sharing.receipts_app, name="receipts")
app.command("recall")(sharing.recall_command)
app.command("recalls")(sharing.recalls_command)
app.add_typer(hits.hits_app, name="hits")
app.add_typer(rfis.rfi_app, name="rfi")
app.add_typer(plan.plan_app, name="plan")
app.add_typer(indicators.indicators_app, name="indicators")


@app.command("version")
def version() -> None:
    """Print Puente's version."""
    print(__version__)


def main() -> None:
    app()
