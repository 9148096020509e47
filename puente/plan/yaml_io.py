"""The whole plan as a YAML file (docs/plan-format.md): export, and import all or nothing.

The file lists every element (both nodes') and every progress update. Exported and imported
again, it changes nothing. On import, this node's elements are created or changed, the
partner's must be as held (they are not this node's to change), and updates without an id
are added. Every scalar is read as text (so a code ``2.10`` stays ``2.10``), and every error
names the line of the file it is on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import yaml
from sqlalchemy.orm import Session

from puente.errors import N_, InvalidInput, NotFound, Problem, read_date, read_whole
from puente.i18n import Text
from puente.indicators.definitions import Indicator, Point
from puente.indicators.models import ManualObservation
from puente.node import Node
from puente.plan import indicators as indicator_service
from puente.plan import reading, service
from puente.plan.elements import Element, Evidence, Milestone
from puente.plan.meetings import Expectation, Meeting, Participant
from puente.plan.models import PlanUpdate
from puente.plan.yaml_lines import Lines, load
from puente.policy.roles import Principal, require

FORMAT_VERSION = "1"
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
INDICATOR_KEYS = frozenset({"id", "code", "owner", "objective", "name", "unit", "good_direction",
                            "source", "dataset", "measure", "filters", "split_by", "baseline",
                            "targets"})  # fmt: skip
MEETING_KEYS = frozenset({"id", "code", "owner", "kind", "title", "date", "place",
                          "participants", "agenda", "decisions", "actions", "expectations"})  # fmt: skip
OBSERVATION_KEYS = frozenset({"id", "indicator", "period", "value", "unit", "note", "node",
                              "author"})  # fmt: skip
ELEMENT_KEYS = frozenset({"id", "code", "level", "parent", "owner", "title", "description",
                          "status", "progress", "start_date", "due_date", "leads", "supporting",
                          "milestones", "evidence"})  # fmt: skip
UPDATE_KEYS = frozenset({"id", "element", "date", "text", "language", "status", "progress",
                         "author", "node"})  # fmt: skip


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
    return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100))


# -- import -------------------------------------------------------------------------------------


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


def _field(data: dict[str, Any], name: str, at: str, problems: list[Problem]) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        problems.append(Problem(N_("{field} must be text."), f"{at}/{name}", {"field": name}))
        return ""
    # As written: the other ways in keep a title's spaces, so an export read back is unchanged.
    return value


def _bilingual(data: dict[str, Any], name: str, at: str, problems: list[Problem]) -> Text:
    value = data.get(name)
    if value is None:
        return Text("", "")
    if not isinstance(value, dict):
        problems.append(Problem(N_("{field} needs en and es."), f"{at}/{name}", {"field": name}))
        return Text("", "")
    return Text(_field(value, "en", f"{at}/{name}", problems),
                _field(value, "es", f"{at}/{name}", problems))  # fmt: skip


def _date(data: dict[str, Any], name: str, at: str, problems: list[Problem]) -> date | None:
    return read_date(_field(data, name, at, problems), f"{at}/{name}", problems)


def _number(data: dict[str, Any], name: str, at: str, problems: list[Problem]) -> int:
    return read_whole(_field(data, name, at, problems), f"{at}/{name}", problems) or 0


def _list(data: dict[str, Any], name: str, at: str, problems: list[Problem]) -> list[Any]:
    """A list field's entries; a text or mapping there is a problem, not a list of letters."""
    value = data.get(name)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        problems.append(Problem(N_("{field} must be a list."), f"{at}/{name}", {"field": name}))
        return []
    return value


def _texts(value: Any, at: str, problems: list[Problem]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(N_("This must be a list of agency codes."), at))
        return []
    return [v.strip() for v in value]


