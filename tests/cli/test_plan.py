"""`puente plan set`: a coordinator creates, changes, moves and closes an element of the plan
from the command line, one field at a time."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.cli import run

SAMPLE = Path(__file__).resolve().parents[1] / "plan" / "sample.yaml"


def _element(code: str) -> dict[str, object]:
    status, output = run("plan", "export")
    assert status == 0, output
    (found,) = [e for e in yaml.safe_load(output)["elements"] if e["code"] == code]
    return dict(found)


def test_set_creates_changes_moves_and_closes_an_element(home: Path) -> None:
    assert run("plan", "import", str(SAMPLE))[0] == 0
    status, output = run("plan", "set", "1.1.1.2", "--parent", "1.1.1", "--title-en",
                         "Precursor inspections", "--title-es", "Inspecciones de precursores",
                         "--lead-usa", "cbp, hsi", "--due-date", "2027-03-31")  # fmt: skip
    assert (status, output.strip()) == (0, "1.1.1.2 saved.")
    created = _element("1.1.1.2")
    assert created["level"] == "action"  # from the code's depth
    assert created["leads"] == {"USA": ["CBP", "HSI"]}
    # Only what is given changes: the milestones and evidence of 1.1.1.1 stay.
    before = _element("1.1.1.1")
    assert run("plan", "set", "1.1.1.1", "--title-en", "Joint precursor cell")[0] == 0
    after = _element("1.1.1.1")
    assert after["title"] == {"en": "Joint precursor cell", "es": before["title"]["es"]}  # type: ignore[index]
    assert after["milestones"] == before["milestones"]
    assert after["evidence"] == before["evidence"]
    # Moved under another objective, then closed.
    assert run("plan", "set", "1.2", "--level", "area", "--parent", "1", "--title-en",
               "Firearms", "--title-es", "Armas de fuego")[0] == 0  # fmt: skip
    assert run("plan", "set", "1.2.1", "--parent", "1.2", "--title-en", "Trace firearms",
               "--title-es", "Rastrear armas")[0] == 0  # fmt: skip
    assert run("plan", "set", "1.1.1.2", "--parent", "1.2.1")[0] == 0
    assert _element("1.1.1.2")["parent"] == "1.2.1"
    assert run("plan", "set", "1.1.1.2", "--status", "completed", "--progress", "100")[0] == 0
    status, shown = run("plan", "show")
    assert "1.1.1.2 Precursor inspections  100% Completed" in shown


def test_set_names_the_option_to_put_right_and_changes_nothing(home: Path) -> None:
    assert run("plan", "import", str(SAMPLE))[0] == 0
    before = _element("1.1.1.1")
    status, output = run("plan", "set", "1.1.1.1", "--due-date", "2026-13-01",
                         "--lead-usa", "XYZ")  # fmt: skip
    assert status == 1
    assert "--due-date: 2026-13-01 is not a date: write YYYY-MM-DD." in output
    assert "--lead-usa: Unknown agency XYZ." in output
    status, output = run("plan", "set", "1.1.1.1", "--lead-usa", "", "--lead-mex", "")
    assert "--lead-usa, --lead-mex: An action needs a lead agency on at least one side." in output
    status, output = run("plan", "set", "1.1.1.1", "--parent", "9.9")
    assert "--parent: No element 9.9 in the plan to be the parent." in output
    status, output = run("plan", "set", "1.1.1.1", "--progress", "lots")
    assert "--progress: lots is not a whole number." in output
    status, output = run("plan", "set", "1.1.1.1", "--progress", "²")  # a digit to str.isdigit
    assert "--progress: ² is not a whole number." in output
    assert _element("1.1.1.1") == before
