"""The REST API's shapes for the plan's indicators."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from puente.errors import N_, InvalidInput, Problem
from puente.i18n import Bilingual, Text
from puente.indicators import reading
from puente.indicators.definitions import Indicator, Point


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    value: float = Field(allow_inf_nan=False)


class IndicatorIn(BaseModel):
    """One indicator to create or change (this node's own), found by its code."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="I and a number, e.g. I3")
    objective: str = Field("", description="The code of the joint objective it measures")
    name: Bilingual
    unit: Bilingual
    good_direction: str = Field(description="up or down")
    source: str = Field(description="dataset, platform or manual")
    dataset: str = Field("", description="For a dataset: cbp.drugs, cbp.weapons or "
                         "sesnsp.incidence")  # fmt: skip
    measure: str = Field("", description="For a dataset, one of its measures (weight_lb ...); "
                         "for the platform, one of its figures (rfis.answered_on_time ...)")  # fmt: skip
    filters: dict[str, str] = Field(default_factory=dict, description='{"drug": "Fentanyl"}')
    split_by: str = Field("", description="A dimension: one series per value (aor, state ...)")
    baseline: PointIn | None = None
    targets: list[PointIn] = Field(default_factory=list, description="In date order")

    def indicator(self) -> Indicator:
        return Indicator(
            code=self.code, objective_code=self.objective,
            name=Text(self.name.en, self.name.es), unit=Text(self.unit.en, self.unit.es),
            good_direction=self.good_direction, source=self.source, dataset=self.dataset,
            measure=self.measure, filters=self.filters, split_by=self.split_by,
            baseline=Point(self.baseline.date, self.baseline.value) if self.baseline else None,
            targets=[Point(t.date, t.value) for t in self.targets],
        )  # fmt: skip


class ObservationIn(BaseModel):
    """A figure entered by hand for a manual indicator."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(description="The month, YYYY-MM")
    value: float = Field(allow_inf_nan=False)
    unit: str = Field(description="The indicator's unit, in English or Spanish")
    note: str = ""

    def month(self) -> date:
        try:
            if len(self.period) == 7:
                return date.fromisoformat(self.period + "-01")
        except ValueError:
            pass
        raise InvalidInput([Problem(N_("{value} is not a month: write YYYY-MM."), "/period",
                                    {"value": self.period})])  # fmt: skip


class PointOut(BaseModel):
    date: dt.date
    value: float


class MonthOut(BaseModel):
    period: str = Field(description="YYYY-MM")
    value: float

    @classmethod
    def of(cls, point: Point) -> MonthOut:
        return cls(period=point.on.isoformat()[:7], value=point.value)


class IndicatorOut(BaseModel):
    code: str
    id: str
    owner_node: str
    objective: str
    name: Bilingual
    unit: Bilingual
    good_direction: str
    source: str
    dataset: str
    measure: str
    filters: dict[str, str]
    split_by: str
    baseline: PointOut | None
    targets: list[PointOut]
    latest: MonthOut | None = Field(description="The latest month's figure (split lines summed)")
    expected: float | None = Field(description="Where the path from baseline to targets is then")
    on_track: bool | None = Field(description="null: nothing to judge by")

    @classmethod
    def fields_of(cls, found: reading.Reading) -> dict[str, Any]:
        i = found.indicator
        return {
            "code": i.code, "id": i.stix_id, "owner_node": found.owner_node,
            "objective": i.objective_code, "name": Bilingual(en=i.name.en, es=i.name.es),
            "unit": Bilingual(en=i.unit.en, es=i.unit.es), "good_direction": i.good_direction,
            "source": i.source, "dataset": i.dataset, "measure": i.measure,
            "filters": i.filters, "split_by": i.split_by,
            "baseline": PointOut(date=i.baseline.on, value=i.baseline.value) if i.baseline
            else None,
            "targets": [PointOut(date=t.on, value=t.value) for t in i.targets],
            "latest": MonthOut.of(found.latest) if found.latest else None,
            "expected": found.expected, "on_track": found.on_track,
        }  # fmt: skip

    @classmethod
    def of(cls, found: reading.Reading) -> IndicatorOut:
        return cls.model_validate(cls.fields_of(found))


class IndicatorDetailOut(IndicatorOut):
    totals: list[MonthOut] = Field(description="Each month's figure, split lines summed")
    series: dict[str, list[MonthOut]] = Field(
        description='One series per value of split_by; "" when the indicator is not split'
    )

    @classmethod
    def of(cls, found: reading.Reading) -> IndicatorDetailOut:
        return cls.model_validate(
            cls.fields_of(found)
            | {"totals": [MonthOut.of(p) for p in found.totals],
               "series": {label: [MonthOut.of(p) for p in points]
                          for label, points in found.series.items()}}
        )  # fmt: skip
