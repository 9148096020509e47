"""Writing and reading the plan's indicators: definitions (this node's own, shared as STIX
objects like the plan's elements) and observations entered by hand (by either side)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.db import lock_writes
from puente.errors import N_, InvalidInput, NotFound, Problem
from puente.indicators.definitions import Indicator, check
from puente.indicators.models import PlanIndicator
from puente.node import Node
from puente.plan import stix
from puente.plan.contract import CLOCK_SLACK
from puente.plan.models import PlanElement
from puente.plan.service import next_version, same_object, store_objects
from puente.policy.roles import Principal, require
from puente.records.builder import agency_identity_id, stix_now


def indicators(session: Session) -> list[tuple[Indicator, str]]:
    """Every indicator with its owner node, by code."""
    objectives = {row.stix_id: row.code for row in session.execute(select(PlanElement)).scalars()}
    found = [
        (stix.indicator_of(orjson.loads(row.body), objectives.get(row.objective_id, "")),
         row.owner_node)
        for row in session.execute(select(PlanIndicator)).scalars()
    ]  # fmt: skip
    return sorted(found, key=lambda pair: int(pair[0].code[1:] or 0))


def get(session: Session, code: str) -> tuple[Indicator, str]:
    for indicator, owner in indicators(session):
        if indicator.code == code:
            return indicator, owner
    raise NotFound(N_("No indicator {code} in the plan."), code=code)


def save_indicators(session: Session, node: Node, who: Principal, items: list[Indicator],
                    *, base: str = "/indicators") -> list[str]:  # fmt: skip
    """Create or change these indicators of this node's, all or none; their STIX ids."""
    require(who, "plan.write")
    lock_writes(session)
    held = {i.code: (i, owner) for i, owner in indicators(session)}
    objectives = {row.code: row.stix_id for row in session.execute(
        select(PlanElement).where(PlanElement.level == "objective")).scalars()}  # fmt: skip
    problems: list[Problem] = []
    for index, item in enumerate(items):
        at = f"{base}/{index}"
        problems += check(item, at)
        found = held.get(item.code)
        if found is not None and found[1] != node.settings.node_id:
            problems.append(Problem(N_("{code} belongs to node {node}: only it may change it."),
                                    f"{at}/code", {"code": item.code, "node": found[1]}))  # fmt: skip
        if item.objective_code and item.objective_code not in objectives:
            problems.append(Problem(N_("No joint objective {code} in the plan."),
                                    f"{at}/objective", {"code": item.objective_code}))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    moment, author = stix_now(), agency_identity_id(who.agency)
    objects, ids = [], []
    for item in items:
        known = item.code in held
        stix_id = held[item.code][0].stix_id if known else stix.new_id(stix.INDICATOR_TYPE)
        created, modified, by, previous = next_version(session, stix_id if known else None,
                                                       moment, author)  # fmt: skip
        obj = stix.indicator_object(replace(item, stix_id=stix_id),
                                    objectives.get(item.objective_code, ""), created, modified,
                                    by)  # fmt: skip
        ids.append(stix_id)
        if not same_object(previous, obj):
            objects.append(obj)
    store_objects(session, node, who, objects, "plan.indicator")
    return ids


def add_observation(session: Session, node: Node, who: Principal, code: str, *, period: date,
                    value: float, unit: str, note: str = "") -> str:  # fmt: skip
    """A figure entered by hand for a manual indicator, in its unit; its id."""
    require(who, "plan.update")
    indicator, _ = get(session, code)
    problems = []
    if indicator.source != "manual":
        problems.append(Problem(N_("{code} is computed from {source} data: it takes no figures "
                                   "by hand."), "/code",
                                {"code": code, "source": indicator.source}))  # fmt: skip
    if not math.isfinite(value):
        problems.append(Problem(N_("A value must be a finite number."), "/value"))
    if period > date.today() + CLOCK_SLACK:  # the partner would refuse it (plan.contract)
        problems.append(Problem(N_("{period} has not begun: enter a month's figure once the "
                                   "month has begun."), "/period",
                                {"period": period.isoformat()[:7]}))  # fmt: skip
    if unit not in (indicator.unit.en, indicator.unit.es):
        problems.append(Problem(N_("{code} is measured in {unit}, not {given}."), "/unit",
                                {"code": code, "unit": indicator.unit.en, "given": unit}))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    obj = stix.observation_object(
        stix_id=stix.new_id(stix.OBSERVATION_TYPE), indicator_ref=indicator.stix_id,
        period=date(period.year, period.month, 1), value=value, unit=indicator.unit.en,
        note=note.strip(), author=who.username, created=stix_now(),
        created_by_ref=agency_identity_id(who.agency),
    )  # fmt: skip
    store_objects(session, node, who, [obj], "plan.observation")
    return str(obj["id"])
