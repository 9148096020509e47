"""`puente rfi`: requests for information from the command line."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from puente.rfis import service
from puente.rfis.models import Rfi
from tests.support.cli import run
from tests.support.linked import Linked
from tests.support.nodes import add_user

ASKED = service.NewRequest(partner="us-node", title="José Luis Hernández Peña",
                           question="What do you hold on him?", case_reference="FGR/0042/2026",
                           legal_basis="TAJM art. 1")  # fmt: skip


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_only_its_author_sends_a_draft_from_the_command_line(
    linked: Linked, tmp_path: Path
) -> None:
    add_user(linked.mx, "fer", "FGR", ["analyst"])
    add_user(linked.mx, "enlace", "FGR", ["liaison"])
    mx = ("--data-dir", str(tmp_path / "mx"))
    code, output = run(
        "rfi",
        "ask",
        "us-node",
        "--title",
        "Borrador",
        "--question",
        "¿Qué?",
        "--case",
        "C-1",
        "--legal-basis",
        "TAJM",
        "--draft",
        *mx,
        "--as",
        "fer",
    )
    assert code == 0, output
    (draft,) = re.findall(r"Request (\S+) kept as a draft", output)
    code, output = run("rfi", "send", draft, *mx, "--as", "enlace")
    assert code == 1
    assert "No request for information" in _flat(output)
    with linked.mx.db.session() as session:
        assert session.execute(select(Rfi.state).where(Rfi.id == draft)).scalar_one() == "draft"
