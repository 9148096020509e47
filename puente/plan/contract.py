"""What a plan object must hold: the JSON Schemas of the plan's five new-sdo extensions
(STIX 2.1 §7.3, §11.1), published with the other extension definitions, and the check a
partner's plan object passes before this node stores it.

A partner's objects are read by every plan page, the briefing and the export. One that is
malformed (a title that is not en/es text, a code like ``²``, a date that is not a date) or
that breaks the plan's rules would break them all, or stop the sync on its page; dated far
ahead, it would outrank every later update. Such an object is quarantined with its reason,
like any other object the sync refuses, and the rest of the page is stored.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from puente.errors import N_, Problem
from puente.indicators.definitions import DIRECTIONS, SOURCES
from puente.indicators.definitions import check as check_indicator
from puente.plan.elements import EVIDENCE_KINDS, LEVELS, STATUSES
from puente.plan.elements import check as check_element
from puente.plan.meetings import EXT_MEETING, KINDS, MEETING_TYPE, meeting_of
from puente.plan.meetings import check as check_meeting
from puente.plan.stix import (
    ELEMENT_TYPE,
    EXT_ELEMENT,
    EXT_INDICATOR,
    EXT_OBSERVATION,
    EXT_UPDATE,
    INDICATOR_TYPE,
    OBSERVATION_TYPE,
    UPDATE_TYPE,
    element_of,
    indicator_of,
)

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

# Clocks of two sovereign nodes differ a little; a day more is a date no one wrote today.
CLOCK_SLACK = timedelta(days=1)

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
_DAY = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_TEXT = {
    "type": "object",
    "properties": {"en": _STRING, "es": _STRING},
    "required": ["en", "es"],
    "additionalProperties": False,
}
_NUMBER = {"type": "number"}
_POINT = {
    "type": "object",
    "properties": {"date": _DAY, "value": _NUMBER},
    "required": ["date", "value"],
}


def _ref(stix_type: str) -> dict[str, Any]:
    return {"type": "string", "pattern": f"^{stix_type}--[0-9a-f]{{8}}-[0-9a-f-]{{27}}$"}


def _objects(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "object", "properties": properties, "required": required or []},
    }


SCHEMAS: dict[str, tuple[str, str, list[str], dict[str, Any], list[str]]] = {
    # id: (name, description, extension types, properties, required), as records.extensions
    EXT_ELEMENT: (
        "Puente joint action plan element",
        "One element of the joint action plan (goal, cooperation area, joint objective or "
        "cooperative action) with its code, bilingual title and description, parent, status, "
        "progress, dates, lead and supporting agencies per country, milestones and evidence. "
        "Written by one node only.",
        ["new-sdo"],
        {
            "level": {"enum": list(LEVELS)},
            "code": {"type": "string", "pattern": r"^[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2}){0,3}$"},
            "title": _TEXT,
            "description": _TEXT,
            "parent_ref": _ref(ELEMENT_TYPE),
            "status": {"enum": list(STATUSES)},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "start_date": _DAY,
            "due_date": _DAY,
            "lead_agencies": {
                "type": "object",
                "propertyNames": {"enum": ["USA", "MEX"]},
                "additionalProperties": _STRINGS,
            },
            "supporting_agencies": _STRINGS,
            "milestones": _objects(
                {"title": _TEXT, "due_date": _DAY, "done_date": _DAY}, ["title"]
            ),
            "evidence": _objects(
                {"kind": {"enum": list(EVIDENCE_KINDS)}, "ref": _STRING, "label": _STRING},
                ["kind", "ref"],
            ),
        },
        ["level", "code", "title"],
    ),
    EXT_UPDATE: (
        "Puente joint action plan progress update",
        "A dated progress update on a plan element, written by either side: what was done "
        "(in English or Spanish), the status and progress it reports, and its author.",
        ["new-sdo"],
        {
            "element_ref": _ref(ELEMENT_TYPE),
            "date": _DAY,
            "text": _STRING,
            "language": {"enum": ["en", "es"]},
            "status": {"enum": list(STATUSES)},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "author": _STRING,
        },
        ["element_ref", "date", "text", "language", "status", "progress"],
    ),
    EXT_INDICATOR: (
        "Puente joint action plan indicator",
        "An indicator (benchmark) of the plan: bilingual name and unit, whether up or down is "
        "good, where its figures come from (a dataset with filters and a split, a platform "
        "measure, or entry by hand), its baseline and its dated targets.",
        ["new-sdo"],
        {
            "code": {"type": "string", "pattern": "^I[0-9]{1,3}$"},
            "name": _TEXT,
            "unit": _TEXT,
            "good_direction": {"enum": list(DIRECTIONS)},
            "source": {"enum": list(SOURCES)},
            "objective_ref": _ref(ELEMENT_TYPE),
            "dataset": _STRING,
            "measure": _STRING,
            "filters": {"type": "object", "additionalProperties": _STRING},
            "split_by": _STRING,
            "baseline": _POINT,
            "targets": {"type": "array", "items": _POINT},
        },
        ["code", "name", "unit", "good_direction", "source"],
    ),
    EXT_OBSERVATION: (
        "Puente joint action plan observation",
        "A figure for one month of an indicator whose figures are entered by hand, in the "
        "indicator's unit, with who entered it.",
        ["new-sdo"],
        {
            "indicator_ref": _ref(INDICATOR_TYPE),
            "period": _DAY,
            "value": _NUMBER,
            "unit": _STRING,
            "note": _STRING,
            "author": _STRING,
        },
        ["indicator_ref", "period", "value"],
    ),
    EXT_MEETING: (
        "Puente joint action plan meeting",
        "A meeting of the Security Implementation Group, the Security Ministerial or a "
        "working group: date, place, participants, agenda, decisions, the actions it created "
        "or re-assigned, and the expectations it adopted.",
        ["new-sdo"],
        {
            "code": {
                "type": "string",
                "pattern": "^[A-Z]{2,5}-[0-9]{4}-[0-9]{2}(-[0-9A-Z]{1,4})?$",
            },
            "kind": {"enum": list(KINDS)},
            "title": _TEXT,
            "date": _DAY,
            "place": _STRING,
            "participants": _objects(
                {"name": _STRING, "role": _STRING, "agency": _STRING}, ["name"]
            ),
            "agenda": {"type": "array", "items": _TEXT},
            "decisions": {"type": "array", "items": _TEXT},
            "action_codes": _STRINGS,
            "expectations": _objects(
                {"text": _TEXT, "subject": _STRING, "due_date": _DAY}, ["text"]
            ),
        },
        ["code", "kind", "title", "date"],
    ),
}
EXTENSION_OF = {
    ELEMENT_TYPE: EXT_ELEMENT,
    UPDATE_TYPE: EXT_UPDATE,
    INDICATOR_TYPE: EXT_INDICATOR,
    OBSERVATION_TYPE: EXT_OBSERVATION,
    MEETING_TYPE: EXT_MEETING,
}


@cache
def _validator(stix_type: str) -> Draft202012Validator:
    # Imported on the first plan object, not with this module: where rfc3987-syntax is
    # installed (stix2-validator brings it), importing jsonschema builds a grammar for two
    # seconds, and every `puente` command that publishes the extensions would pay it.
    from jsonschema import Draft202012Validator

    _name, _description, _types, properties, required = SCHEMAS[EXTENSION_OF[stix_type]]
    return Draft202012Validator({"type": "object", "properties": properties, "required": required})


def refusal(obj: Any, today: date | None = None) -> Problem | None:
    """Why a partner's plan object may not be stored; None when it may (or is no plan object)."""
    if not isinstance(obj, dict) or obj.get("type") not in EXTENSION_OF:
        return None
    stix_type = str(obj["type"])
    error = next(iter(_validator(stix_type).iter_errors(obj)), None)
    if error is not None:
        where = "/" + "/".join(str(part) for part in error.absolute_path)
        return Problem(N_("{type} does not follow its schema at {where}: {reason}"), where,
                       {"type": stix_type, "where": where, "reason": error.message[:200]})  # fmt: skip
    found = _rules(stix_type, obj)
    if found:
        return found
    return _dated_ahead(obj, today or datetime.now(UTC).date())