def _element(data: Any, at: str, problems: list[Problem]) -> Element | None:
    if not isinstance(data, dict):
        problems.append(Problem(N_("Each element is a mapping of fields."), at))
        return None
    for key in sorted(set(data) - ELEMENT_KEYS):
        problems.append(Problem(N_("Unknown field {field}."), f"{at}/{key}", {"field": key}))
    leads_data = data.get("leads") or {}
    if not isinstance(leads_data, dict):
        problems.append(Problem(N_("Leads are given per country: USA and MEX."), f"{at}/leads"))
        leads_data = {}
    milestones, evidence = [], []
    for index, item in enumerate(_list(data, "milestones", at, problems)):
        where = f"{at}/milestones/{index}"
        item = item if isinstance(item, dict) else {}
        milestones.append(Milestone(_bilingual(item, "title", where, problems),
                                    _date(item, "due_date", where, problems),
                                    _date(item, "done_date", where, problems)))  # fmt: skip
    for index, item in enumerate(_list(data, "evidence", at, problems)):
        where = f"{at}/evidence/{index}"
        item = item if isinstance(item, dict) else {}
        evidence.append(Evidence(_field(item, "kind", where, problems),
                                 _field(item, "ref", where, problems),
                                 _field(item, "label", where, problems)))  # fmt: skip
    status = _field(data, "status", at, problems) or "not_started"
    return Element(
        level=_field(data, "level", at, problems), code=_field(data, "code", at, problems),
        title=_bilingual(data, "title", at, problems),
        description=_bilingual(data, "description", at, problems),
        parent_code=_field(data, "parent", at, problems),
        stix_id=_field(data, "id", at, problems), status=status,
        progress=_number(data, "progress", at, problems),
        start_date=_date(data, "start_date", at, problems),
        due_date=_date(data, "due_date", at, problems),
        leads={country: _texts(codes, f"{at}/leads/{country}", problems)
               for country, codes in leads_data.items()},
        supporting=_texts(data.get("supporting"), f"{at}/supporting", problems),
        milestones=milestones, evidence=evidence,
    )  # fmt: skip


def import_plan(session: Session, node: Node, who: Principal, text: str) -> ImportReport:
    """Bring the plan to what the file says, all or nothing (the caller's transaction)."""
    require(who, "plan.write")
    data, lines = load(text)
    problems: list[Problem] = []
    if not isinstance(data, dict) or data.get("format") != f"puente-plan/{FORMAT_VERSION}":
        raise lines.refuse([Problem(N_("The file must start with format: puente-plan/1."),
                                   "/format")])  # fmt: skip
    raw = data.get("elements") or []
    if not isinstance(raw, list):
        raise lines.refuse([Problem(N_("elements must be a list."), "/elements")])
    parsed = [_element(item, f"/elements/{i}", problems) for i, item in enumerate(raw)]
    codes: dict[str, int] = {}
    for index, element in enumerate(parsed):
        if element is None or not element.code:
            continue
        if element.code in codes:
            problems.append(Problem(N_("Code {code} is used twice (also on entry {first})."),
                                    f"/elements/{index}/code",
                                    {"code": element.code, "first": codes[element.code] + 1}))  # fmt: skip
        codes.setdefault(element.code, index)
    if problems:
        raise lines.refuse(problems)
    report = ImportReport()
    held = {e.code: (e, owner) for e, owner in reading.elements(session)}
    mine: list[Element] = []
    positions: list[int] = []
    for index, element in enumerate(parsed):
        assert element is not None
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
    report.updates_added = _import_updates(session, node, who, data.get("updates"), lines)
    report.indicators = _import_indicators(session, node, who, data.get("indicators"), lines)
    report.observations_added = _import_observations(session, node, who,
                                                     data.get("observations"), lines)  # fmt: skip
    report.meetings = _import_meetings(session, node, who, data.get("meetings"), lines)
    report.codes = [e.code for e in mine]
    return report


def _differs(element: Element, held: Element) -> bool:
    from dataclasses import replace

    return replace(element, stix_id=held.stix_id) != held


def _import_updates(session: Session, node: Node, who: Principal, raw: Any, lines: Lines) -> int:
    if raw is None:
        return 0
    problems: list[Problem] = []
    if not isinstance(raw, list):
        raise lines.refuse([Problem(N_("updates must be a list."), "/updates")])
    added = 0
    for index, item in enumerate(raw):
        at = f"/updates/{index}"
        if not isinstance(item, dict):
            problems.append(Problem(N_("Each update is a mapping of fields."), at))
            continue
        for key in sorted(set(item) - UPDATE_KEYS):
            problems.append(Problem(N_("Unknown field {field}."), f"{at}/{key}", {"field": key}))
        stix_id = _field(item, "id", at, problems)
        if stix_id and session.get(PlanUpdate, stix_id) is not None:
            continue  # held already: updates are written once
        if stix_id:
            problems.append(Problem(N_("Update {id} is not in this plan; leave the id out to "
                                       "add it."), f"{at}/id", {"id": stix_id}))  # fmt: skip
            continue
        on = _date(item, "date", at, problems)
        progress = _number(item, "progress", at, problems)
        if problems:
            continue
        try:
            service.add_update(session, node, who, _field(item, "element", at, problems),
                               text=_field(item, "text", at, problems),
                               language=_field(item, "language", at, problems) or "en",
                               status=_field(item, "status", at, problems), progress=progress,
                               on=on)  # fmt: skip
            added += 1
        except (InvalidInput, NotFound) as exc:
            problems += [Problem(p.message, f"{at}{p.pointer}" if p.pointer else f"{at}/element",
                                 p.params) for p in exc.problems]  # fmt: skip
    if problems:
        raise lines.refuse(problems)
    return added


