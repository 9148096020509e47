"""Meetings in the plan file and on their pages: recorded, exported again unchanged, refused
with the line when they name an action the plan lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from puente.errors import InvalidInput
from puente.i18n import translate
from puente.node import Node
from puente.plan import service, yaml_io
from puente.web.app import create_app
from tests.support.nodes import add_user
from tests.support.pages import page, sign_in
from tests.support.plan import MEETINGS

SAMPLE = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")


def test_a_meeting_is_recorded_shown_and_exported_again_unchanged(node: Node) -> None:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        report = yaml_io.import_plan(session, node, laura, SAMPLE + MEETINGS)
        assert report.meetings == 1
        ((meeting, owner),) = service.meetings(session)
        exported = yaml_io.export(session, laura)
    assert (meeting.place, owner, meeting.expectations[0].subject) == ("Mexico City", "us-node",
                                                                       "1.1.1.1")  # fmt: skip
    with node.db.session() as session:
        assert yaml_io.import_plan(session, node, laura, exported).meetings == 0
    with TestClient(create_app(node), follow_redirects=False) as client:
        sign_in(client, "laura")
        listed = page(client.get("/meetings?lang=es").text)
        assert (
            listed.one(id="meeting-list").one("a").text() == "Grupo de Implementación de Seguridad"
        )
        doc = page(client.get("/meetings/SIG-2026-09?lang=es").text)
        assert doc.one(id="meeting-decisions").text() == "México encabeza las inspecciones"
        assert "Célula completa" in doc.one(id="meeting-expectations").text()
        assert client.get("/meetings/SIG-1999-01").status_code == 404


@pytest.mark.parametrize(
    ("edit", "expected"),
    [(('actions: ["1.1.1.1"]', 'actions: ["9.9.9.9"]'), "Line 52: No element 9.9.9.9 in the plan."),
     (('actions: ["1.1.1.1"]', 'actions: ["1.1.1"]'),
      "Line 52: 1.1.1 is not an action: a meeting creates or re-assigns actions."),
     (('    date: "2026-09-18"\n', ""), "Line 43: A meeting needs a date."),
     (("    place: Mexico City\n", "    place: Mexico City\n    participants:\n"
       "      - {name: J. Doe, role: Observer, agency: NSC}\n"), "Line 49: Unknown agency NSC.")],
    ids=["unknown action", "not an action", "no date", "unknown agency"],
)  # fmt: skip
def test_a_bad_meeting_names_its_line(node: Node, edit: tuple[str, str], expected: str) -> None:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with pytest.raises(InvalidInput) as refused, node.db.session() as session:
        yaml_io.import_plan(session, node, laura, SAMPLE + MEETINGS.replace(*edit))
    messages = [translate("en", p.message, **p.params) for p in refused.value.problems]
    assert expected in messages, messages
