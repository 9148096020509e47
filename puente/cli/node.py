"""`puente init`, `puente db upgrade`, `puente serve`."""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path

import typer

from puente.accounts.bootstrap import initialize
from puente.cli.common import DataDir, console, handles_errors, t
from puente.config import default_data_dir, load_settings
from puente.db import upgrade
from puente.errors import N_, ConfigError
from puente.policy.agencies import BY_CODE

app = typer.Typer(help="Create and run a node.")
db_app = typer.Typer(help="The node's database.")


@handles_errors
def init(
    data_dir: Path | None = DataDir,
    node_id: str = typer.Option(..., "--node-id", help="A short id, e.g. us-cbp-1."),
    country: str = typer.Option(..., "--country", help="USA or MEX (ISO 3166-1 alpha-3)."),
    name: str = typer.Option("", "--name", help="Display name of the node."),
    database_url: str = typer.Option(
        "",
        "--database-url",
        envvar="PUENTE_DATABASE_URL",
        help="Default: a SQLite file in the data directory.",
    ),
    admin: str = typer.Option("admin", "--admin", help="Username of the first administrator."),
    admin_password: str = typer.Option(
        "",
        "--admin-password",
        envvar="PUENTE_ADMIN_PASSWORD",
        help="Default: a random password, printed once.",
    ),
    admin_agency: str = typer.Option("", "--admin-agency", help="Agency code of the admin."),
) -> None:
    """Create a node: settings, signing key, database, agencies and the first admin."""
    country = country.upper()
    if country not in ("USA", "MEX"):
        raise ConfigError(
            N_("The country must be USA or MEX, not {country}."),
            pointer="/country",
            country=country,
        )
    if admin_agency and (admin_agency not in BY_CODE or BY_CODE[admin_agency].country != country):
        raise ConfigError(
            N_("Unknown agency {agency} for {country}."),
            pointer="/admin_agency",
            agency=admin_agency,
            country=country,
        )
    password = admin_password or secrets.token_urlsafe(12)
    directory = data_dir or default_data_dir()
    node = initialize(
        directory,
        node_id,
        country,
        name or f"Puente {country}",
        database_url,
        admin,
        password,
        admin_agency or None,
    )
    node.close()
    console.print(
        t(
            "Node {node} ({country}) created in {path}.",
            node=node_id,
            country=country,
            path=str(directory),
        )
    )
    if not admin_password:
        console.print(
            t(
                "Administrator {user}, password {password} (shown once).",
                user=admin,
                password=password,
            )
        )


@db_app.command("upgrade")
@handles_errors
def db_upgrade(data_dir: Path | None = DataDir) -> None:
    """Apply pending database migrations."""
    settings = load_settings(data_dir or default_data_dir())
    upgrade(settings.resolved_database_url)
    console.print(t("The database is up to date."))


@db_app.command("revision")
@handles_errors
def db_revision(
    message: str = typer.Argument(..., help="What the migration does, e.g. 'add case notes'."),
) -> None:
    """Write the next migration from the models' changes (for contributors, in a clone)."""
    from puente.db import new_revision

    path = new_revision(message)
    console.print(t("Wrote {path}: read it, then commit it with the models' change.",
                    path=str(path)))  # fmt: skip


REPLICA_STATES = {
    "ok": N_("in use"),
    "down": N_("down: reads go to the primary"),
    "lagging": N_("too far behind: reads go to the primary"),
    "not-a-standby": N_("not a standby: reads go to the primary"),
    "unknown": N_("not checked yet"),
}


@handles_errors
def status(data_dir: Path | None = DataDir) -> None:
    """Show the node's database and its read replica: state, lag, where reads go."""
    from puente.cli.common import opened

    with opened(data_dir) as node:
        described = node.db.describe()
    console.print(t("Database: {backend} ({url})", backend=str(described["backend"]),
                    url=str(described["database"])))  # fmt: skip
    replica = described["replica"]
    if not isinstance(replica, dict):
        console.print(t("Read replica: none (every read goes to the database above)."))
        return
    console.print(t("Read replica: {url}", url=str(replica["url"])))
    console.print(t("  State: {state}", state=t(REPLICA_STATES[str(replica["state"])])))
    if replica["problem"]:
        console.print(t("  Problem: {problem}", problem=str(replica["problem"])))
    if replica["lag_seconds"] is not None:
        seconds = "{:.3f}".format(replica["lag_seconds"])
        console.print(t("  Lag: {seconds} s, {bytes} bytes of WAL (bound: {bound} s)",
                        seconds=seconds, bytes=str(replica["lag_bytes"]),
                        bound=str(replica["max_lag_seconds"])))  # fmt: skip
    if replica["replay_paused"]:
        console.print(t("  Replay is paused on the replica (pg_wal_replay_resume() resumes it)."))
    console.print(t("  Where a running server's reads went: its /healthz address."))


@handles_errors
def serve(
    data_dir: Path | None = DataDir,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1, help="Stateless worker processes."),
) -> None:
    """Serve the web UI, the REST API and TAXII 2.1, and pull from partners on a schedule."""
    import os

    import uvicorn

    directory = (data_dir or default_data_dir()).resolve()
    settings = load_settings(directory)  # validate before starting workers
    upgrade(settings.resolved_database_url)
    os.environ["PUENTE_HOME"] = str(directory)
    console.print(
        t(
            "Serving {name} on http://{host}:{port}/",
            name=settings.display_name,
            host=host,
            port=port,
        )
    )
    # uvicorn re-raises the Ctrl-C it handled once the server has stopped: a clean exit here.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(
            "puente.web.asgi:create",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=True,
        )