def _float(data: dict[str, Any], name: str, at: str, problems: list[Problem]) -> float | None:
    text = _field(data, name, at, problems).strip()
    if "," in text and not THOUSANDS.fullmatch(text):
        # 1,5 is one and a half to a Mexican reader and fifteen to a thousands separator.
        problems.append(Problem(N_("{value}: write decimals with a point (1.5); a comma only "
                                   "separates thousands (12,345.6)."), f"{at}/{name}",
                                {"value": text}))  # fmt: skip
        return None
    # Digits, a point and an exponent only: float() would also take 1_5 (fifteen), nan, inf.
    if text and not NUMBER.fullmatch(text.replace(",", "")):
        problems.append(Problem(N_("{value} is not a number."), f"{at}/{name}", {"value": text}))
        return None
    return float(text.replace(",", "")) if text else None


def _point(data: Any, at: str, problems: list[Problem]) -> Point | None:
    if not isinstance(data, dict):
        problems.append(Problem(N_("A baseline or target is a date and a value."), at))
        return None
    on = _date(data, "date", at, problems)
    value = _float(data, "value", at, problems)
    if on is None:
        problems.append(Problem(N_("A target or baseline needs a date."), f"{at}/date"))
    if value is None and not data.get("value"):
        problems.append(Problem(N_("A target or baseline needs a value."), f"{at}/value"))
    return Point(on, value) if on is not None and value is not None else None


def _indicator(data: Any, at: str, problems: list[Problem]) -> Indicator | None:
    if not isinstance(data, dict):
        problems.append(Problem(N_("Each indicator is a mapping of fields."), at))
        return None
    for key in sorted(set(data) - INDICATOR_KEYS):
        problems.append(Problem(N_("Unknown field {field}."), f"{at}/{key}", {"field": key}))
    filters = data.get("filters") or {}
    if not isinstance(filters, dict):
        problems.append(Problem(N_("filters maps a dimension to its value."), f"{at}/filters"))
        filters = {}
    targets = [_point(t, f"{at}/targets/{i}", problems)
               for i, t in enumerate(_list(data, "targets", at, problems))]  # fmt: skip
    baseline = _point(data["baseline"], f"{at}/baseline", problems) if "baseline" in data else None
    return Indicator(
        code=_field(data, "code", at, problems), name=_bilingual(data, "name", at, problems),
        unit=_bilingual(data, "unit", at, problems),
        good_direction=_field(data, "good_direction", at, problems),
        source=_field(data, "source", at, problems),
        objective_code=_field(data, "objective", at, problems),
        dataset=_field(data, "dataset", at, problems),
        measure=_field(data, "measure", at, problems),
        filters={str(k): _filter_value(k, v, at, problems) for k, v in filters.items()},
        split_by=_field(data, "split_by", at, problems), baseline=baseline,
        targets=[t for t in targets if t is not None], stix_id=_field(data, "id", at, problems),
    )  # fmt: skip


def _filter_value(name: Any, value: Any, at: str, problems: list[Problem]) -> str:
    if isinstance(value, str):
        return value
    problems.append(Problem(N_("The filter {dimension} takes one value, written as text."),
                            f"{at}/filters/{name}", {"dimension": str(name)}))  # fmt: skip
    return ""


def _import_indicators(session: Session, node: Node, who: Principal, raw: Any,
                       lines: Lines) -> int:  # fmt: skip
    parsed = _section(raw, "indicators", N_("indicators must be a list."), _indicator, lines)
    held = {i.code: (i, owner) for i, owner in indicator_service.indicators(session)}
    return _save_owned(node, parsed, held, "indicators", lines,
                       lambda mine: indicator_service.save_indicators(session, node, who, mine))  # fmt: skip


def _renumber(pointer: str, section: str, positions: list[int]) -> str:
    parts = pointer.split("/")
    if len(parts) > 2 and parts[1] == section and parts[2].isdigit():
        parts[2] = str(positions[int(parts[2])])
    return "/".join(parts)


