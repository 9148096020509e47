"""The plan as tables: a projection of the plan's STIX objects, this node's and the partner's,
kept for reading the tree, its pages and its assessments (the records stay the source)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from puente.db import Base


class PlanElement(Base):
    """The current version of one element of the plan."""

    __tablename__ = "plan_elements"

    stix_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(20), index=True)
    parent_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    owner_node: Mapped[str] = mapped_column(String(64))  # its single writer
    title_en: Mapped[str] = mapped_column(Text)
    title_es: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_es: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="not_started")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # JSON: {"USA": ["DEA"], "MEX": ["FGR"]}; ["CBP", ...]; milestones and evidence lists
    leads: Mapped[str] = mapped_column(Text, default="{}")
    supporting: Mapped[str] = mapped_column(Text, default="[]")
    milestones: Mapped[str] = mapped_column(Text, default="[]")
    evidence: Mapped[str] = mapped_column(Text, default="[]")
    modified: Mapped[str] = mapped_column(String(32))  # the STIX version shown
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanUpdate(Base):
    """One dated progress update on an element, by either side."""

    __tablename__ = "plan_updates"

    stix_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(100), index=True)
    on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(12))
    progress: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(120))
    owner_node: Mapped[str] = mapped_column(String(64))
    created: Mapped[str] = mapped_column(String(32))


class PlanMeeting(Base):
    """The current version of one meeting of the plan (a projection of its STIX object)."""

    __tablename__ = "plan_meetings"

    stix_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    on: Mapped[date] = mapped_column(Date, index=True)
    owner_node: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    modified: Mapped[str] = mapped_column(String(32))
