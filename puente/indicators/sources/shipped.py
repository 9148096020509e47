"""The compact subset of the public series that Puente ships for its demo.

``puente/indicators/data`` holds a few small CSVs derived from the public files by
``tools/derive_indicator_data.py`` (PROVENANCE.md there names publisher, file and date):
each is one :class:`Subset` of one reader's observations, one row per month and cell with
a column per measure. Read back, they give the very observations the readers give for that
subset, with ``source`` and ``line`` naming the *public* file and line each figure came
from; a test checks that against the public files whenever they are at hand.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources

from puente.indicators.sources.common import Observation, dimensions


@dataclass(frozen=True)
class Subset:
    """Which observations of a series a shipped file holds, and its columns."""

    file: str
    series: str
    dimensions: tuple[str, ...]  # the columns: dimensions that vary within the subset
    measures: tuple[str, ...]
    select: Mapping[str, str]  # dimension -> value: which observations the subset holds
    # Dimensions with one value throughout the subset, not repeated on every row (the
    # derivation checks they are).
    constant: Mapping[str, str]

    def holds(self, observation: Observation) -> bool:
        return observation.series == self.series and all(
            observation.dimension(name) == value for name, value in self.select.items()
        )

    @property
    def header(self) -> tuple[str, ...]:
        return ("period", *self.dimensions, *self.measures, "source", "line")


SUBSETS = (
    # Fentanyl seized at the Southwest border, by field office (OFO) and sector (USBP).
    Subset(
        "cbp_fentanyl_southwest.csv",
        "cbp.drugs",
        ("aor", "component", "land_filter"),
        ("events", "weight_lb"),
        {"region": "Southwest Border", "drug": "Fentanyl"},
        {},
    ),
    # Guns, ammunition and parts seized leaving for Mexico (OUTBOUND at the Southwest border).
    Subset(
        "cbp_weapons_southbound.csv",
        "cbp.weapons",
        ("aor", "seizure_type"),
        ("events", "items"),
        {"southbound": "yes"},
        {
            "component": "Office of Field Operations",
            "direction": "Outbound",
            "region": "Southwest Border",
        },
    ),
    # Intentional homicides (all modalities) per Mexican state.
    Subset(
        "sesnsp_homicidio_doloso.csv",
        "sesnsp.incidence",
        ("state_code", "state"),
        ("incidents",),
        {"subtipo": "Homicidio doloso"},
        {"bien_juridico": "La vida y la Integridad corporal", "tipo": "Homicidio"},
    ),
)


def read_shipped() -> list[Observation]:
    """Every observation of the shipped subset, file by file in the order of SUBSETS."""
    observations: list[Observation] = []
    for subset in SUBSETS:
        observations.extend(read_subset(subset))
    return observations


def read_subset(subset: Subset) -> list[Observation]:
    text = (resources.files("puente.indicators") / "data" / subset.file).read_text("utf-8")
    observations: list[Observation] = []
    fixed = {**subset.select, **subset.constant}
    for row in csv.DictReader(io.StringIO(text)):
        period = date.fromisoformat(row["period"])
        dims = dimensions(**fixed, **{name: row[name] for name in subset.dimensions})
        source, line = row["source"], int(row["line"])
        observations.extend(
            Observation(subset.series, period, dims, measure, float(row[measure]), source, line)
            for measure in subset.measures
            if row[measure]  # empty: the public file had no figure for this measure
        )
    return observations
