"""The whole plan as a YAML file (docs/plan-format.md): export, and import all or nothing.

The file lists every element (both nodes') and every progress update. Exported and imported
again, it changes nothing. On import, this node's elements are created or changed, the
partner's must be as held (they are not this node's to change), and updates without an id
are added. Each entry is read by the shape the REST API reads the same object by
(:mod:`puente.plan.schemas`, :mod:`puente.indicators.schemas`), every scalar as text (so a
code ``2.10`` stays ``2.10``), and every error names the line of the file it is on
(:mod:`puente.plan.yaml_lines`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Annotated, Any

import yaml
from pydantic import ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.errors import N_, InvalidInput, NotFound, Problem, counted
from puente.i18n import Text
from puente.indicators.definitions import Indicator
from puente.indicators.models import ManualObservation
from puente.indicators.schemas import IndicatorIn, ObservationIn
from puente.node import Node
from puente.plan import indicators as indicator_service
from puente.plan import reading, service
from puente.plan.elements import Element
from puente.plan.meetings import Meeting
from puente.plan.models import PlanUpdate
from puente.plan.schemas import ElementIn, MeetingIn, UpdateIn
from puente.plan.yaml_lines import Lines, load
from puente.policy.roles import Principal, require
from puente.shapes import Plain, Required, Shape, listed, problems_of

FORMAT_VERSION = "1"


# -- export -------------------------------------------------------------------------------------


def _text(value: Text) -> dict[str, str]:
    return {"en": value.en, "es": value.es}


def _element_data(element: Element, owner: str) -> dict[str, Any]:
    data: dict[str, Any] = {"id": element.stix_id, "code": element.code, "level": element.level}
    if element.parent_code:
        data["parent"] = element.parent_code
    data |= {"owner": owner, "title": _text(element.title)}
    if element.description.en or element.description.es:
        data["description"] = _text(element.description)
    if element.is_action or element.status != "not_started" or element.progress:
        data |= {"status": element.status, "progress": element.progress}
    for name in ("start_date", "due_date"):
        value = getattr(element, name)
        if value:
            data[name] = value.isoformat()
    if element.leads:
        data["leads"] = {country: list(codes) for country, codes in element.leads.items()}
    if element.supporting:
        data["supporting"] = list(element.supporting)
    if element.milestones:
        data["milestones"] = [
            {"title": _text(m.title)}
            | ({"due_date": m.due_date.isoformat()} if m.due_date else {})
            | ({"done_date": m.done_date.isoformat()} if m.done_date else {})
            for m in element.milestones
        ]
    if element.evidence:
        data["evidence"] = [{"kind": e.kind, "ref": e.ref} | ({"label": e.label} if e.label
                            else {}) for e in element.evidence]  # fmt: skip
    return data


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _indicator_data(indicator: Indicator, owner: str) -> dict[str, Any]:
    data: dict[str, Any] = {"id": indicator.stix_id, "code": indicator.code, "owner": owner}
    if indicator.objective_code:
        data["objective"] = indicator.objective_code
    data |= {"name": _text(indicator.name), "unit": _text(indicator.unit),
             "good_direction": indicator.good_direction, "source": indicator.source}  # fmt: skip
    for name in ("dataset", "measure", "split_by"):
        if getattr(indicator, name):
            data[name] = getattr(indicator, name)
    if indicator.filters:
        data["filters"] = dict(sorted(indicator.filters.items()))
    if indicator.baseline:
        data["baseline"] = {"date": indicator.baseline.on.isoformat(),
                            "value": _number_text(indicator.baseline.value)}  # fmt: skip
    if indicator.targets:
        data["targets"] = [{"date": t.on.isoformat(), "value": _number_text(t.value)}
                           for t in indicator.targets]  # fmt: skip
    return data


def _observations_data(session: Session) -> list[dict[str, Any]]:
    from sqlalchemy import select

    listed = [i for i, _ in indicator_service.indicators(session)]
    codes = {i.stix_id: i.code for i in listed}
    units = {i.stix_id: i.unit.en for i in listed}
    rows = session.execute(select(ManualObservation).order_by(ManualObservation.period,
                                                              ManualObservation.created))  # fmt: skip
    return [{"id": o.stix_id, "indicator": codes.get(o.indicator_id, o.indicator_id),
             "period": o.period.isoformat()[:7], "value": _number_text(o.value),
             "unit": units.get(o.indicator_id, ""),
             "node": o.owner_node, "author": o.author} | ({"note": o.note} if o.note else {})
            for o in rows.scalars()]  # fmt: skip


def _meeting_data(meeting: Meeting, owner: str) -> dict[str, Any]:
    data: dict[str, Any] = {"id": meeting.stix_id, "code": meeting.code, "owner": owner,
                            "kind": meeting.kind, "title": _text(meeting.title),
                            "date": meeting.on.isoformat()}  # fmt: skip
    if meeting.place:
        data["place"] = meeting.place
    if meeting.participants:
        data["participants"] = [{k: v for k, v in (("name", p.name), ("role", p.role),
                                                   ("agency", p.agency)) if v}
                                for p in meeting.participants]  # fmt: skip
    for name in ("agenda", "decisions"):
        items = getattr(meeting, name)
        if items:
            data[name] = [_text(item) for item in items]
    if meeting.actions:
        data["actions"] = list(meeting.actions)
    if meeting.expectations:
        data["expectations"] = [{"text": _text(e.text)} | ({"subject": e.subject} if e.subject
                                else {}) | ({"due_date": e.due_date.isoformat()} if e.due_date
                                else {}) for e in meeting.expectations]  # fmt: skip
    return data


def export(session: Session, who: Principal) -> str:
    """The whole plan, both nodes' elements and updates, as the YAML file."""
    require(who, "records.read")
    listed = reading.elements(session)
    codes = {element.stix_id: element.code for element, _ in listed}
    document = {
        "format": f"puente-plan/{FORMAT_VERSION}",
        "elements": [_element_data(element, owner) for element, owner in listed],
        "indicators": [_indicator_data(i, owner) for i, owner in indicator_service.indicators(session)],
        "observations": _observations_data(session),
        "meetings": [_meeting_data(m, owner) for m, owner in service.meetings(session)],
        "updates": [
            {"id": u.stix_id, "element": codes.get(u.element_id, u.element_id),
             "date": u.on.isoformat(), "node": u.owner_node, "author": u.author,
             "language": u.language, "status": u.status, "progress": u.progress,
             "text": u.text}
            for u in reading.updates(session)
        ],
    }  # fmt: skip
    text = str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100))
    # The whole plan leaves the node through every exit that calls this (REST, page, CLI).
    audit.append(session, who.username, "plan.export", "plan",
                 details={"elements": len(document["elements"]),
                          "updates": len(document["updates"]),
                          "meetings": len(document["meetings"]),
                          "sha256": hashlib.sha256(text.encode()).hexdigest()})  # fmt: skip
    return text


