"""An indicator as people read it: its monthly figures in a period, its chart, how it stands
against the straight path from its baseline to its targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from sqlalchemy.orm import Session

from puente.indicators import charts, compute
from puente.indicators.definitions import Indicator, Point


@dataclass
class Reading:
    indicator: Indicator
    owner_node: str
    totals: list[Point]  # the month's figure over every split value, in the period
    latest: Point | None
    expected: float | None  # where the straight path from baseline to targets is at ``latest``
    on_track: bool | None  # None: nothing to judge by
    chart: charts.Chart
    series: dict[str, list[Point]]  # label ("" when not split) → every month computed

    @property
    def last_observed(self) -> date | None:
        """The last month with a figure, in the period or before it: how fresh the data is."""
        return max((p.on for points in self.series.values() for p in points), default=None)


def path_value(indicator: Indicator, on: date) -> float | None:
    """The straight path from the baseline through the targets, at ``on`` (None outside it)."""
    points = ([indicator.baseline] if indicator.baseline else []) + list(indicator.targets)
    for start, end in pairwise(points):
        if start.on <= on <= end.on:
            span = (end.on - start.on).days or 1
            return start.value + (end.value - start.value) * (on - start.on).days / span
    if points and on > points[-1].on:
        return points[-1].value  # past the last target, the target still holds
    return None


def read(session: Session, indicator: Indicator, owner_node: str, locale: str,
         period: tuple[date, date] | None = None) -> Reading:  # fmt: skip
    series = compute.series(session, indicator)
    inside = (lambda p: period[0] <= p.on <= period[1]) if period else (lambda p: True)
    sums: dict[date, float] = {}
    for points in series.values():
        for point in points:
            if inside(point):
                sums[point.on] = sums.get(point.on, 0.0) + point.value
    totals = [Point(on, value) for on, value in sorted(sums.items())]
    latest = totals[-1] if totals else None
    expected = path_value(indicator, latest.on) if latest else None
    on_track = None
    if latest is not None and expected is not None:
        good_up = indicator.good_direction == "up"
        on_track = latest.value >= expected if good_up else latest.value <= expected
    chart = charts.Chart(
        title=indicator.name.get(locale),
        unit=indicator.unit.get(locale),
        good_direction=indicator.good_direction,
        series=tuple(charts.ChartSeries(label or indicator.name.get(locale),
                                        tuple((p.on, p.value) for p in points))
                     for label, points in series.items()),
        baseline=(indicator.baseline.on, indicator.baseline.value) if indicator.baseline else None,
        targets=tuple((t.on, t.value) for t in indicator.targets),
        period=period,
        stacked=len(series) > 1,  # split by field office or state: the border is their sum
    )  # fmt: skip
    return Reading(indicator, owner_node, totals, latest, expected, on_track, chart, series)
