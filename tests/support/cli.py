"""The `puente` command run in this process, as an operator types it (Typer's runner)."""

from __future__ import annotations

from typer.testing import CliRunner

from puente.cli.main import app

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output
