"""Writing the plan: this node's elements and progress updates, as STIX objects it owns.

Every write is one transaction: the objects are checked, stored as this node's records
(TLP:GREEN, REL TO both countries, so the federation shares them), projected into the plan's
tables and audited. An element belongs to the node that created it; the partner's elements
are read-only here, but either side writes progress updates on any element.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.db import lock_writes
from puente.errors import N_, Forbidden, InvalidInput, Label, NotFound, Problem
from puente.node import Node
from puente.plan import projection, stix
from puente.plan.contract import CLOCK_SLACK
from puente.plan.elements import LEVEL_LABELS, PARENT_LEVEL, STATUSES, Element, check
from puente.plan.meetings import MEETING_TYPE, Meeting, meeting_object, meeting_of
from puente.plan.meetings import check as check_meeting
from puente.plan.models import PlanElement, PlanMeeting
from puente.policy.markings import Markings
from puente.policy.roles import Principal, require
from puente.records.builder import agency_identity_id, later_than, stix_now
from puente.records.ingest import ingest
from puente.records.models import Record
from puente.shapes import beside

PLAN_MARKINGS = Markings(tlp="GREEN", rel_to=frozenset({"USA", "MEX"}))


def _by_code(session: Session, own: str = "") -> dict[str, PlanElement]:
    """The elements by code; where two nodes gave out one code, node ``own``'s element (so
    that node may still change or cancel it), else the one whose id sorts first."""
    rows = sorted(session.execute(select(PlanElement)).scalars(),
                  key=lambda row: row.stix_id, reverse=True)  # fmt: skip
    rows.sort(key=lambda row: row.owner_node == own)  # the last one for a code wins
    return {row.code: row for row in rows}


def require_writer(node: Node, code: str, owner: str) -> None:
    """Refuse to change ``code`` here unless this node wrote it: each side writes its own."""
    if owner != node.settings.node_id:
        raise Forbidden(N_("{code} belongs to node {node}: only it may change it."),
                        pointer="/code", code=code, node=owner)  # fmt: skip


def owner_of(session: Session, code: str) -> str | None:
    """The node that wrote element ``code``, or None when the plan has no such element."""
    row = _by_code(session).get(code)
    return row.owner_node if row is not None else None


def _current(session: Session, stix_id: str) -> dict[str, Any] | None:
    row = session.execute(
        select(Record.content).where(Record.stix_id == stix_id, Record.is_current.is_(True))
    ).scalar_one_or_none()
    return orjson.loads(row) if row else None


def save_elements(session: Session, node: Node, who: Principal, elements: list[Element],
                  *, base: str = "/elements") -> list[str]:  # fmt: skip
    """Create or change these elements of this node's, all or none; their STIX ids."""
    require(who, "plan.write")
    lock_writes(session)
    held = _by_code(session, node.settings.node_id)
    problems: list[Problem] = []
    batch = {e.code: e for e in elements}
    for index, element in enumerate(elements):
        at = f"{base}/{index}"
        problems += check(element, at)
        existing = held.get(element.code)
        if existing is not None and existing.owner_node != node.settings.node_id:
            problems.append(Problem(N_("{code} belongs to node {node}: only it may change it."),
                                    f"{at}/code", {"code": element.code,
                                                   "node": existing.owner_node}))  # fmt: skip
        problems += _check_parent(element, batch, held, at)
    problems += _cycles(batch, held, base, elements)
    if problems:
        raise InvalidInput(problems)
    ids = {code: (held[code].stix_id if code in held else stix.new_id(stix.ELEMENT_TYPE))
           for code in batch}  # fmt: skip
    objects = []
    moment = stix_now()
    author = agency_identity_id(who.agency)
    for element in _parents_first(elements):
        stix_id = ids[element.code]
        parent_ref = ids.get(element.parent_code) or (
            held[element.parent_code].stix_id if element.parent_code in held else "")  # fmt: skip
        created, modified, by, previous = next_version(
            session, stix_id if element.code in held else None, moment, author)  # fmt: skip
        obj = stix.element_object(replace(element, stix_id=stix_id), parent_ref, created,
                                  modified, by)  # fmt: skip
        if not same_object(previous, obj):  # unchanged: no new version
            objects.append(obj)
    store_objects(session, node, who, objects, "plan.write")
    return [ids[e.code] for e in elements]


