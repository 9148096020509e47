"""`puente partner list` and `puente partner status`: how pulling from each partner goes,
every failure with its kind, time and detail, in the operator's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from puente.cli import common as console_module
from puente.i18n import Translator
from puente.sharing import sync
from tests.support.cli import run


@pytest.fixture
def failing(home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A partner whose server does not answer (nothing listens on port 9), pulled once."""
    monkeypatch.setattr(sync, "ATTEMPTS", 1)
    code, output = run("partner", "add", "mx-fgr", "--country", "MEX", "--url",
                       "http://127.0.0.1:9", "--key", "ab" * 32, "--secret", "theirs-" * 4)  # fmt: skip
    assert code == 0, output
    code, output = run("sync", "mx-fgr")
    assert code != 0
    assert "Could not sync with mx-fgr" in output
    return "mx-fgr"


def test_the_listing_shows_the_state_and_the_last_error(failing: str) -> None:
    code, output = run("partner", "list")
    assert code == 0, output
    assert "mx-fgr" in output
    assert "Failing" in output
    assert "Partner unreachable" in output


def test_a_long_node_id_is_listed_whole_on_a_narrow_terminal(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator copies the node id into the next command: it was cut to "mx-lo…"."""
    monkeypatch.setattr(sync, "ATTEMPTS", 1)
    for node_id in ("mx-load-sspc-monterrey", "mx-fgr"):
        run("partner", "add", node_id, "--country", "MEX", "--url", "http://127.0.0.1:9",
            "--key", "ab" * 32, "--secret", "theirs-" * 4)  # fmt: skip
        run("sync", node_id)
    # _width, not width: undoing the property would pin every later test's console to 80.
    monkeypatch.setattr(console_module.console, "_width", 60)

    code, output = run("partner", "list")

    assert code == 0, output
    assert "mx-load-sspc-monterrey" in output
    assert "mx-fgr " in output


def test_the_status_shows_every_failure_with_its_time_in_spanish(failing: str) -> None:
    code, output = run("partner", "status", failing)
    assert code == 0, output
    assert "Failures in a row: 1" in output
    assert "Failures recorded: 1" in output
    assert "Last error: Partner unreachable" in output
    assert "Traceback" not in output
    es = Translator("es")
    code, output = run("partner", "status", failing, env={"PUENTE_LANG": "es"})
    assert code == 0, output
    assert f"{es('Last error')}: {es('Partner unreachable')}" in output
    assert es("Partner unreachable") != "Partner unreachable"
    code, output = run("partner", "status", "mx-nobody")
    assert code != 0
    assert "No partner with node id mx-nobody" in output
