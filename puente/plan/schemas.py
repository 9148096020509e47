"""The REST API's shapes for the joint action plan."""

from __future__ import annotations

import datetime as dt
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from puente.i18n import Bilingual, Text
from puente.plan import reading
from puente.plan.elements import Element, Evidence, Milestone
from puente.plan.meetings import Expectation, Meeting, Participant


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Bilingual
    due_date: date | None = None
    done_date: date | None = None


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="record, document or url")
    ref: str
    label: str = ""


class ElementIn(BaseModel):
    """One element to create or change (this node's own), found by its code."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="e.g. 2.1.3.4; its depth says the level")
    level: str = Field(description="goal, area, objective or action")
    parent: str = Field("", description="The code of the element one level up")
    title: Bilingual
    description: Bilingual = Field(default_factory=Bilingual)
    status: str = "not_started"
    progress: int = 0
    start_date: date | None = None
    due_date: date | None = None
    leads: dict[str, list[str]] = Field(default_factory=dict, description='{"USA": ["DEA"]}')
    supporting: list[str] = Field(default_factory=list)
    milestones: list[MilestoneIn] = Field(default_factory=list)
    evidence: list[EvidenceIn] = Field(default_factory=list)

    def element(self) -> Element:
        return Element(
            level=self.level, code=self.code, title=Text(self.title.en, self.title.es),
            description=Text(self.description.en, self.description.es),
            parent_code=self.parent, status=self.status, progress=self.progress,
            start_date=self.start_date, due_date=self.due_date, leads=self.leads,
            supporting=self.supporting,
            milestones=[Milestone(Text(m.title.en, m.title.es), m.due_date, m.done_date)
                        for m in self.milestones],
            evidence=[Evidence(e.kind, e.ref, e.label) for e in self.evidence],
        )  # fmt: skip


class UpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    language: str = Field("en", description="en or es")
    status: str
    progress: int
    date: dt.date | None = None


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


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: str = ""
    agency: str = Field("", description="An agency code, e.g. INL or SRE")


class ExpectationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Bilingual
    subject: str = Field("", description="The action or indicator code it is about")
    due_date: date | None = None


class MeetingIn(BaseModel):
    """One meeting to record or change (this node's own), found by its code."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="e.g. SIG-2027-01, MIN-2027-02, WG-2027-03")
    kind: str = Field(description="sig, ministerial or working_group")
    title: Bilingual
    date: dt.date
    place: str = ""
    participants: list[ParticipantIn] = Field(default_factory=list)
    agenda: list[Bilingual] = Field(default_factory=list)
    decisions: list[Bilingual] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list, description="Codes of the actions it "
                               "created or re-assigned")  # fmt: skip
    expectations: list[ExpectationIn] | None = Field(
        None, description="The expectations it adopted; left out, those held stay"
    )

    def meeting(self, kept: Meeting | None) -> Meeting:
        """The meeting; with the expectations of ``kept`` (the one held) when left out."""
        expectations = (
            [Expectation(Text(e.text.en, e.text.es), e.subject, e.due_date)
             for e in self.expectations] if self.expectations is not None
            else kept.expectations if kept else [])  # fmt: skip
        return Meeting(
            code=self.code, kind=self.kind, title=Text(self.title.en, self.title.es),
            on=self.date, place=self.place,
            participants=[Participant(p.name, p.role, p.agency.strip().upper()) for p in self.participants],
            agenda=[Text(a.en, a.es) for a in self.agenda],
            decisions=[Text(d.en, d.es) for d in self.decisions], actions=list(self.actions),
            expectations=expectations,
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