def set_element(session: Session, node: Node, who: Principal, code: str,
                changes: dict[str, str]) -> Element:  # fmt: skip
    """Create element ``code`` of this node's, or change only the fields named in
    ``changes`` (as :mod:`puente.plan.fields` names them: ``parent``, ``title_en``,
    ``due_date`` ...) and keep the rest, milestones and evidence included. Re-parenting is a
    new ``parent``; closing, a status of completed or cancelled. Problems point at the
    fields."""
    from puente.plan import fields, reading

    mine = node.settings.node_id
    held: dict[str, Element] = {}
    for element, owner in reading.elements(session):  # this node's where two share a code
        if element.code not in held or owner == mine:
            held[element.code] = element
    current = held.get(code)
    parent = changes.get("parent", code.rpartition(".")[0])
    values = fields.field_values(current, parent) | {"code": code} | changes
    element, problems, _ = fields.element_from(values, current)
    if problems:  # what could not be read, with what the element's rules say of the rest
        raise InvalidInput(problems + beside(check(element), problems))
    save_elements(session, node, who, [element], base="")
    return element


def _same(previous: dict[str, Any], obj: dict[str, Any]) -> bool:
    ignored = {"modified", "extensions"}
    return {k: v for k, v in previous.items() if k not in ignored} == {
        k: v for k, v in obj.items() if k not in ignored
    }


def _check_parent(element: Element, batch: dict[str, Element], held: dict[str, PlanElement],
                  at: str) -> list[Problem]:  # fmt: skip
    wanted = PARENT_LEVEL.get(element.level)
    if wanted is None:
        if element.parent_code:
            return [Problem(N_("A goal has no parent."), f"{at}/parent")]
        return []
    if not element.parent_code:
        return [Problem(N_("A {level} needs a parent {parent}."), f"{at}/parent",
                        {"level": Label(LEVEL_LABELS[element.level]),
                         "parent": Label(LEVEL_LABELS[wanted])})]  # fmt: skip
    parent_level = (batch[element.parent_code].level if element.parent_code in batch
                    else held[element.parent_code].level if element.parent_code in held
                    else None)  # fmt: skip
    if parent_level is None:
        return [Problem(N_("No element {code} in the plan to be the parent."), f"{at}/parent",
                        {"code": element.parent_code})]  # fmt: skip
    if parent_level != wanted:
        return [Problem(N_("The parent of a {level} must be a {parent}."), f"{at}/parent",
                        {"level": Label(LEVEL_LABELS[element.level]),
                         "parent": Label(LEVEL_LABELS[wanted])})]  # fmt: skip
    return []


def _cycles(batch: dict[str, Element], held: dict[str, PlanElement], base: str,
            elements: list[Element]) -> list[Problem]:  # fmt: skip
    """Parents that lead back to the element: reported once, on the element that starts it."""
    parents = {row.code: _parent_code(row, held) for row in held.values()}
    parents |= {code: e.parent_code for code, e in batch.items()}
    problems = []
    for index, element in enumerate(elements):
        seen, code = [element.code], parents.get(element.code, "")
        while code and code not in seen:
            seen.append(code)
            code = parents.get(code, "")
        if code and code == element.code:
            problems.append(Problem(N_("The parents form a cycle: {path}."), f"{base}/{index}/parent",
                                    {"path": " → ".join([*seen, code])}))  # fmt: skip
    return problems


def _parent_code(row: PlanElement, held: dict[str, PlanElement]) -> str:
    for other in held.values():
        if other.stix_id == row.parent_id:
            return other.code
    return ""


def _parents_first(elements: list[Element]) -> list[Element]:
    return sorted(elements, key=lambda e: (e.code.count("."), e.code))


def add_update(session: Session, node: Node, who: Principal, code: str, *, text: str,
               language: str, status: str, progress: int, on: date | None = None) -> str:  # fmt: skip
    """A dated progress update on element ``code`` (this side's or the partner's); its id."""
    require(who, "plan.update")
    # Where two nodes gave out one code, the element this node's tree shows: its own.
    row = _by_code(session, node.settings.node_id).get(code)
    if row is None:
        raise NotFound(N_("No element {code} in the plan."), code=code)
    problems = []
    if not text.strip():
        problems.append(Problem(N_("Say what progress was made."), "/text"))
    if status not in STATUSES:
        problems.append(Problem(N_("Unknown status {status}; use one of: {statuses}."),
                                "/status", {"status": status, "statuses": ", ".join(STATUSES)}))  # fmt: skip
    if not 0 <= progress <= 100:
        problems.append(Problem(N_("Progress is a percentage, from 0 to 100."), "/progress"))
    if on is not None and on > date.today() + CLOCK_SLACK:
        # The partner would refuse it (plan.contract): the two plans would differ for good.
        problems.append(Problem(N_("{date} is ahead of today: date an update when the work "
                                   "was done."), "/date", {"date": on.isoformat()}))  # fmt: skip
    if language not in ("en", "es"):
        problems.append(Problem(N_("Write the update in English (en) or Spanish (es)."),
                                "/language"))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    obj = stix.update_object(stix_id=stix.new_id(stix.UPDATE_TYPE), element_ref=row.stix_id,
                             on=on or date.today(), text=text.strip(), language=language,
                             status=status, progress=progress, author=who.username,
                             created=stix_now(), created_by_ref=agency_identity_id(who.agency))  # fmt: skip
    store_objects(session, node, who, [obj], "plan.update")
    return str(obj["id"])


