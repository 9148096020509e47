"""The demo's joint action plan: the United States node writes the structure and its actions,
the Mexico node its own actions and updates, each through the plan file its coordinator
imports (puente/demo/data/plan_us.yaml, plan_mx.yaml), so the federation brings each side
the other's part, as it would for real."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import func, select

from puente.accounts import service as accounts
from puente.node import Node
from puente.plan import yaml_io
from puente.plan.models import PlanElement

COORDINATORS = {"USA": "inl.coordinator", "MEX": "sre.coordinacion"}
FILES = {"USA": "plan_us.yaml", "MEX": "plan_mx.yaml"}


def seed_plan(node: Node) -> int:
    """Import this node's part of the demo plan, once; how many elements it created."""
    with node.db.session() as session:
        written = session.execute(
            select(func.count())
            .select_from(PlanElement)
            .where(PlanElement.owner_node == node.settings.node_id)
        ).scalar_one()
        if written:
            return 0
        who = accounts.principal_for(
            accounts.get_user(session, COORDINATORS[node.settings.country]), node.settings
        )
        text = (
            resources.files("puente") / "demo" / "data" / FILES[node.settings.country]
        ).read_text(encoding="utf-8")
        return yaml_io.import_plan(session, node, who, text).created


def seed_indicator_data(node: Node) -> int:
    """The public figures the demo's indicators are measured against (the shipped subset);
    importing them again changes nothing. How many figures were added."""
    from puente.indicators import store

    with node.db.session() as session:
        who = accounts.principal_for(
            accounts.get_user(session, COORDINATORS[node.settings.country]), node.settings
        )
        return store.import_shipped(session, who).added
