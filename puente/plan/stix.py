"""Plan elements and progress updates as STIX 2.1 objects, so the existing federation shares
them: custom objects defined by new-sdo extension definitions (STIX 2.1 §7.3, §11.1).

``x-puente-plan-element`` is one element of the tree; it points to its parent with
``parent_ref``. ``x-puente-plan-update`` is one dated progress update on an element, written
by either side. Each object has one writer, the node that created it: a partner's objects are
stored read-only, as every received record is, so both nodes hold one consistent plan.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from puente.i18n import Text
from puente.indicators.definitions import Indicator
from puente.plan.elements import Element, Evidence, Milestone

ELEMENT_TYPE = "x-puente-plan-element"
UPDATE_TYPE = "x-puente-plan-update"
EXT_ELEMENT = "extension-definition--c4a7e2d1-8f3b-4e6a-9d15-7b2c0e9f4a63"
EXT_UPDATE = "extension-definition--e81b5c3a-2d4f-4b7e-a6c9-3f0d8e1b7a24"
PLAN_TYPES = frozenset({ELEMENT_TYPE, UPDATE_TYPE})


def new_id(stix_type: str) -> str:
    return f"{stix_type}--{uuid.uuid4()}"


def _text(value: Text) -> dict[str, str]:
    return {"en": value.en, "es": value.es}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def element_object(element: Element, parent_ref: str, created: str, modified: str,
                   created_by_ref: str) -> dict[str, Any]:  # fmt: skip
    """The STIX object for ``element`` (its ``stix_id`` set)."""
    body: dict[str, Any] = {
        "type": ELEMENT_TYPE,
        "spec_version": "2.1",
        "id": element.stix_id,
        "created": created,
        "modified": modified,
        "created_by_ref": created_by_ref,
        "level": element.level,
        "code": element.code,
        "title": _text(element.title),
        "description": _text(element.description),
        "status": element.status,
        "progress": element.progress,
        "extensions": {EXT_ELEMENT: {"extension_type": "new-sdo"}},
    }
    if parent_ref:
        body["parent_ref"] = parent_ref
    optional = {
        "start_date": _day(element.start_date),
        "due_date": _day(element.due_date),
        "lead_agencies": {c: a for c, a in sorted(element.leads.items()) if a} or None,
        "supporting_agencies": element.supporting or None,
        "milestones": [
            {k: v for k, v in (("title", _text(m.title)), ("due_date", _day(m.due_date)),
                               ("done_date", _day(m.done_date))) if v}
            for m in element.milestones
        ] or None,
        "evidence": [
            {k: v for k, v in (("kind", e.kind), ("ref", e.ref), ("label", e.label)) if v}
            for e in element.evidence
        ] or None,
    }  # fmt: skip
    body.update({k: v for k, v in optional.items() if v})
    return body


def _read_text(value: Any) -> Text:
    value = value if isinstance(value, dict) else {}
    return Text(str(value.get("en", "")), str(value.get("es", "")))


def _read_day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def element_of(obj: dict[str, Any], parent_code: str) -> Element:
    """The element a stored ``x-puente-plan-element`` describes."""
    return Element(
        level=str(obj.get("level", "")),
        code=str(obj.get("code", "")),
        title=_read_text(obj.get("title")),
        description=_read_text(obj.get("description")),
        parent_code=parent_code,
        stix_id=str(obj["id"]),
        status=str(obj.get("status", "not_started")),
        progress=int(obj.get("progress", 0)),
        start_date=_read_day(obj.get("start_date")),
        due_date=_read_day(obj.get("due_date")),
        leads={str(c): [str(a) for a in agencies]
               for c, agencies in (obj.get("lead_agencies") or {}).items()},
        supporting=[str(a) for a in obj.get("supporting_agencies") or []],
        milestones=[Milestone(_read_text(m.get("title")), _read_day(m.get("due_date")),
                              _read_day(m.get("done_date"))) for m in obj.get("milestones") or []],
        evidence=[Evidence(str(e.get("kind", "")), str(e.get("ref", "")), str(e.get("label", "")))
                  for e in obj.get("evidence") or []],
    )  # fmt: skip


def update_object(*, stix_id: str, element_ref: str, on: date, text: str, language: str,
                  status: str, progress: int, author: str, created: str,
                  created_by_ref: str) -> dict[str, Any]:  # fmt: skip
    """A dated progress update on the element ``element_ref``."""
    return {
        "type": UPDATE_TYPE,
        "spec_version": "2.1",
        "id": stix_id,
        "created": created,
        "modified": created,
        "created_by_ref": created_by_ref,
        "element_ref": element_ref,
        "date": on.isoformat(),
        "text": text,
        "language": language,
        "status": status,
        "progress": progress,
        "author": author,
        "extensions": {EXT_UPDATE: {"extension_type": "new-sdo"}},
    }


INDICATOR_TYPE = "x-puente-plan-indicator"
OBSERVATION_TYPE = "x-puente-plan-observation"
EXT_INDICATOR = "extension-definition--9a3e5f17-6c2b-4d8e-b1f4-5e7a0c2d9b86"
EXT_OBSERVATION = "extension-definition--4f1d8b2e-7a6c-4e93-8b5d-2c9e0f6a1d37"
PLAN_TYPES = PLAN_TYPES | {INDICATOR_TYPE, OBSERVATION_TYPE}


def indicator_object(indicator: Indicator, objective_ref: str, created: str, modified: str,
                     created_by_ref: str) -> dict[str, Any]:  # fmt: skip
    """An indicator's definition (its observations from data are each node's own import)."""
    body: dict[str, Any] = {
        "type": INDICATOR_TYPE, "spec_version": "2.1", "id": indicator.stix_id,
        "created": created, "modified": modified, "created_by_ref": created_by_ref,
        "code": indicator.code, "name": _text(indicator.name), "unit": _text(indicator.unit),
        "good_direction": indicator.good_direction, "source": indicator.source,
        "extensions": {EXT_INDICATOR: {"extension_type": "new-sdo"}},
    }  # fmt: skip
    optional: dict[str, Any] = {
        "objective_ref": objective_ref,
        "dataset": indicator.dataset,
        "measure": indicator.measure,
        "filters": dict(sorted(indicator.filters.items())) or None,
        "split_by": indicator.split_by,
        "baseline": {"date": indicator.baseline.on.isoformat(), "value": indicator.baseline.value}
        if indicator.baseline else None,
        "targets": [{"date": t.on.isoformat(), "value": t.value} for t in indicator.targets]
        or None,
    }  # fmt: skip
    body.update({k: v for k, v in optional.items() if v})
    return body


def observation_object(*, stix_id: str, indicator_ref: str, period: date, value: float,
                       unit: str, note: str, author: str, created: str,
                       created_by_ref: str) -> dict[str, Any]:  # fmt: skip
    """An observation entered by hand, with who entered it."""
    return {
        "type": OBSERVATION_TYPE, "spec_version": "2.1", "id": stix_id, "created": created,
        "modified": created, "created_by_ref": created_by_ref, "indicator_ref": indicator_ref,
        "period": period.isoformat(), "value": value, "unit": unit, "note": note,
        "author": author, "extensions": {EXT_OBSERVATION: {"extension_type": "new-sdo"}},
    }  # fmt: skip


def indicator_of(obj: dict[str, Any], objective_code: str) -> Indicator:
    """The indicator a stored ``x-puente-plan-indicator`` defines."""
    from puente.indicators.definitions import Point

    baseline = obj.get("baseline")
    return Indicator(
        code=str(obj.get("code", "")), name=_read_text(obj.get("name")),
        unit=_read_text(obj.get("unit")), good_direction=str(obj.get("good_direction", "")),
        source=str(obj.get("source", "")), objective_code=objective_code,
        dataset=str(obj.get("dataset", "")), measure=str(obj.get("measure", "")),
        filters={str(k): str(v) for k, v in (obj.get("filters") or {}).items()},
        split_by=str(obj.get("split_by", "")),
        baseline=Point(date.fromisoformat(baseline["date"]), float(baseline["value"]))
        if baseline else None,
        targets=[Point(date.fromisoformat(target["date"]), float(target["value"]))
                 for target in obj.get("targets") or []],
        stix_id=str(obj["id"]),
    )  # fmt: skip
