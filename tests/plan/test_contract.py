"""A partner's plan objects are checked against the plan's extension schemas and rules
before they are stored; this node's own objects pass the same check."""

from __future__ import annotations

import uuid
from datetime import date
from importlib import resources
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from puente.i18n import Text
from puente.indicators.definitions import Indicator, Point
from puente.node import Node
from puente.plan import contract, stix, yaml_io
from puente.plan.elements import Element, Evidence, Milestone
from puente.plan.meetings import MEETING_TYPE, Expectation, Meeting, Participant, meeting_object
from puente.records.extensions import definitions
from puente.records.models import Record
from tests.support.nodes import add_user

STAMP = "2026-03-01T00:00:00.000Z"
BY = "identity--0b0b0b0b-0000-4000-8000-000000000001"
TODAY = date(2026, 11, 27)


def _id(stix_type: str) -> str:
    return f"{stix_type}--{uuid.uuid4()}"


def _ours() -> list[dict[str, Any]]:
    """One object of each kind, as this node writes them."""
    element_id, indicator_id = _id(stix.ELEMENT_TYPE), _id(stix.INDICATOR_TYPE)
    action = Element(level="action", code="1.1.1.1", title=Text("Joint cell", "Célula conjunta"),
                     stix_id=element_id, status="at_risk", progress=40,
                     start_date=date(2026, 1, 1), due_date=date(2026, 12, 31),
                     leads={"USA": ["DEA"], "MEX": ["FGR"]}, supporting=["CBP"],
                     milestones=[Milestone(Text("Staffed", "Integrada"), date(2026, 6, 1))],
                     evidence=[Evidence("url", "https://example.org/report", "Report")])  # fmt: skip
    indicator = Indicator(code="I5", name=Text("Operations", "Operaciones"),
                          unit=Text("operations", "operaciones"), good_direction="up",
                          source="manual", baseline=Point(date(2026, 1, 1), 2.0),
                          targets=[Point(date(2027, 1, 1), 12.0)], stix_id=indicator_id)  # fmt: skip
    meeting = Meeting(code="SIG-2027-01", kind="sig", title=Text("SIG", "GIS"),
                      on=date(2027, 1, 23), place="Washington, D.C.",
                      participants=[Participant("Laura Whitman", "Co-chair", "INL")],
                      agenda=[Text("Assessment", "Evaluación")], actions=["1.1.1.1"],
                      expectations=[Expectation(Text("Cell staffed", "Célula integrada"),
                                                "1.1.1.1", date(2027, 6, 30))],
                      stix_id=_id(MEETING_TYPE))  # fmt: skip
    return [
        stix.element_object(action, _id(stix.ELEMENT_TYPE), STAMP, STAMP, BY),
        stix.update_object(
            stix_id=_id(stix.UPDATE_TYPE),
            element_ref=element_id,
            on=date(2026, 11, 20),
            text="Staffed",
            language="en",
            status="on_track",
            progress=60,
            author="laura",
            created=STAMP,
            created_by_ref=BY,
        ),
        stix.indicator_object(indicator, "", STAMP, STAMP, BY),
        stix.observation_object(
            stix_id=_id(stix.OBSERVATION_TYPE),
            indicator_ref=indicator_id,
            period=date(2026, 10, 1),
            value=4.0,
            unit="operations",
            note="",
            author="laura",
            created=STAMP,
            created_by_ref=BY,
        ),
        meeting_object(meeting, STAMP, STAMP, BY),
    ]


def test_every_object_this_node_writes_passes_the_check() -> None:
    for obj in _ours():
        assert contract.refusal(obj, TODAY) is None, obj["type"]


def _changed(stix_type: str, **changes: Any) -> dict[str, Any]:
    (obj,) = [o for o in _ours() if o["type"] == stix_type]
    return {k: v for k, v in obj.items() if k not in changes} | {
        k: v for k, v in changes.items() if v is not None
    }