def _import_observations(session: Session, node: Node, who: Principal, raw: Any,
                         lines: Lines) -> int:  # fmt: skip
    if raw is None:
        return 0
    if not isinstance(raw, list):
        raise lines.refuse([Problem(N_("observations must be a list."), "/observations")])
    problems: list[Problem] = []
    added = 0
    for index, item in enumerate(raw):
        at = f"/observations/{index}"
        if not isinstance(item, dict):
            problems.append(Problem(N_("Each observation is a mapping of fields."), at))
            continue
        for key in sorted(set(item) - OBSERVATION_KEYS):
            problems.append(Problem(N_("Unknown field {field}."), f"{at}/{key}", {"field": key}))
        stix_id = _field(item, "id", at, problems)
        if stix_id and session.get(ManualObservation, stix_id) is not None:
            continue
        period_text = _field(item, "period", at, problems)
        try:
            period = date.fromisoformat(
                period_text + "-01" if len(period_text) == 7 else period_text
            )
        except ValueError:
            problems.append(Problem(N_("{value} is not a month: write YYYY-MM."), f"{at}/period",
                                    {"value": period_text}))  # fmt: skip
            continue
        value = _float(item, "value", at, problems)
        if value is None and not item.get("value"):
            problems.append(Problem(N_("An observation needs a value."), f"{at}/value"))
        if value is None or problems:
            continue
        code, note = _field(item, "indicator", at, problems), _field(item, "note", at, problems)
        try:
            if _observation_held(session, code, period, value, note):
                continue  # the same figure, read again from the same file: added once
            indicator_service.add_observation(
                session, node, who, code, period=period, value=value,
                unit=_field(item, "unit", at, problems), note=note)  # fmt: skip
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


def _texts_list(raw: Any, at: str, problems: list[Problem]) -> list[Text]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(Problem(N_("This must be a list of texts in en and es."), at))
        return []
    return [_bilingual({"item": item}, "item", f"{at}/{i}", problems) for i, item in enumerate(raw)]


def _meeting(data: Any, at: str, problems: list[Problem]) -> Meeting | None:
    if not isinstance(data, dict):
        problems.append(Problem(N_("Each meeting is a mapping of fields."), at))
        return None
    for key in sorted(set(data) - MEETING_KEYS):
        problems.append(Problem(N_("Unknown field {field}."), f"{at}/{key}", {"field": key}))
    on = _date(data, "date", at, problems)
    if on is None:
        problems.append(Problem(N_("A meeting needs a date."), f"{at}/date"))
    participants = []
    for index, person in enumerate(_list(data, "participants", at, problems)):
        where = f"{at}/participants/{index}"
        person = person if isinstance(person, dict) else {}
        participants.append(Participant(_field(person, "name", where, problems),
                                        _field(person, "role", where, problems),
                                        _field(person, "agency", where, problems)))  # fmt: skip
    expectations = []
    for index, item in enumerate(_list(data, "expectations", at, problems)):
        where = f"{at}/expectations/{index}"
        item = item if isinstance(item, dict) else {}
        expectations.append(Expectation(_bilingual(item, "text", where, problems),
                                        _field(item, "subject", where, problems),
                                        _date(item, "due_date", where, problems)))  # fmt: skip
    if on is None:
        return None
    return Meeting(
        code=_field(data, "code", at, problems), kind=_field(data, "kind", at, problems),
        title=_bilingual(data, "title", at, problems), on=on,
        place=_field(data, "place", at, problems), participants=participants,
        agenda=_texts_list(data.get("agenda"), f"{at}/agenda", problems),
        decisions=_texts_list(data.get("decisions"), f"{at}/decisions", problems),
        actions=_texts(data.get("actions"), f"{at}/actions", problems),
        expectations=expectations, stix_id=_field(data, "id", at, problems),
    )  # fmt: skip


def _import_meetings(session: Session, node: Node, who: Principal, raw: Any,
                     lines: Lines) -> int:  # fmt: skip
    parsed = _section(raw, "meetings", N_("meetings must be a list."), _meeting, lines)
    held = {m.code: (m, owner) for m, owner in service.meetings(session)}
    return _save_owned(node, parsed, held, "meetings", lines,
                       lambda mine: service.save_meetings(session, node, who, mine))  # fmt: skip


def _section(
    raw: Any,
    section: str,
    not_a_list: str,
    parse: Callable[[Any, str, list[Problem]], Any],
    lines: Lines,
) -> list[Any]:
    """Every entry of a list section of the file, parsed; all its problems at once."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise lines.refuse([Problem(not_a_list, f"/{section}")])
    problems: list[Problem] = []
    parsed = [parse(item, f"/{section}/{i}", problems) for i, item in enumerate(raw)]
    if problems:
        raise lines.refuse(problems)
    return parsed


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
