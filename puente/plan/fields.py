"""An element of the plan as named text fields, and back: what the element form shows and
sends (its milestones and evidence as numbered rows: ``milestone-0-title_en``), and what
``puente plan set`` changes. They are read by the API's shape of an element, which reports
what cannot be read (a date, a number); the element's own rules stay in
:func:`puente.plan.elements.check`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from puente.errors import Problem
from puente.plan.elements import LEVELS, Element
from puente.plan.schemas import ElementIn
from puente.shapes import read_partly

MILESTONE_FIELDS = ("title_en", "title_es", "due_date", "done_date")
EVIDENCE_FIELDS = ("kind", "ref", "label")
ROWS = {"milestone": MILESTONE_FIELDS, "evidence": EVIDENCE_FIELDS}
ROW_FIELD = re.compile(r"(milestone|evidence)-([0-9]{1,3})-([a-z_]+)")
MAX_ROWS = 200


def _day_text(day: date | None) -> str:
    return day.isoformat() if day else ""


def field_values(element: Element | None, parent: str) -> dict[str, str]:
    """The element's fields as text; for a new element (None) under ``parent``, the level
    one below it and the defaults."""
    if element is None:
        level = LEVELS[min(parent.count(".") + 1, 3)] if parent else "goal"
        return {"parent": parent, "level": level, "status": "not_started", "progress": "0"}
    values = {
        "code": element.code, "level": element.level, "parent": element.parent_code,
        "title_en": element.title.en, "title_es": element.title.es,
        "description_en": element.description.en, "description_es": element.description.es,
        "status": element.status, "progress": str(element.progress),
        "start_date": _day_text(element.start_date), "due_date": _day_text(element.due_date),
        "lead_usa": ", ".join(element.leads.get("USA", [])),
        "lead_mex": ", ".join(element.leads.get("MEX", [])),
        "supporting": ", ".join(element.supporting),
    }  # fmt: skip
    for index, m in enumerate(element.milestones):
        items = (m.title.en, m.title.es, _day_text(m.due_date), _day_text(m.done_date))
        values |= _row(f"milestone-{index}-", MILESTONE_FIELDS, items)
    for index, e in enumerate(element.evidence):
        values |= _row(f"evidence-{index}-", EVIDENCE_FIELDS, (e.kind, e.ref, e.label))
    return values


def _row(prefix: str, names: tuple[str, ...], items: tuple[str, ...]) -> dict[str, str]:
    return {prefix + name: item for name, item in zip(names, items, strict=True)}


def _rows(values: dict[str, str], kind: str) -> Iterable[tuple[int, dict[str, str]]]:
    """Each row of ``kind`` that is not blank: its number and its fields, stripped."""
    count = max((int(found[2]) + 1 for name in values
                 if (found := ROW_FIELD.fullmatch(name)) and found[1] == kind), default=0)  # fmt: skip
    for index in range(count):
        row = {name: values.get(f"{kind}-{index}-{name}", "").strip() for name in ROWS[kind]}
        if any(row.values()):
            yield index, row


def _split(text: str) -> list[str]:
    return [part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip()]


# Which form row each of the element's milestones and evidence items came from.
RowMap = dict[str, list[int]]


def element_from(values: dict[str, str],
                  kept: Element | None) -> tuple[Element, list[Problem], RowMap]:  # fmt: skip
    """The element the form describes, the values it could not read (read by the API's
    :class:`~puente.plan.schemas.ElementIn`, at its pointers), and the rows' map. Fields that
    cannot be read are left at their defaults, so the element's rules can still be checked.

    A form without any milestone (or evidence) field keeps the element's own ``kept`` ones.
    """
    leads = {"USA": _split(values.get("lead_usa", "")), "MEX": _split(values.get("lead_mex", ""))}
    data: dict[str, Any] = {
        "code": values.get("code", "").strip(), "level": values.get("level", ""),
        "parent": values.get("parent", "").strip(),
        "title": {"en": values.get("title_en", ""), "es": values.get("title_es", "")},
        "description": {"en": values.get("description_en", ""),
                        "es": values.get("description_es", "")},
        "status": values.get("status", ""), "progress": values.get("progress", ""),
        "start_date": values.get("start_date", ""), "due_date": values.get("due_date", ""),
        "leads": {country: codes for country, codes in leads.items() if codes},
        "supporting": _split(values.get("supporting", "")),
    }  # fmt: skip
    rows: RowMap = {"milestone": [], "evidence": []}
    given = {kind: any(name.startswith(f"{kind}-") for name in values) for kind in ROWS}
    if given["milestone"]:
        data["milestones"] = []
        for index, row in _rows(values, "milestone"):
            rows["milestone"].append(index)
            data["milestones"].append({"title": {"en": row["title_en"], "es": row["title_es"]},
                                       "due_date": row["due_date"],
                                       "done_date": row["done_date"]})  # fmt: skip
    if given["evidence"]:
        data["evidence"] = []
        for index, row in _rows(values, "evidence"):
            rows["evidence"].append(index)
            data["evidence"].append(dict(row))
    shape, problems = read_partly(ElementIn, data)
    element = (shape or ElementIn()).element()  # every field has a default: never None
    if kept is not None and not given["milestone"]:
        element.milestones = kept.milestones
    if kept is not None and not given["evidence"]:
        element.evidence = kept.evidence
    return element, problems, rows


FORM_FIELDS = ("code", "level", "parent", "title_en", "title_es", "description_en",
               "description_es", "status", "progress", "start_date", "due_date", "lead_usa",
               "lead_mex", "supporting")  # fmt: skip