# -- import -------------------------------------------------------------------------------------


# An export writes, beside each object's fields, its id and whose it is: the file's entries
# are the API's shapes with those.
class ElementEntry(ElementIn):
    id: Plain = ""
    owner: Plain = ""  # for the reader: the node that holds an element writes it

    def element(self) -> Element:
        return replace(super().element(), stix_id=self.id)


class UpdateEntry(UpdateIn):
    id: Plain = ""
    element: Annotated[Plain, Required()]
    node: Plain = ""
    author: Plain = ""


class IndicatorEntry(IndicatorIn):
    id: Plain = ""
    owner: Plain = ""


class ObservationEntry(ObservationIn):
    id: Plain = ""
    indicator: Annotated[Plain, Required()]
    node: Plain = ""
    author: Plain = ""


class MeetingEntry(MeetingIn):
    id: Plain = ""
    owner: Plain = ""


class PlanFile(Shape):
    # Other keys at the top are the reader's (a note, a date written): left out of the plan.
    model_config = ConfigDict(extra="ignore")

    elements: Annotated[list[ElementEntry], listed()] = Field(default_factory=list)
    updates: Annotated[list[UpdateEntry], listed()] = Field(default_factory=list)
    indicators: Annotated[list[IndicatorEntry], listed()] = Field(default_factory=list)
    observations: Annotated[list[ObservationEntry], listed()] = Field(default_factory=list)
    meetings: Annotated[list[MeetingEntry], listed()] = Field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    updates_added: int = 0
    partner_elements: int = 0  # the partner's, as held: left as they are
    indicators: int = 0  # this node's, created or changed
    observations_added: int = 0
    meetings: int = 0  # this node's, recorded or changed
    codes: list[str] = field(default_factory=list)

    def summary(self) -> list[Problem]:
        """What the import did, to show its user: a line for the elements and updates, and
        one for indicators, figures and meetings when there were any (each count in the
        reader's language and number)."""
        lines = [Problem(N_("Plan imported: {created}, {changed}, {unchanged}, {partner} left "
                            "as they are; {updates}."), "", {
            "created": counted("{count} element created", "{count} elements created",
                               self.created),
            "changed": counted("{count} changed", "{count} changed", self.changed),
            "unchanged": counted("{count} unchanged", "{count} unchanged", self.unchanged),
            "partner": counted("{count} of the partner's", "{count} of the partner's",
                               self.partner_elements),
            "updates": counted("{count} update added", "{count} updates added",
                               self.updates_added),
        })]  # fmt: skip
        if self.indicators or self.observations_added or self.meetings:
            lines.append(Problem(N_("{indicators}; {observations}; {meetings}."), "", {
                "indicators": counted("{count} indicator saved", "{count} indicators saved",
                                      self.indicators),
                "observations": counted("{count} observation added",
                                        "{count} observations added", self.observations_added),
                "meetings": counted("{count} meeting recorded", "{count} meetings recorded",
                                    self.meetings),
            }))  # fmt: skip
        return lines


