"""Firearms recovered in Mexico, with their makers, importers and ATF trace results.

Makes and models are those most often recovered and traced in Mexico (AR- and AK-pattern
rifles, 9 mm pistols, .38 Super 1911s, 5.7 mm pistols, .50 BMG rifles); serial numbers follow
each maker's shape but are invented.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

from puente.demo import catalog
from puente.demo.marks import deck
from puente.demo.plan import HISTORY_DAYS, Item, Planner
from puente.demo.stories import RECOVERING_UNITS, RECOVERY_EVENTS, pick, say

SERIAL_LETTERS = "".join(c for c in string.ascii_uppercase if c not in "IOQ")
TRACES = (
    "straw",
    "straw",
    "straw",
    "straw",
    "stolen",
    "importer",
    "obliterated",
    "pending",
    "pending",
)


@dataclass(frozen=True)
class Firearm:
    model: catalog.FirearmModel
    serial: str
    place: catalog.Place
    recovered: date
    trace: str
    sale_place: catalog.Place
    time_to_crime: int

    @property
    def sold(self) -> date:
        return self.recovered - timedelta(days=self.time_to_crime)


def serial(rng: random.Random, pattern: str) -> str:
    return "".join(
        rng.choice(SERIAL_LETTERS) if c == "L" else str(rng.randrange(10)) if c == "#" else c
        for c in pattern
    )


def make(rng: random.Random, today: date) -> Firearm:
    models = catalog.firearm_models()
    model = rng.choices(models, weights=[m.weight for m in models])[0]
    trace = rng.choice(TRACES)
    if trace == "importer" and not model.importer:
        trace = "straw"
    return Firearm(
        model,
        serial(rng, model.serial_pattern),
        rng.choice(catalog.places("recovery")),
        today - timedelta(days=rng.randrange(3, HISTORY_DAYS)),
        trace,
        rng.choice(catalog.places("first-sale")),
        rng.randrange(40, 2400),
    )


def trace_text(lang: str, firearm: Firearm) -> str:
    if firearm.trace in ("straw", "stolen"):
        return say(
            lang,
            f"trace.{firearm.trace}",
            date=firearm.sold.isoformat(),
            city=firearm.sale_place.city,
            state=firearm.sale_place.state,
            days=firearm.time_to_crime if firearm.trace == "straw" else firearm.time_to_crime // 3,
        )
    if firearm.trace == "importer":
        return say(lang, "trace.importer", importer=firearm.model.importer)
    return say(lang, f"trace.{firearm.trace}")


def fields(
    planner: Planner, firearm: Firearm, as_recorded_in_mexico: bool = False
) -> dict[str, object]:
    lang, rng = planner.lang, planner.rng
    model = firearm.model
    place = say(lang, "firearm.place", city=firearm.place.city, state=firearm.place.state)
    description = say(
        lang,
        "firearm.description",
        unit=rng.choice(RECOVERING_UNITS),
        place=place,
        event=pick(lang, rng.choice(RECOVERY_EVENTS)),
        rounds=rng.randrange(10, 400),
        caliber=model.caliber,
        magazines=rng.randrange(1, 9),
    )
    values: dict[str, object] = {
        # Mexican registries often write makers in capitals: matching must see past that.
        "manufacturer": model.manufacturer.upper() if as_recorded_in_mexico else model.manufacturer,
        "model": model.model,
        "caliber": model.caliber,
        "serial_number": firearm.serial,
        "firearm_type": model.firearm_type,
        "recovery_place": place,
        "recovery_date": firearm.recovered.isoformat(),
        "trace_result": trace_text(lang, firearm),
        "description": description,
    }
    if model.importer:
        values["importer"] = model.importer
    return values


def add(planner: Planner, key: str, firearm: Firearm, variant: str, shared: bool = False) -> Item:
    author = planner.cast.firearms
    markings = planner.palette.variant(variant, author, searchable=True)
    values = fields(planner, firearm, as_recorded_in_mexico=shared and planner.country == "MEX")
    days_ago = (planner.today - firearm.recovered).days - 1
    return planner.add(key, "firearm", author, values, markings, planner.moment(days_ago))


def firearm_variants(rng: random.Random, count: int) -> list[str]:
    return deck(rng, count, {"shared": 12, "national": 4, "green": 2, "shared-h1": 2})


def attribute(
    planner: Planner, item: Item, firearm: Firearm, organizations: dict[str, Item]
) -> None:
    """Link a gun to the organization that holds the place it was recovered in, most times."""
    if firearm.place.cartels and planner.rng.random() < 0.7:
        key = planner.rng.choice(firearm.place.cartels)
        planner.relate(item, "attributed-to", organizations[key], "rel.attributed", graded=True)
