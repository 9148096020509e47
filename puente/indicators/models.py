"""Tables for indicators: the figures read from public datasets, and each import of them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puente.db import Base


class SourceFigure(Base):
    """One monthly figure of a public dataset (a cell of CBP's or SESNSP's tables).

    The dimensions are kept as one sorted ``name=value|name=value`` text, the key an indicator
    selects on; importing the same file again changes nothing, a revised file replaces the
    figures it revises.
    """

    __tablename__ = "source_figures"
    __table_args__ = (
        UniqueConstraint("series", "period", "dims", "measure", name="uq_source_figures_cell"),
        Index("ix_source_figures_series_measure_period", "series", "measure", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(40))
    period: Mapped[date] = mapped_column(Date)  # the first day of the calendar month
    dims: Mapped[str] = mapped_column(String(500))
    measure: Mapped[str] = mapped_column(String(20))
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200))  # the public file it was read from
    line: Mapped[int] = mapped_column(Integer)


class SourceImport(Base):
    """One import of public data files: what was read, what changed, what was skipped."""

    __tablename__ = "source_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # cbp-drugs | cbp-weapons | sesnsp | shipped
    files: Mapped[str] = mapped_column(Text)  # comma-separated names
    rows_read: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    report: Mapped[str] = mapped_column(Text)  # JSON: skipped rows and warnings, with lines
    imported_by: Mapped[str] = mapped_column(String(80))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SourceFiscalYear(Base):
    """Which window of a series a fiscal year's figures came from (CBP drugs).

    CBP publishes overlapping windows of fiscal years and revises the older figures in each
    new one, so a fiscal year is taken whole from the newest window ever imported: importing
    an older window again afterwards must not bring its figures back.
    """

    __tablename__ = "source_fiscal_years"

    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    through: Mapped[date] = mapped_column(Date)  # the latest month the window holds
    source: Mapped[str] = mapped_column(String(200))  # the window's file


class PlanIndicator(Base):
    """The current version of one indicator's definition (a projection of its STIX object)."""

    __tablename__ = "plan_indicators"

    stix_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    code: Mapped[str] = mapped_column(String(10), index=True)
    owner_node: Mapped[str] = mapped_column(String(64))
    objective_id: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text)  # the STIX object, read back as an Indicator
    modified: Mapped[str] = mapped_column(String(32))


class ManualObservation(Base):
    """A figure entered by hand for an indicator, by either side."""

    __tablename__ = "plan_observations"

    stix_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(100), index=True)
    period: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(120))
    owner_node: Mapped[str] = mapped_column(String(64))
    created: Mapped[str] = mapped_column(String(32))