@pytest.mark.parametrize(
    ("obj", "pointer", "words"),
    [(_changed(stix.ELEMENT_TYPE, title="plain"), "/title", "is not of type 'object'"),
     (_changed(stix.ELEMENT_TYPE, code="²"), "/code", "does not match"),
     (_changed(stix.ELEMENT_TYPE, progress="abc"), "/progress", "is not of type 'integer'"),
     (_changed(stix.ELEMENT_TYPE, milestones=["x"]), "/milestones/0", "is not of type 'object'"),
     (_changed(stix.ELEMENT_TYPE, lead_agencies=["DEA"]), "/lead_agencies",
      "is not of type 'object'"),
     (_changed(stix.ELEMENT_TYPE, status="pwned"), "/status", "is not one of"),
     (_changed(stix.ELEMENT_TYPE, due_date="2026-02-30"), "", "day is out of range"),
     (_changed(stix.ELEMENT_TYPE, lead_agencies={"USA": ["NSA"]}), "/leads/USA/0",
      "Unknown agency"),
     (_changed(stix.INDICATOR_TYPE, code="Ix"), "/code", "does not match"),
     (_changed(stix.INDICATOR_TYPE, baseline={"date": "nope", "value": 1}), "/baseline/date",
      "does not match"),
     (_changed(stix.INDICATOR_TYPE, good_direction="sideways"), "/good_direction",
      "is not one of"),
     (_changed(stix.OBSERVATION_TYPE, value="inf"), "/value", "is not of type 'number'"),
     (_changed(stix.OBSERVATION_TYPE, value=float("inf")), "/value", "not a finite number"),
     (_changed(MEETING_TYPE, participants=["x"]), "/participants/0", "is not of type 'object'"),
     (_changed(MEETING_TYPE, kind="zzz"), "/kind", "is not one of")],
    ids=["title text", "code ²", "progress text", "milestone text", "leads list", "status",
         "no such day", "unknown agency", "indicator code", "baseline date", "direction",
         "value text", "value infinite", "participant text", "meeting kind"],
)  # fmt: skip
def test_a_malformed_object_is_refused_with_where_and_why(
    obj: dict[str, Any], pointer: str, words: str
) -> None:
    found = contract.refusal(obj, TODAY)
    assert found is not None
    assert found.pointer == pointer
    reason = found.message.format(**found.params)
    assert words in reason, reason


def test_a_meeting_without_a_date_is_refused() -> None:
    obj = _changed(MEETING_TYPE)
    del obj["date"]
    found = contract.refusal(obj, TODAY)
    assert found is not None
    assert "'date' is a required property" in found.params["reason"]


def test_an_update_or_figure_dated_ahead_is_refused() -> None:
    # Ordered by date, it would outrank every later update until 2999.
    ahead = _changed(stix.UPDATE_TYPE, date="2999-12-31")
    found = contract.refusal(ahead, TODAY)
    assert found is not None
    assert found.params["day"] == "2999-12-31"
    created_ahead = _changed(stix.OBSERVATION_TYPE, created="9999-01-01T00:00:00.000Z")
    assert contract.refusal(created_ahead, TODAY) is not None
    tomorrow = _changed(stix.UPDATE_TYPE, date="2026-11-28")  # another clock, a day ahead
    assert contract.refusal(tomorrow, TODAY) is None


def test_the_plan_extensions_are_published_with_their_schemas() -> None:
    published = {d["id"]: d for d in definitions() if d["type"] == "extension-definition"}
    for extension in contract.EXTENSION_OF.values():
        assert published[extension]["extension_types"] == ["new-sdo"]
        assert '"properties"' in published[extension]["schema"]


def test_the_demo_plan_passes_the_check_its_partner_applies(node: Node) -> None:
    # Whatever this node writes must pass on the partner, or the two plans differ for good.
    laura = add_user(node, "laura", "INL", ["coordinator"])
    data = resources.files("puente") / "demo" / "data"
    with node.db.session() as session:
        for name in ("plan_us.yaml", "plan_mx.yaml"):
            yaml_io.import_plan(session, node, laura, (data / name).read_text(encoding="utf-8"))
        rows = session.execute(select(Record.content).where(Record.type.like("x-puente-plan-%")))
        written = [orjson.loads(content) for (content,) in rows]
    assert len(written) >= 40  # elements, updates, indicators, observations, meetings
    refused = [(o["type"], contract.refusal(o)) for o in written]
    assert [r for r in refused if r[1] is not None] == []
