"""The joint action plan's elements as data (DESIGN.md, "Cooperation: the joint action plan").

A plan is a tree: goal → cooperation area → joint objective → cooperative action. Each element
is bilingual and carries a stable code ("2.1.3"); an action also has leads on each side,
supporting agencies, dates, a status, progress, milestones and evidence. This module holds
the shape and its rules, whatever the element came from (a form, the API, a YAML file, a
partner); :mod:`puente.plan.stix` maps it to and from STIX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from puente.errors import N_, Label, Problem
from puente.i18n import Text
from puente.policy.agencies import BY_CODE

LEVELS = ("goal", "area", "objective", "action")
PARENT_LEVEL = {"goal": None, "area": "goal", "objective": "area", "action": "objective"}
STATUSES = ("not_started", "on_track", "at_risk", "delayed", "completed", "cancelled")
CLOSED = frozenset({"completed", "cancelled"})
COUNTRIES = ("USA", "MEX")
EVIDENCE_KINDS = ("record", "document", "url")
CODE = re.compile(r"[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2}){0,3}")
STIX_ID = re.compile(
    r"[a-z][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)

LEVEL_LABELS = {"goal": N_("Goal"), "area": N_("Cooperation area"),
                "objective": N_("Joint objective"), "action": N_("Cooperative action")}  # fmt: skip
EVIDENCE_LABELS = {"record": N_("Record"), "document": N_("Document"), "url": N_("Web page")}
STATUS_LABELS = {
    "not_started": N_("Not started"),
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "delayed": N_("Delayed"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}


@dataclass(frozen=True)
class Milestone:
    title: Text
    due_date: date | None = None
    done_date: date | None = None

    def overdue(self, today: date) -> bool:
        """Due before ``today`` and not done."""
        return self.done_date is None and self.due_date is not None and self.due_date < today


@dataclass(frozen=True)
class Evidence:
    kind: str  # record | document | url
    ref: str  # a STIX id, a document reference, a URL
    label: str = ""


@dataclass
class Element:
    """One element of the plan, as any edge or the partner gave it."""

    level: str
    code: str
    title: Text
    description: Text = field(default_factory=lambda: Text("", ""))
    parent_code: str = ""
    stix_id: str = ""  # empty for one not stored yet
    status: str = "not_started"
    progress: int = 0
    start_date: date | None = None
    due_date: date | None = None
    leads: dict[str, list[str]] = field(default_factory=dict)  # country -> agency codes
    supporting: list[str] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def is_action(self) -> bool:
        return self.level == "action"


def check(element: Element, at: str = "") -> list[Problem]:
    """Every rule the element breaks on its own, each under its field's pointer."""
    problems: list[Problem] = []

    def add(message: str, where: str, **params: object) -> None:
        problems.append(Problem(message, f"{at}/{where}", dict(params)))

    if element.level not in LEVELS:
        add(N_("Unknown level {level}; use goal, area, objective or action."), "level",
            level=element.level)  # fmt: skip
        return problems
    if not CODE.fullmatch(element.code):
        add(N_("A code is numbers separated by dots, e.g. 2.1.3."), "code")
    elif element.code.count(".") != LEVELS.index(element.level):
        add(N_("A {level} has a code of {parts} numbers, e.g. {example}."), "code",
            level=Label(LEVEL_LABELS[element.level]), parts=LEVELS.index(element.level) + 1,
            example=".".join(["2", "1", "3", "4"][: LEVELS.index(element.level) + 1]))  # fmt: skip
    if not element.title.en.strip():
        add(N_("The English title is required."), "title/en")
    if not element.title.es.strip():
        add(N_("The Spanish title is required."), "title/es")
    if element.status not in STATUSES:
        add(N_("Unknown status {status}; use one of: {statuses}."), "status",
            status=element.status, statuses=", ".join(STATUSES))  # fmt: skip
    if not 0 <= element.progress <= 100:
        add(N_("Progress is a percentage, from 0 to 100."), "progress")
    if element.start_date and element.due_date and element.due_date < element.start_date:
        add(N_("The due date comes before the start date."), "due_date")
    if element.is_action and not any(element.leads.get(country) for country in COUNTRIES):
        problems.append(Problem(N_("An action needs a lead agency on at least one side."),
                                f"{at}/leads"))  # fmt: skip
    problems += _check_agencies(element, at)
    problems += _check_milestones_and_evidence(element, at)
    return problems


