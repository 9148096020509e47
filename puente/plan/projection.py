"""Keeping the plan's tables in step with its STIX objects, whoever wrote them.

Called for the plan objects a node stores, its own (as they are written) and its partner's
(as a sync stores them). A version older than the one held changes nothing, so pages that
arrive out of order or twice leave the same plan on both nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, TypeVar

import orjson
from sqlalchemy.orm import Session

from puente.clock import now
from puente.indicators.models import ManualObservation, PlanIndicator
from puente.plan.meetings import MEETING_TYPE
from puente.plan.models import PlanElement, PlanMeeting, PlanUpdate
from puente.plan.stix import ELEMENT_TYPE, INDICATOR_TYPE, OBSERVATION_TYPE, UPDATE_TYPE
from puente.records.validation import timestamp_key

Versioned = TypeVar("Versioned", PlanElement, PlanIndicator, PlanMeeting)


def _to_fill(session: Session, model: type[Versioned], obj: dict[str, Any],
             owner_node: str) -> Versioned | None:  # fmt: skip
    """The row to bring to ``obj``'s version (a new one if none), or None when the row already
    holds that version or a later one."""
    row = session.get(model, obj["id"])
    modified = str(obj.get("modified", ""))
    if row is not None and timestamp_key(row.modified) >= timestamp_key(modified):
        return None
    if row is None:
        row = model(stix_id=obj["id"], owner_node=owner_node)
        session.add(row)
    row.modified = modified
    return row


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def apply(session: Session, objects: Iterable[Any], owner_node: str) -> int:
    """Project the plan objects among ``objects`` (written by ``owner_node``); how many."""
    count = 0
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        if obj.get("type") == ELEMENT_TYPE:
            count += _element(session, obj, owner_node)
        elif obj.get("type") == UPDATE_TYPE:
            count += _update(session, obj, owner_node)
        elif obj.get("type") == INDICATOR_TYPE:
            count += _indicator(session, obj, owner_node)
        elif obj.get("type") == OBSERVATION_TYPE:
            count += _observation(session, obj, owner_node)
        elif obj.get("type") == MEETING_TYPE:
            count += _meeting(session, obj, owner_node)
    return count


def _meeting(session: Session, obj: dict[str, Any], owner_node: str) -> int:
    row = _to_fill(session, PlanMeeting, obj, owner_node)
    if row is None:
        return 0
    row.code, row.kind = str(obj.get("code", "")), str(obj.get("kind", ""))
    row.on = _day(obj.get("date")) or date.today()
    row.body = _json(obj)
    return 1


def _indicator(session: Session, obj: dict[str, Any], owner_node: str) -> int:
    row = _to_fill(session, PlanIndicator, obj, owner_node)
    if row is None:
        return 0
    row.code, row.objective_id = str(obj.get("code", "")), str(obj.get("objective_ref", ""))
    row.body = _json(obj)
    return 1


def _observation(session: Session, obj: dict[str, Any], owner_node: str) -> int:
    if session.get(ManualObservation, obj["id"]) is not None:
        return 0
    session.add(ManualObservation(
        stix_id=obj["id"], indicator_id=str(obj.get("indicator_ref", "")),
        period=_day(obj.get("period")) or date.today(), value=float(obj.get("value", 0)),
        note=str(obj.get("note", "")), author=str(obj.get("author", ""))[:120],
        owner_node=owner_node, created=str(obj.get("created", "")),
    ))  # fmt: skip
    return 1


def _element(session: Session, obj: dict[str, Any], owner_node: str) -> int:
    row = _to_fill(session, PlanElement, obj, owner_node)
    if row is None:
        return 0
    title, description = obj.get("title") or {}, obj.get("description") or {}
    row.level, row.code = str(obj.get("level", "")), str(obj.get("code", ""))
    row.parent_id = str(obj.get("parent_ref", ""))
    row.title_en, row.title_es = str(title.get("en", "")), str(title.get("es", ""))
    row.description_en = str(description.get("en", ""))
    row.description_es = str(description.get("es", ""))
    row.status, row.progress = str(obj.get("status", "not_started")), int(obj.get("progress", 0))
    row.start_date = _day(obj.get("start_date"))
    row.due_date = _day(obj.get("due_date"))
    row.leads = _json(obj.get("lead_agencies") or {})
    row.supporting = _json(obj.get("supporting_agencies") or [])
    row.milestones = _json(obj.get("milestones") or [])
    row.evidence = _json(obj.get("evidence") or [])
    row.updated_at = now()
    return 1


def _update(session: Session, obj: dict[str, Any], owner_node: str) -> int:
    if session.get(PlanUpdate, obj["id"]) is not None:
        return 0  # updates are written once
    session.add(PlanUpdate(
        stix_id=obj["id"], element_id=str(obj.get("element_ref", "")),
        on=_day(obj.get("date")) or date.today(), text=str(obj.get("text", "")),
        language=str(obj.get("language", ""))[:5], status=str(obj.get("status", "")),
        progress=int(obj.get("progress", 0)), author=str(obj.get("author", ""))[:120],
        owner_node=owner_node, created=str(obj.get("created", "")),
    ))  # fmt: skip
    return 1


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None
