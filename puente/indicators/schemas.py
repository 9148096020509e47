"""The plan's indicators and figures as every edge gives them (the REST API's bodies, a plan
file's entries, the forms), and as the API returns them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, Field

from puente.errors import N_
from puente.i18n import Bilingual
from puente.indicators import reading
from puente.indicators.definitions import Indicator, Point
from puente.shapes import (
    BilingualIn,
    Date,
    Figure,
    Month,
    Plain,
    Required,
    Shape,
    listed,
    mapped,
    refusal,
)


def _filter_value(value: object) -> object:
    if isinstance(value, str):
        return value
    raise refusal(N_("The filter {dimension} takes one value, written as text."))


class PointIn(Shape):
    NOT_A_MAPPING: ClassVar[str] = N_("A baseline or target is a date and a value.")

    date: Annotated[Date, Required(N_("A target or baseline needs a date."))]
    value: Annotated[Figure, Required(N_("A target or baseline needs a value."))]

    def point(self) -> Point:
        return Point(self.date, self.value)


class IndicatorIn(Shape):
    """One indicator to create or change (this node's own), found by its code."""

    # A field left out takes its default: the indicator's rules (definitions.check) say what
    # each may hold, in the same words whichever edge the indicator came through.
    NOT_A_MAPPING: ClassVar[str] = N_("Each indicator is a mapping of fields.")

    code: Plain = Field("", description="I and a number, e.g. I3")
    objective: Plain = Field("", description="The code of the joint objective it measures")
    name: BilingualIn = Field(default_factory=BilingualIn)
    unit: BilingualIn = Field(default_factory=BilingualIn)
    good_direction: Plain = Field("", description="up or down")
    source: Plain = Field("", description="dataset, platform or manual")
    dataset: Plain = Field("", description="For a dataset: cbp.drugs, cbp.weapons or "
                           "sesnsp.incidence")  # fmt: skip
    measure: Plain = Field("", description="For a dataset, one of its measures (weight_lb ...); "
                           "for the platform, one of its figures (rfis.answered_on_time ...)")  # fmt: skip
    filters: Annotated[dict[str, Annotated[str, BeforeValidator(_filter_value)]],
                       mapped(N_("filters maps a dimension to its value."))] = Field(
        default_factory=dict, description='{"drug": "Fentanyl"}')  # fmt: skip
    split_by: Plain = Field("", description="A dimension: one series per value (aor, state ...)")
    baseline: PointIn | None = None
    targets: Annotated[list[PointIn], listed()] = Field(default_factory=list,
                                                        description="In date order")  # fmt: skip

    def indicator(self) -> Indicator:
        return Indicator(
            code=self.code, objective_code=self.objective, name=self.name.text(),
            unit=self.unit.text(), good_direction=self.good_direction, source=self.source,
            dataset=self.dataset, measure=self.measure, filters=self.filters,
            split_by=self.split_by, baseline=self.baseline.point() if self.baseline else None,
            targets=[t.point() for t in self.targets],
        )  # fmt: skip


class ObservationIn(Shape):
    """A figure entered by hand for a manual indicator."""

    NOT_A_MAPPING: ClassVar[str] = N_("Each observation is a mapping of fields.")

    period: Annotated[Month, Required()] = Field(description="The month, YYYY-MM")
    value: Annotated[Figure, Required(N_("An observation needs a value."))]
    unit: Annotated[Plain, Required()] = Field(
        description="The indicator's unit, in English or Spanish"
    )
    note: Plain = ""


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
