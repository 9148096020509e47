"""Each gap rule, on a plan and a node built for it (docs/plan-gaps.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from puente.node import Node
from puente.plan import gaps, yaml_io
from puente.policy.roles import Principal
from puente.rfis.models import Rfi
from puente.sharing import partners
from puente.sharing.models import Partner
from tests.support.nodes import add_user
from tests.support.plan import PLAN

MOMENT = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.fixture
def planned(node: Node) -> Node:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        yaml_io.import_plan(session, node, laura, PLAN)
    return node


def _found(node: Node, rule: str) -> list[gaps.Gap]:
    with node.db.session() as session:
        return [g for g in gaps.find_gaps(session, node, MOMENT) if g.rule == rule]


def test_an_objective_whose_actions_are_all_closed_has_no_active_action(planned: Node) -> None:
    (gap,) = _found(planned, "objective-without-action")
    assert gap.subject == "1.1.2"
    assert (
        gaps.describe(gap, "es") == "El objetivo 1.1.2 Precursores no tiene ninguna acción activa."
    )


def test_an_action_past_due_and_not_completed(planned: Node) -> None:
    (gap,) = _found(planned, "action-overdue")  # the completed one, also past due, is not
    assert gap.subject == "1.1.1.1"
    assert gaps.describe(gap, "en") == "Action 1.1.1.1 was due on 2026-10-31 and is 0% done."


def test_an_open_action_without_a_lead_on_one_side(planned: Node) -> None:
    (gap,) = _found(planned, "action-without-lead")  # closed actions are not held to it
    assert (gap.subject, gap.link) == ("1.1.1.2", "/plan/1.1.1.2")
    assert gaps.describe(gap, "en") == "Action 1.1.1.2 has no lead agency for Mexico."
    assert gaps.describe(gap, "es") == "La acción 1.1.1.2 no tiene dependencia líder por México."


def test_overdue_requests_and_lagging_partners(node: Node, admin: Principal) -> None:
    with node.db.session() as session:
        added = partners.add_partner(session, admin, node_id="mx-node", country="MEX",
                                     display_name="México", base_url="http://127.0.0.1:9",
                                     public_key="00" * 32, outbound_secret="s" * 32,
                                     inbound_secret="t" * 32)  # fmt: skip
        for rfi_id, due in (
            ("late", MOMENT - timedelta(hours=1)),
            ("fine", MOMENT + timedelta(hours=1)),
        ):
            session.add(Rfi(id=rfi_id, direction="incoming", partner_id=added.partner.id,
                            state="received", priority="routine", title=f"Request {rfi_id}",
                            question="?", case_reference="C", legal_basis="L", requester="fer",
                            requester_agency="FGR", created_at=MOMENT, updated_at=MOMENT,
                            sent_at=due - timedelta(hours=48), due_at=due))  # fmt: skip
    (rfi_gap,) = _found(node, "rfi-overdue")
    assert rfi_gap.subject == "late"
    assert "from mx-node is overdue since 2026-11-27 11:00 UTC" in gaps.describe(rfi_gap, "en")
    (never,) = _found(node, "partner-sync-lag")
    assert gaps.describe(never, "en") == "Partner mx-node has never been synced."
    with node.db.session() as session:
        partner = session.get(Partner, added.partner.id)
        assert partner is not None
        partner.last_success_at = MOMENT - timedelta(hours=30)
    (lagging,) = _found(node, "partner-sync-lag")
    assert "last synced 30 hours ago (threshold 24 h)" in gaps.describe(lagging, "en")
    with node.db.session() as session:
        session.get(Partner, added.partner.id).last_success_at = MOMENT - timedelta(hours=2)  # type: ignore[union-attr]
    assert _found(node, "partner-sync-lag") == []


INDICATORS = """indicators:
  - {code: I1, name: {en: Joint operations, es: Operativos conjuntos}, unit: {en: operations, es: operativos},
     good_direction: up, source: manual, baseline: {date: "2026-01-01", value: "10"},
     targets: [{date: "2026-12-01", value: "20"}]}
  - {code: I2, name: {en: Trainings, es: Capacitaciones}, unit: {en: courses, es: cursos},
     good_direction: up, source: manual}
observations:
  - {indicator: I1, period: "2026-10", value: "5", unit: operations}
  - {indicator: I2, period: "2026-01", value: "3", unit: courses}
"""


def test_indicators_stale_or_off_the_path_to_their_target(node: Node) -> None:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    with node.db.session() as session:
        yaml_io.import_plan(session, node, laura, PLAN + INDICATORS)
    (stale,) = _found(node, "indicator-stale")
    assert stale.subject == "I2"  # three months is the threshold; I1's October is recent
    assert gaps.describe(stale, "en") == (
        "Indicator I2 Trainings has no observation since 2026-01 (more than 3 months)."
    )
    (off,) = _found(node, "indicator-off-path")
    assert off.subject == "I1"
    assert gaps.describe(off, "en") == (
        "Indicator I1 Joint operations stood at 5 in 2026-10; the path to its target is at 18."
    )


def test_an_indicator_never_observed_or_observed_before_the_period_read(node: Node) -> None:
    from puente.indicators import reading
    from puente.plan import indicators

    laura = add_user(node, "laura", "INL", ["coordinator"])
    never = """  - {code: I3, name: {en: Extraditions, es: Extradiciones}, unit: {en: persons, es: personas},
     good_direction: up, source: manual}
"""
    with node.db.session() as session:
        yaml_io.import_plan(session, node, laura, PLAN + INDICATORS.replace("observations:",
                                                                            never + "observations:"))  # fmt: skip
        # As an assessment reads them: only the months since the previous meeting, which
        # hold none of I2's figures; it is still stale since January, not "never" observed.
        period = (date(2026, 9, 1), date(2026, 11, 30))
        readings = [reading.read(session, indicator, owner, "en", period)
                    for indicator, owner in indicators.indicators(session)]  # fmt: skip
        found = gaps.find_gaps(session, node, MOMENT, readings)
    stale = {g.subject: gaps.describe(g, "es") for g in found if g.rule == "indicator-stale"}
    assert stale == {
        "I2": "El indicador I2 Capacitaciones no tiene observaciones desde 2026-01 (más de 3 meses).",
        "I3": "El indicador I3 Extradiciones aún no tiene observaciones.",
    }