def next_version(session: Session, stix_id: str | None, moment: str,
                 author: str) -> tuple[str, str, str, dict[str, Any] | None]:  # fmt: skip
    """(created, modified, created_by_ref, the current object) for a new version of the plan
    object ``stix_id`` (None: a new object)."""
    previous = _current(session, stix_id) if stix_id else None
    if previous is None:
        return moment, moment, author, None
    return (previous["created"], later_than(previous["modified"], moment),
            previous["created_by_ref"], previous)  # fmt: skip


def same_object(previous: dict[str, Any] | None, obj: dict[str, Any]) -> bool:
    """Whether ``obj`` says what ``previous`` said (no new version needed)."""
    return previous is not None and _same(previous, obj)


def store_objects(session: Session, node: Node, who: Principal, objects: list[dict[str, Any]],
                  action: str) -> None:  # fmt: skip
    """Store plan objects as this node's records and project them."""
    if objects:
        ingest(session, node.settings, who, objects, override=PLAN_MARKINGS, action=action,
               base_pointer="")  # fmt: skip
        projection.apply(session, objects, node.settings.node_id)


def meetings(session: Session) -> list[tuple[Meeting, str]]:
    """Every meeting with its owner node, by date (then code: the same order on any database)."""
    rows = session.execute(
        select(PlanMeeting).order_by(PlanMeeting.on, PlanMeeting.code, PlanMeeting.stix_id)
    ).scalars()
    return [(meeting_of(orjson.loads(row.body)), row.owner_node) for row in rows]


def meeting(session: Session, code: str) -> tuple[Meeting, str] | None:
    """Meeting ``code`` with its owner node, or None."""
    row = session.execute(select(PlanMeeting).where(PlanMeeting.code == code)
                          .order_by(PlanMeeting.stix_id).limit(1)).scalar_one_or_none()  # fmt: skip
    return (meeting_of(orjson.loads(row.body)), row.owner_node) if row is not None else None


def get_meeting(session: Session, code: str) -> tuple[Meeting, str]:
    """Meeting ``code`` with its owner node; NotFound when the plan has none."""
    found = meeting(session, code)
    if found is None:
        raise NotFound(N_("No meeting {code} in the plan."), code=code)
    return found


def save_meetings(session: Session, node: Node, who: Principal, items: list[Meeting],
                  *, base: str = "/meetings") -> list[str]:  # fmt: skip
    """Record or change these meetings of this node's, all or none; their STIX ids."""
    require(who, "plan.write")
    lock_writes(session)
    held = {m.code: (m, owner) for m, owner in meetings(session)}
    elements = _by_code(session)
    problems: list[Problem] = []
    for index, item in enumerate(items):
        at = f"{base}/{index}"
        problems += check_meeting(item, at)
        found = held.get(item.code)
        if found is not None and found[1] != node.settings.node_id:
            problems.append(Problem(N_("{code} belongs to node {node}: only it may change it."),
                                    f"{at}/code", {"code": item.code, "node": found[1]}))  # fmt: skip
        for position, code in enumerate(item.actions):
            if code not in elements:
                problems.append(Problem(N_("No element {code} in the plan."),
                                        f"{at}/actions/{position}", {"code": code}))  # fmt: skip
            elif elements[code].level != "action":
                problems.append(Problem(N_("{code} is not an action: a meeting creates or "
                                           "re-assigns actions."), f"{at}/actions/{position}",
                                        {"code": code}))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    moment, author = stix_now(), agency_identity_id(who.agency)
    objects, ids = [], []
    for item in items:
        stix_id = held[item.code][0].stix_id if item.code in held else stix.new_id(MEETING_TYPE)
        created, modified, by, previous = next_version(
            session, stix_id if item.code in held else None, moment, author)  # fmt: skip
        obj = meeting_object(replace(item, stix_id=stix_id), created, modified, by)
        ids.append(stix_id)
        if not same_object(previous, obj):
            objects.append(obj)
    store_objects(session, node, who, objects, "plan.meeting")
    return ids
