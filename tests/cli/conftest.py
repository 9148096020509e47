"""Fixtures for the `puente` command's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from puente.cli.main import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "node"
    monkeypatch.setenv("PUENTE_HOME", str(data))
    monkeypatch.setenv("PUENTE_LANG", "en")
    if database_url.startswith("postgresql"):
        monkeypatch.setenv("PUENTE_DATABASE_URL", database_url)
    result = runner.invoke(
        app,
        [
            "init",
            "--node-id",
            "us-test",
            "--country",
            "USA",
            "--admin-password",
            "admin-password-1",
            "--database-url",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    return data
