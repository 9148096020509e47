"""An indicator ("benchmark") of the joint action plan, as data, and its rules.

An indicator has a bilingual name and unit, the direction that is good, a baseline, targets
by date, and where its observations come from: a public dataset the node imports (a measure
of a series, the cells selected by their dimensions, summed by month), the platform itself
(requests answered on time, hit/no-hit queries, records shared), or entry by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from puente.errors import N_, Problem
from puente.i18n import Text

DATASETS = {
    "cbp.drugs": ("weight_lb", "events"),
    "cbp.weapons": ("events", "items"),
    "sesnsp.incidence": ("incidents",),
}
# The dimensions each dataset's cells carry (see its reader in sources/): what filters and
# split_by may name.
DIMENSIONS = {
    "cbp.drugs": ("aor", "component", "drug", "land_filter", "region"),
    "cbp.weapons": ("aor", "component", "direction", "region", "seizure_type", "southbound"),
    "sesnsp.incidence": ("bien_juridico", "modalidad", "state", "state_code", "subtipo", "tipo"),
}
PLATFORM_METRICS = (
    "rfis.answered_on_time",  # share of requests answered by their due time, by month answered
    "rfis.answered",  # requests answered, by month
    "hits.queries",  # hit/no-hit queries this node sent, by month
    "records.sent",  # record versions partners signed receipts for, by month
    "records.received",  # record versions this node received and signed for, by month
)
SOURCES = ("dataset", "platform", "manual")
DIRECTIONS = ("up", "down")
CODE = re.compile(r"I[0-9]{1,3}")


@dataclass(frozen=True)
class Point:
    on: date
    value: float


@dataclass
class Indicator:
    code: str  # I1, I2 ...
    name: Text
    unit: Text
    good_direction: str  # up | down
    source: str  # dataset | platform | manual
    objective_code: str = ""  # the joint objective it measures, if any
    dataset: str = ""  # for source "dataset": cbp.drugs ...
    measure: str = ""  # for source "dataset": weight_lb ... ; for "platform": the metric
    filters: dict[str, str] = field(default_factory=dict)  # dimension -> value
    split_by: str = ""  # a dimension to chart one line per value (field office, state)
    baseline: Point | None = None
    targets: list[Point] = field(default_factory=list)
    stix_id: str = ""


def check(indicator: Indicator, at: str = "") -> list[Problem]:
    problems: list[Problem] = []

    def add(message: str, where: str, **params: object) -> None:
        problems.append(Problem(message, f"{at}/{where}", dict(params)))

    if not CODE.fullmatch(indicator.code):
        add(N_("An indicator's code is I and a number, e.g. I3."), "code")
    if not indicator.name.en.strip():
        add(N_("The English name is required."), "name/en")
    if not indicator.name.es.strip():
        add(N_("The Spanish name is required."), "name/es")
    if not (indicator.unit.en.strip() and indicator.unit.es.strip()):
        add(N_("The unit is required in English and Spanish."), "unit")
    points = [("baseline", indicator.baseline)] if indicator.baseline else []
    points += [(f"targets/{i}", target) for i, target in enumerate(indicator.targets)]
    for where, point in points:
        if not math.isfinite(point.value):  # JSON has no NaN: it would travel as null
            add(N_("A value must be a finite number."), f"{where}/value")
    if indicator.good_direction not in DIRECTIONS:
        add(N_("Say whether up or down is good."), "good_direction")
    if indicator.source not in SOURCES:
        add(N_("Unknown source {source}; use dataset, platform or manual."), "source",
            source=indicator.source)  # fmt: skip
    elif indicator.source == "dataset":
        measures = DATASETS.get(indicator.dataset)
        if measures is None:
            add(N_("Unknown dataset {dataset}; use one of: {datasets}."), "dataset",
                dataset=indicator.dataset, datasets=", ".join(DATASETS))  # fmt: skip
        else:
            if indicator.measure not in measures:
                add(N_("{dataset} has no measure {measure}; use one of: {measures}."), "measure",
                    dataset=indicator.dataset, measure=indicator.measure,
                    measures=", ".join(measures))  # fmt: skip
            _check_dimensions(indicator, add)
    elif indicator.source == "platform" and indicator.measure not in PLATFORM_METRICS:
        add(N_("Unknown platform measure {measure}; use one of: {measures}."), "measure",
            measure=indicator.measure, measures=", ".join(PLATFORM_METRICS))  # fmt: skip
    if indicator.source in ("platform", "manual"):
        # Kept, they would be shared and exported as if they said where the figures come from.
        unused = ["dataset", "filters", "split_by"] + (["measure"] if indicator.source == "manual"
                                                       else [])  # fmt: skip
        for name in unused:
            if getattr(indicator, name):
                add(N_("A {source} indicator has no {field}: its figures do not come from a "
                       "dataset."), name, source=indicator.source, field=name)  # fmt: skip
    days = [t.on for t in indicator.targets]
    if days != sorted(days) or len(set(days)) != len(days):
        add(N_("Targets go in date order, one per date."), "targets")
    if indicator.baseline and days and days[0] <= indicator.baseline.on:
        add(N_("A target's date must come after the baseline's."), "targets/0/date")
    return problems


def _check_dimensions(indicator: Indicator, add: Callable[..., None]) -> None:
    """Filters and the split name dimensions the indicator's dataset has."""
    known = DIMENSIONS.get(indicator.dataset, ())
    for name in sorted(indicator.filters):
        if not indicator.filters[name].strip():
            add(N_("The filter {dimension} needs a value."),
                "filters/" + name.replace("~", "~0").replace("/", "~1"), dimension=name)  # fmt: skip
        elif name not in known:
            add(N_("{dataset} has no dimension {dimension}; use one of: {dimensions}."),
                "filters/" + name.replace("~", "~0").replace("/", "~1"), dataset=indicator.dataset, dimension=name,
                dimensions=", ".join(known))  # fmt: skip
    if indicator.split_by and indicator.split_by not in known:
        add(N_("{dataset} has no dimension {dimension}; use one of: {dimensions}."), "split_by",
            dataset=indicator.dataset, dimension=indicator.split_by,
            dimensions=", ".join(known))  # fmt: skip