def _rules(stix_type: str, obj: dict[str, Any]) -> Problem | None:
    """The plan's own rules, as this node's pages would apply them to the object."""
    if stix_type == OBSERVATION_TYPE and not math.isfinite(obj["value"]):
        return Problem(N_("{type} cannot be read: {reason}"), "/value",
                       {"type": stix_type, "reason": "the value is not a finite number"})  # fmt: skip
    try:
        if stix_type == ELEMENT_TYPE:
            problems = check_element(element_of(obj, ""))
        elif stix_type == INDICATOR_TYPE:
            problems = check_indicator(indicator_of(obj, ""))
        elif stix_type == MEETING_TYPE:
            problems = check_meeting(meeting_of(obj))
        else:
            problems = []
    except (KeyError, TypeError, ValueError) as exc:  # a date the schema's pattern let through
        return Problem(N_("{type} cannot be read: {reason}"), "",
                       {"type": stix_type, "reason": str(exc)[:200]})  # fmt: skip
    return problems[0] if problems else None


def _dated_ahead(obj: dict[str, Any], today: date) -> Problem | None:
    """Updates and figures are ordered by their dates: one dated ahead would outrank every
    later one for as long as the date lies ahead."""
    if obj.get("type") not in (UPDATE_TYPE, OBSERVATION_TYPE):
        return None
    days = [("date", obj.get("date")), ("period", obj.get("period")),
            ("created", str(obj.get("created", ""))[:10])]  # fmt: skip
    for name, value in days:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and value else None
        except ValueError:
            return Problem(N_("{type} cannot be read: {reason}"), f"/{name}",
                           {"type": obj["type"], "reason": f"{value} is not a date"})  # fmt: skip
        if day is not None and day > today + CLOCK_SLACK:
            return Problem(N_("{type} is dated {day}, ahead of today."), f"/{name}",
                           {"type": obj["type"], "day": day.isoformat()})  # fmt: skip
    return None
