"""The joint action plan's objects as every edge gives them (the REST API's bodies, a plan
file's entries, the forms), and as the API returns them."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field

from puente.errors import N_
from puente.i18n import Bilingual, Text
from puente.plan import reading
from puente.plan.elements import Element, Evidence, Milestone
from puente.plan.meetings import Expectation, Meeting, Participant
from puente.shapes import (
    BilingualIn,
    Codes,
    Date,
    Day,
    Plain,
    Required,
    Shape,
    Texts,
    Whole,
    listed,
    mapped,
)

TEXTS = N_("This must be a list of texts in en and es.")


class MilestoneIn(Shape):
    title: BilingualIn = Field(default_factory=BilingualIn)
    due_date: Day = None
    done_date: Day = None

    def milestone(self) -> Milestone:
        return Milestone(self.title.text(), self.due_date, self.done_date)


class EvidenceIn(Shape):
    kind: Plain = Field("", description="record, document or url")
    ref: Plain = Field("", description="A record's STIX id, a document's reference or a URL")
    label: Plain = ""


class ElementIn(Shape):
    """One element to create or change (this node's own), found by its code."""

    # A field left out takes its default: the element's rules (elements.check) say what each
    # may hold, in the same words whichever edge the element came through.
    NOT_A_MAPPING: ClassVar[str] = N_("Each element is a mapping of fields.")

    code: Plain = Field("", description="e.g. 2.1.3.4; its depth says the level")
    level: Plain = Field("", description="goal, area, objective or action")
    parent: Plain = Field("", description="The code of the element one level up")
    title: BilingualIn = Field(default_factory=BilingualIn)
    description: BilingualIn = Field(default_factory=BilingualIn)
    status: Plain = "not_started"
    progress: Whole = 0
    start_date: Day = None
    due_date: Day = None
    leads: Annotated[dict[str, Codes],
                     mapped(N_("Leads are given per country: USA and MEX."))] = Field(
        default_factory=dict, description='{"USA": ["DEA"]}')  # fmt: skip
    supporting: Codes = Field(default_factory=list)
    milestones: Annotated[list[MilestoneIn], listed()] = Field(default_factory=list)
    evidence: Annotated[list[EvidenceIn], listed()] = Field(default_factory=list)

    def element(self) -> Element:
        return Element(
            level=self.level, code=self.code, title=self.title.text(),
            description=self.description.text(), parent_code=self.parent, status=self.status,
            progress=self.progress, start_date=self.start_date, due_date=self.due_date,
            leads=self.leads, supporting=self.supporting,
            milestones=[m.milestone() for m in self.milestones],
            evidence=[Evidence(e.kind, e.ref, e.label) for e in self.evidence],
        )  # fmt: skip


class UpdateIn(Shape):
    NOT_A_MAPPING: ClassVar[str] = N_("Each update is a mapping of fields.")

    text: Plain = ""
    language: Plain = Field("en", description="en or es")
    status: Plain = ""
    progress: Annotated[Whole, Required()]
    date: Day = None


class TreeNodeOut(BaseModel):
    code: str
    level: str
    id: str
    owner_node: str
    title: Bilingual
    status: str
    progress: int
    due_date: date | None
    overdue: bool
    last_update: date | None
    children: list[TreeNodeOut]

    @classmethod
    def of(cls, node: reading.TreeNode) -> TreeNodeOut:
        e = node.element
        return cls(code=e.code, level=e.level, id=e.stix_id, owner_node=node.owner_node,
                   title=Bilingual(en=e.title.en, es=e.title.es), status=node.status,
                   progress=node.progress, due_date=e.due_date, overdue=node.overdue,
                   last_update=node.last_update,
                   children=[cls.of(c) for c in node.children])  # fmt: skip


class ParticipantIn(Shape):
    name: Plain = ""
    role: Plain = ""
    agency: Plain = Field("", description="An agency code, e.g. INL or SRE")


class ExpectationIn(Shape):
    text: BilingualIn = Field(default_factory=BilingualIn)
    subject: Plain = Field("", description="The action or indicator code it is about")
    due_date: Day = None

    def expectation(self) -> Expectation:
        return Expectation(self.text.text(), self.subject, self.due_date)


class MeetingIn(Shape):
    """One meeting to record or change (this node's own), found by its code."""

    NOT_A_MAPPING: ClassVar[str] = N_("Each meeting is a mapping of fields.")

    code: Plain = Field("", description="e.g. SIG-2027-01, MIN-2027-02, WG-2027-03")
    kind: Plain = Field("", description="sig, ministerial or working_group")
    title: BilingualIn = Field(default_factory=BilingualIn)
    date: Annotated[Date, Required(N_("A meeting needs a date."))]
    place: Plain = ""
    participants: Annotated[list[ParticipantIn], listed()] = Field(default_factory=list)
    agenda: Annotated[list[BilingualIn], listed(TEXTS)] = Field(default_factory=list)
    decisions: Annotated[list[BilingualIn], listed(TEXTS)] = Field(default_factory=list)
    actions: Texts = Field(default_factory=list, description="Codes of the actions it created "
                           "or re-assigned")  # fmt: skip
    expectations: Annotated[list[ExpectationIn], listed()] | None = Field(
        None, description="The expectations it adopted; left out, those held stay"
    )

    def meeting(self, kept: Meeting | None) -> Meeting:
        """The meeting; with the expectations of ``kept`` (the one held) when left out."""
        expectations = (
            [e.expectation() for e in self.expectations] if self.expectations is not None
            else kept.expectations if kept else [])  # fmt: skip
        return Meeting(
            code=self.code, kind=self.kind, title=self.title.text(), on=self.date,
            place=self.place,
            participants=[Participant(p.name, p.role, p.agency.strip().upper())
                          for p in self.participants],
            agenda=[a.text() for a in self.agenda], decisions=[d.text() for d in self.decisions],
            actions=list(self.actions), expectations=expectations,
        )  # fmt: skip


class ExpectationOut(BaseModel):
    text: Bilingual
    subject: str
    due_date: date | None


class MeetingOut(BaseModel):
    code: str
    kind: str
    id: str
    owner_node: str
    title: Bilingual
    date: dt.date
    place: str
    participants: list[ParticipantIn]
    agenda: list[Bilingual]
    decisions: list[Bilingual]
    actions: list[str]
    expectations: list[ExpectationOut]

    @classmethod
    def of(cls, meeting: Meeting, owner_node: str) -> MeetingOut:
        def text(value: Text) -> Bilingual:
            return Bilingual(en=value.en, es=value.es)

        return cls(
            code=meeting.code, kind=meeting.kind, id=meeting.stix_id, owner_node=owner_node,
            title=text(meeting.title), date=meeting.on, place=meeting.place,
            participants=[ParticipantIn(name=p.name, role=p.role, agency=p.agency)
                          for p in meeting.participants],
            agenda=[text(a) for a in meeting.agenda],
            decisions=[text(d) for d in meeting.decisions], actions=list(meeting.actions),
            expectations=[ExpectationOut(text=text(e.text), subject=e.subject,
                                         due_date=e.due_date) for e in meeting.expectations],
        )  # fmt: skip