def import_plan(session: Session, node: Node, who: Principal, text: str) -> ImportReport:
    """Bring the plan to what the file says, all or nothing (the caller's transaction)."""
    require(who, "plan.write")
    data, lines = load(text)
    if not isinstance(data, dict) or data.get("format") != f"puente-plan/{FORMAT_VERSION}":
        raise lines.refuse([Problem(N_("The file must start with format: puente-plan/1."),
                                    "/format")])  # fmt: skip
    try:
        plan = PlanFile.model_validate(data)
    except ValidationError as exc:
        raise lines.refuse(problems_of(exc)) from None
    report = _import_elements(session, node, who, [e.element() for e in plan.elements], lines)
    report.updates_added = _import_updates(session, node, who, plan.updates, lines)
    held_indicators = {i.code: (i, owner) for i, owner in indicator_service.indicators(session)}
    report.indicators = _save_owned(
        node, [i.indicator() for i in plan.indicators], held_indicators, "indicators", lines,
        lambda mine: indicator_service.save_indicators(session, node, who, mine))  # fmt: skip
    report.observations_added = _import_observations(session, node, who, plan.observations,
                                                     lines)  # fmt: skip
    held_meetings = {m.code: (m, owner) for m, owner in service.meetings(session)}
    # A meeting the file gives without expectations has none (the API's keeps those held).
    report.meetings = _save_owned(
        node, [m.meeting(None) for m in plan.meetings], held_meetings, "meetings", lines,
        lambda mine: service.save_meetings(session, node, who, mine))  # fmt: skip
    return report


def _import_elements(session: Session, node: Node, who: Principal, elements: list[Element],
                     lines: Lines) -> ImportReport:  # fmt: skip
    """Save this node's elements the file changes; the partner's must be as held."""
    problems: list[Problem] = []
    codes: dict[str, int] = {}
    for index, element in enumerate(elements):
        if element.code in codes:
            problems.append(Problem(N_("Code {code} is used twice (also on entry {first})."),
                                    f"/elements/{index}/code",
                                    {"code": element.code, "first": codes[element.code] + 1}))  # fmt: skip
        if element.code:
            codes.setdefault(element.code, index)
    if problems:
        raise lines.refuse(problems)
    report = ImportReport()
    held = {e.code: (e, owner) for e, owner in reading.elements(session)}
    mine: list[Element] = []
    positions: list[int] = []
    for index, element in enumerate(elements):
        found = held.get(element.code)
        if found is not None and found[1] != node.settings.node_id:
            if _differs(element, found[0]):
                problems.append(Problem(N_("{code} belongs to node {node}: only it may change "
                                           "it."), f"/elements/{index}",
                                        {"code": element.code, "node": found[1]}))  # fmt: skip
            report.partner_elements += 1
            continue
        if element.stix_id and found is not None and element.stix_id != found[0].stix_id:
            problems.append(Problem(N_("The id of {code} is not the one this plan holds: the "
                                       "file comes from another plan; leave its ids out to "
                                       "load its elements as new."),
                                    f"/elements/{index}/id", {"code": element.code}))  # fmt: skip
        mine.append(element)
        positions.append(index)
        if found is None:
            report.created += 1
        elif _differs(element, found[0]):
            report.changed += 1
        else:
            report.unchanged += 1
    if problems:
        raise lines.refuse(problems)
    try:
        service.save_elements(session, node, who, mine)
    except InvalidInput as exc:
        moved = [Problem(p.message, _renumber(p.pointer, "elements", positions), p.params)
                 for p in exc.problems]  # fmt: skip
        raise lines.refuse(moved) from None
    report.codes = [e.code for e in mine]
    return report


