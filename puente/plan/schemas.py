"""The REST API's shapes for the joint action plan."""

from __future__ import annotations

import datetime as dt
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from puente.plan import reading
from puente.plan.elements import Element, Evidence, Milestone, Text


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="forbid")

    en: str = ""
    es: str = ""


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