def _check_agencies(element: Element, at: str) -> list[Problem]:
    """Leads and supporting agencies, whatever the level: the partner checks them on every
    element (plan.contract), so what this node keeps the partner must take too."""
    problems: list[Problem] = []
    for country, agencies in element.leads.items():
        if country not in COUNTRIES:
            problems.append(Problem(N_("Leads are given per country: USA or MEX, not {country}."),
                                    f"{at}/leads/{country}", {"country": country}))  # fmt: skip
            continue
        for index, code in enumerate(agencies):
            info = BY_CODE.get(code)
            if info is None:
                problems.append(Problem(N_("Unknown agency {agency}."),
                                        f"{at}/leads/{country}/{index}", {"agency": code}))  # fmt: skip
            elif info.country != country:
                problems.append(Problem(N_("{agency} is not an agency of {country}."),
                                        f"{at}/leads/{country}/{index}",
                                        {"agency": code, "country": country}))  # fmt: skip
    for index, code in enumerate(element.supporting):
        if code not in BY_CODE:
            problems.append(Problem(N_("Unknown agency {agency}."), f"{at}/supporting/{index}",
                                    {"agency": code}))  # fmt: skip
    return problems


def _check_milestones_and_evidence(element: Element, at: str) -> list[Problem]:
    """Milestones and evidence, whatever the level: an objective may carry them too."""
    problems: list[Problem] = []
    for index, milestone in enumerate(element.milestones):
        if not (milestone.title.en.strip() or milestone.title.es.strip()):
            problems.append(Problem(N_("A milestone needs a title."),
                                    f"{at}/milestones/{index}/title"))  # fmt: skip
        if milestone.done_date and element.start_date and milestone.done_date < element.start_date:
            problems.append(Problem(N_("A milestone cannot be done before the action starts ({start})."),
                                    f"{at}/milestones/{index}/done_date",
                                    {"start": element.start_date.isoformat()}))  # fmt: skip
    for index, item in enumerate(element.evidence):
        if not item.kind:
            problems.append(Problem(N_("Say what the evidence is: a record, a document or a url."),
                                    f"{at}/evidence/{index}/kind"))  # fmt: skip
        elif item.kind not in EVIDENCE_KINDS:
            problems.append(Problem(N_("Evidence is a record, a document or a url, not {kind}."),
                                    f"{at}/evidence/{index}/kind", {"kind": item.kind}))  # fmt: skip
        if not item.ref.strip():
            problems.append(Problem(N_("Evidence needs a reference: a record id, a document's reference or a URL."),
                                    f"{at}/evidence/{index}/ref"))  # fmt: skip
        elif item.kind == "url" and not item.ref.startswith(("https://", "http://")):
            problems.append(Problem(N_("A URL starts with https:// or http://."),
                                    f"{at}/evidence/{index}/ref"))  # fmt: skip
        elif item.kind == "record" and not STIX_ID.fullmatch(item.ref):
            problems.append(Problem(N_("A record is named by its id, e.g. "
                                       "person--5f0c8e7a-3b1d-4c2e-9f6a-1d2e3f4a5b6c."),
                                    f"{at}/evidence/{index}/ref"))  # fmt: skip
    return problems


def parent_code(code: str) -> str:
    """The code of the element's parent: 2.1.3 → 2.1; a goal's is ""."""
    return code.rpartition(".")[0]