def _differs(element: Element, held: Element) -> bool:
    return replace(element, stix_id=held.stix_id) != held


def _import_updates(session: Session, node: Node, who: Principal, entries: list[UpdateEntry],
                    lines: Lines) -> int:  # fmt: skip
    problems: list[Problem] = []
    added = 0
    for index, entry in enumerate(entries):
        at = f"/updates/{index}"
        if entry.id:
            if session.get(PlanUpdate, entry.id) is None:
                problems.append(Problem(N_("Update {id} is not in this plan; leave the id out "
                                           "to add it."), f"{at}/id", {"id": entry.id}))  # fmt: skip
            continue  # held already: updates are written once
        try:
            service.add_update(session, node, who, entry.element, text=entry.text,
                               language=entry.language, status=entry.status,
                               progress=entry.progress, on=entry.date)  # fmt: skip
            added += 1
        except (InvalidInput, NotFound) as exc:
            problems += [Problem(p.message, f"{at}{p.pointer}" if p.pointer else f"{at}/element",
                                 p.params) for p in exc.problems]  # fmt: skip
    if problems:
        raise lines.refuse(problems)
    return added


def _renumber(pointer: str, section: str, positions: list[int]) -> str:
    parts = pointer.split("/")
    if len(parts) > 2 and parts[1] == section and parts[2].isdigit():
        parts[2] = str(positions[int(parts[2])])
    return "/".join(parts)


def _import_observations(session: Session, node: Node, who: Principal,
                         entries: list[ObservationEntry], lines: Lines) -> int:  # fmt: skip
    problems: list[Problem] = []
    added = 0
    for index, entry in enumerate(entries):
        at = f"/observations/{index}"
        if entry.id and session.get(ManualObservation, entry.id) is not None:
            continue
        try:
            if _observation_held(session, entry.indicator, entry.period, entry.value, entry.note):
                continue  # the same figure, read again from the same file: added once
            indicator_service.add_observation(
                session, node, who, entry.indicator, period=entry.period, value=entry.value,
                unit=entry.unit, note=entry.note)  # fmt: skip
            added += 1
        except (InvalidInput, NotFound) as exc:
            problems += [Problem(p.message, f"{at}{p.pointer}" if p.pointer else at, p.params)
                         for p in exc.problems]  # fmt: skip
    if problems:
        raise lines.refuse(problems)
    return added


def _observation_held(session: Session, code: str, period: date, value: float, note: str) -> bool:
    """Whether the indicator already holds this figure for the month with this note."""
    from sqlalchemy import select

    indicator, _ = indicator_service.get(session, code)
    found = session.execute(
        select(ManualObservation.stix_id).where(
            ManualObservation.indicator_id == indicator.stix_id,
            ManualObservation.period == date(period.year, period.month, 1),
            ManualObservation.value == value,
            ManualObservation.note == note.strip(),
        )
    ).first()
    return found is not None


def _save_owned(node: Node, parsed: list[Any], held: dict[str, tuple[Any, str]], section: str,
                lines: Lines, save: Callable[[list[Any]], object]) -> int:  # fmt: skip
    """Save the items of ``section`` (indicators, meetings) this node writes and the file
    changes; the partner's must be as held. How many were saved."""
    problems: list[Problem] = []
    mine, positions = [], []
    for index, item in enumerate(parsed):
        found = held.get(item.code)
        same = found is not None and replace(item, stix_id=found[0].stix_id) == found[0]
        if found is not None and found[1] != node.settings.node_id:
            if not same:
                problems.append(Problem(N_("{code} belongs to node {node}: only it may change "
                                           "it."), f"/{section}/{index}",
                                        {"code": item.code, "node": found[1]}))  # fmt: skip
            continue
        if not same:
            mine.append(item)
            positions.append(index)
    if problems:
        raise lines.refuse(problems)
    try:
        save(mine)
    except InvalidInput as exc:
        moved = [Problem(p.message, _renumber(p.pointer, section, positions), p.params)
                 for p in exc.problems]  # fmt: skip
        raise lines.refuse(moved) from None
    return len(mine)
