"""Meetings of the joint action plan: the Security Implementation Group (SIG), the Security
Ministerial and working groups, with their agenda, decisions, the actions they created or
re-assigned, and the expectations (targets) they adopted. Shared like the plan's elements:
an ``x-puente-plan-meeting`` object (STIX 2.1 §7.3 new-sdo) written by the node that records
it, read-only on the other."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from puente.errors import N_, Problem
from puente.i18n import Text
from puente.policy.agencies import BY_CODE

MEETING_TYPE = "x-puente-plan-meeting"
EXT_MEETING = "extension-definition--71c5e0a9-3b8d-4f2e-a6d1-8e4b9c2f0d53"
KINDS = ("sig", "ministerial", "working_group")
KIND_LABELS = {"sig": N_("Security Implementation Group"),
               "ministerial": N_("Security Ministerial"),
               "working_group": N_("Working group")}  # fmt: skip
CODE = re.compile(r"[A-Z]{2,5}-[0-9]{4}-[0-9]{2}(-[0-9A-Z]{1,4})?")
# What an expectation may be about: an element of the plan (2.1.3.1) or an indicator (I3).
SUBJECT = re.compile(r"[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2}){0,3}|I[0-9]{1,3}")


@dataclass(frozen=True)
class Participant:
    name: str
    role: str = ""
    agency: str = ""


@dataclass(frozen=True)
class Expectation:
    """A target or next step the meeting adopted for the next period."""

    text: Text
    subject: str = ""  # the action or indicator code it is about
    due_date: date | None = None


@dataclass
class Meeting:
    code: str  # SIG-2027-01, MIN-2027-02 ...
    kind: str
    title: Text
    on: date
    place: str = ""
    participants: list[Participant] = field(default_factory=list)
    agenda: list[Text] = field(default_factory=list)
    decisions: list[Text] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # codes of actions created or re-assigned
    expectations: list[Expectation] = field(default_factory=list)
    stix_id: str = ""


def check(meeting: Meeting, at: str = "") -> list[Problem]:
    problems = []
    if not CODE.fullmatch(meeting.code):
        problems.append(Problem(N_("A meeting's code is like SIG-2027-01 or MIN-2027-02."),
                                f"{at}/code"))  # fmt: skip
    if meeting.kind not in KINDS:
        problems.append(Problem(N_("Unknown kind of meeting {kind}; use sig, ministerial or "
                                   "working_group."), f"{at}/kind", {"kind": meeting.kind}))  # fmt: skip
    if not (meeting.title.en.strip() and meeting.title.es.strip()):
        problems.append(Problem(N_("The title is required in English and Spanish."),
                                f"{at}/title"))  # fmt: skip
    for index, person in enumerate(meeting.participants):
        if not person.name.strip():
            problems.append(Problem(N_("A participant needs a name."),
                                    f"{at}/participants/{index}/name"))  # fmt: skip
        if person.agency and person.agency not in BY_CODE:
            problems.append(Problem(N_("Unknown agency {agency}."),
                                    f"{at}/participants/{index}/agency",
                                    {"agency": person.agency}))  # fmt: skip
    for index, expectation in enumerate(meeting.expectations):
        if not (expectation.text.en.strip() or expectation.text.es.strip()):
            problems.append(Problem(N_("An expectation needs its text."),
                                    f"{at}/expectations/{index}/text"))  # fmt: skip
        if expectation.subject and not SUBJECT.fullmatch(expectation.subject):
            problems.append(Problem(N_("An expectation is about an action (2.1.1.1) or an "
                                       "indicator (I3), not {subject}."),
                                    f"{at}/expectations/{index}/subject",
                                    {"subject": expectation.subject}))  # fmt: skip
    return problems


def _text(value: Text) -> dict[str, str]:
    return {"en": value.en, "es": value.es}


def meeting_object(meeting: Meeting, created: str, modified: str,
                   created_by_ref: str) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {
        "type": MEETING_TYPE, "spec_version": "2.1", "id": meeting.stix_id, "created": created,
        "modified": modified, "created_by_ref": created_by_ref, "code": meeting.code,
        "kind": meeting.kind, "title": _text(meeting.title), "date": meeting.on.isoformat(),
        "extensions": {EXT_MEETING: {"extension_type": "new-sdo"}},
    }  # fmt: skip
    optional: dict[str, Any] = {
        "place": meeting.place,
        "participants": [{k: v for k, v in (("name", p.name), ("role", p.role),
                                            ("agency", p.agency)) if v}
                         for p in meeting.participants],
        "agenda": [_text(item) for item in meeting.agenda],
        "decisions": [_text(item) for item in meeting.decisions],
        "action_codes": list(meeting.actions),
        "expectations": [{"text": _text(e.text)} | ({"subject": e.subject} if e.subject else {})
                         | ({"due_date": e.due_date.isoformat()} if e.due_date else {})
                         for e in meeting.expectations],
    }  # fmt: skip
    body.update({k: v for k, v in optional.items() if v})
    return body


def _read(value: Any) -> Text:
    value = value if isinstance(value, dict) else {}
    return Text(str(value.get("en", "")), str(value.get("es", "")))


def meeting_of(obj: dict[str, Any]) -> Meeting:
    return Meeting(
        code=str(obj.get("code", "")), kind=str(obj.get("kind", "")), title=_read(obj.get("title")),
        on=date.fromisoformat(str(obj["date"])), place=str(obj.get("place", "")),
        participants=[Participant(str(p.get("name", "")), str(p.get("role", "")),
                                  str(p.get("agency", ""))) for p in obj.get("participants") or []],
        agenda=[_read(a) for a in obj.get("agenda") or []],
        decisions=[_read(d) for d in obj.get("decisions") or []],
        actions=[str(c) for c in obj.get("action_codes") or []],
        expectations=[Expectation(_read(e.get("text")), str(e.get("subject", "")),
                                  date.fromisoformat(e["due_date"]) if e.get("due_date") else None)
                      for e in obj.get("expectations") or []],
        stix_id=str(obj["id"]),
    )  # fmt: skip
