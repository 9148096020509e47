"""An indicator's observations, month by month, from where its definition says they come.

Dataset indicators sum the selected cells of the figures the node imported (each node imports
the same public files, so both compute the same numbers); platform indicators count this
node's own requests, queries and receipts; manual ones read what people entered (the latest
entry for a month wins). A split indicator gives one series per value of a dimension.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.clock import as_utc
from puente.hits.models import HitQuery
from puente.indicators.definitions import Indicator, Point
from puente.indicators.models import ManualObservation, SourceFigure
from puente.rfis import states
from puente.rfis.models import Rfi
from puente.sharing.models import Receipt
from puente.sharing.receipts import HELD, ISSUED

TOTAL = ""  # the series name of an indicator that is not split


def _month(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def series(session: Session, indicator: Indicator) -> dict[str, list[Point]]:
    """Label (a dimension's value, or "" when not split) → monthly points, in date order."""
    sums: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    if indicator.source == "dataset":
        _dataset(session, indicator, sums)
    elif indicator.source == "platform":
        _platform(session, indicator.measure, sums[TOTAL])
    elif indicator.source == "manual" and indicator.stix_id:
        rows = session.execute(
            select(ManualObservation.period, ManualObservation.value)
            .where(ManualObservation.indicator_id == indicator.stix_id)
            .order_by(ManualObservation.created)
        )
        for period, value in rows:
            sums[TOTAL][_month(period)] = value  # the latest entry for a month wins
    return {label: [Point(on, value) for on, value in sorted(points.items())]
            for label, points in sorted(sums.items())}  # fmt: skip


def _dataset(session: Session, indicator: Indicator, sums: dict[str, dict[date, float]]) -> None:
    wanted = [f"{name}={value}" for name, value in sorted(indicator.filters.items())]
    query = select(SourceFigure.period, SourceFigure.dims, SourceFigure.value).where(
        SourceFigure.series == indicator.dataset, SourceFigure.measure == indicator.measure
    )
    # The database keeps only the cells that name each filter (a whole SESNSP import is
    # 156,640 figures, a handful of which one indicator selects); the exact test is below.
    for part in wanted:
        query = query.where(SourceFigure.dims.contains(part, autoescape=True))
    rows = session.execute(query)
    prefix = f"{indicator.split_by}="
    for period, dims, value in rows:
        parts = dims.split("|")
        if all(w in parts for w in wanted):
            label = TOTAL
            if indicator.split_by:
                label = next((p[len(prefix) :] for p in parts if p.startswith(prefix)), TOTAL)
            sums[label][period] += value


def _platform(session: Session, metric: str, points: dict[date, float]) -> None:
    if metric in ("rfis.answered", "rfis.answered_on_time"):
        answered: dict[date, list[bool]] = defaultdict(list)
        rows = session.execute(
            select(Rfi.closed_at, Rfi.due_at).where(Rfi.state == states.ANSWERED)
        )
        for closed_at, due_at in rows:
            if closed_at is not None:
                on_time = due_at is not None and as_utc(closed_at) <= as_utc(due_at)
                answered[_month(closed_at)].append(on_time)
        for month, flags in answered.items():
            points[month] = (len(flags) if metric == "rfis.answered"
                             else round(100 * sum(flags) / len(flags), 1))  # fmt: skip
    elif metric == "hits.queries":
        for (asked_at,) in session.execute(select(HitQuery.created_at)):
            points[_month(asked_at)] += 1
    elif metric in ("records.sent", "records.received"):
        direction = HELD if metric == "records.sent" else ISSUED
        receipts = session.execute(
            select(Receipt.created_at, Receipt.object_count).where(Receipt.direction == direction)
        )
        for signed_at, count in receipts:
            points[_month(signed_at)] += count
