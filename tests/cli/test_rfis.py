"""`puente rfi`: a liaison answers from the command line, the originating agency approves or
refuses the release there, and a draft is sent only by its author."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from puente.rfis import service, transport
from puente.rfis.models import Rfi
from puente.sharing import sync
from tests.support.cli import run
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import add_user
from tests.support.rfis import WHY, usa_only_records

ASKED = service.NewRequest(partner="us-node", title="José Luis Hernández Peña",
                           question="What do you hold on him?", case_reference="FGR/0042/2026",
                           legal_basis="TAJM art. 1")  # fmt: skip


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_the_originating_agency_approves_or_refuses_a_release_from_the_command_line(
    linked: Linked, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    route_both_ways(linked, monkeypatch)
    originals = usa_only_records(linked.us)
    fer = add_user(linked.mx, "fer", "FGR", ["analyst"])
    add_user(linked.us, "lia", "HSI", ["liaison"])
    rfi_id = transport.create(linked.mx, fer, ASKED)
    us = ("--data-dir", str(tmp_path / "node"))
    red, clear = originals.ids["Rubí rojo"], originals.ids["Claro nacional"]
    answer = ("rfi", "answer", rfi_id, "--text", "Two records.", "--release", red,
              "--release", clear, "--tlp", "GREEN", *us, "--as", "lia")  # fmt: skip
    code, output = run(*answer)
    assert code == 1
    assert "needs the approval of CBP" in _flat(output)
    code, output = run(*answer, "--reason", WHY)
    assert code == 0, output
    assert "awaits the approval of CBP, INL" in _flat(output)
    code, output = run("rfi", "show", rfi_id, *us, "--as", "lia")
    assert "Awaiting approval: CBP" in _flat(output)
    # CBP's analyst lists what awaits CBP, and approves it at TLP:AMBER.
    code, output = run("rfi", "approvals", *us, "--as", "cbp.red")
    assert code == 0, output
    assert "Rubí rojo" in output
    assert "Claro nacional" not in output
    assert WHY in _flat(output)
    (cbp_id,) = re.findall(r"^([0-9a-f-]{36})", output, re.MULTILINE)
    code, output = run("rfi", "approve", cbp_id, "--tlp", "AMBER", *us, "--as", "cbp.red")
    assert code == 0, output
    assert "Approved" in output
    code, output = run("rfi", "approve", cbp_id, *us, "--as", "cbp.red")
    assert code == 1
    assert "already approved" in _flat(output)
    # INL refuses: the whole answer stays home, and the liaison is told.
    code, output = run("rfi", "approvals", "--quiet", *us, "--as", "inl.clear")
    (inl_id,) = output.split()
    code, output = run("rfi", "refuse", inl_id, *us, "--as", "inl.clear")
    assert code == 1
    assert "Say why" in _flat(output)
    code, output = run("rfi", "refuse", inl_id, "--reason", "Open case.", *us, "--as", "inl.clear")
    assert code == 0, output
    code, output = run("rfi", "show", rfi_id, *us, "--as", "lia")
    assert "Refused by INL: Open case." in _flat(output)
    sync.sync(linked.mx, "us-node")
    with linked.mx.db.session() as session:
        rfi = session.get(Rfi, rfi_id)
        assert rfi is not None
        assert (rfi.state, rfi.released) == ("received", "")


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
