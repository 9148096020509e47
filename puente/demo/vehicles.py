"""Vehicles: real makes with their manufacturers' WMI codes, VINs that pass the check digit,
and plates in the formats of the issuing state."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import timedelta

from puente.demo import catalog
from puente.demo.plan import Item, Planner
from puente.demo.stories import COLORS, pick, say
from puente.demo.vin import make_vin

TRACTORS = frozenset({"Freightliner", "Kenworth", "International"})
US_PLATE_LETTERS = "".join(c for c in string.ascii_uppercase if c not in "IOQ")
# Plate shapes: L a letter, # a digit.
PLATE_FORMATS = {"US-TX": "LLL####", "US-AZ": "LLL####", "US-CA": "#LLL###", "US-NM": "LLL###"}
MX_PLATE_FORMAT = "LLL-###-L"
US_ISSUERS = {"CA": "US-CA", "AZ": "US-AZ", "NM": "US-NM", "TX": "US-TX"}


@dataclass(frozen=True)
class Vehicle:
    model: catalog.VehicleModel
    year: int
    vin: str
    color: int
    plate: str
    issuer: str

    @property
    def label(self) -> str:
        return f"{self.year} {self.model.make} {self.model.model}"


def plate(rng: random.Random, issuer: str) -> str:
    shape = PLATE_FORMATS.get(issuer, MX_PLATE_FORMAT)
    return "".join(
        rng.choice(US_PLATE_LETTERS) if c == "L" else str(rng.randrange(10)) if c == "#" else c
        for c in shape
    )


def make(rng: random.Random, issuer: str, tractor: bool = False) -> Vehicle:
    models = [m for m in catalog.vehicle_models() if (m.make in TRACTORS) == tractor]
    model = rng.choices(models, weights=[m.weight for m in models])[0]
    year = rng.randrange(model.year_min, model.year_max + 1)
    vin = make_vin(rng, rng.choice(model.wmis), year)
    return Vehicle(model, year, vin, rng.randrange(len(COLORS)), plate(rng, issuer), issuer)


def issuer_near(rng: random.Random, port: catalog.Port, mexican_share: float = 0.5) -> str:
    """Plates seen at a port: the US state's or the Mexican state's across the line."""
    return port.mx_state if rng.random() < mexican_share else US_ISSUERS[port.state]


def describe_crossings(planner: Planner, port_label: str, days_ago: int) -> str:
    day = planner.today - timedelta(days=days_ago)
    return say(
        planner.lang,
        "vehicle.crossings",
        port=port_label,
        count=planner.rng.randrange(2, 15),
        date=day.isoformat(),
    )


def describe_checkpoint(planner: Planner, place: str, days_ago: int) -> str:
    day = planner.today - timedelta(days=days_ago)
    return say(planner.lang, "vehicle.checkpoint", place=place, date=day.isoformat())


def fields(planner: Planner, vehicle: Vehicle, description: str) -> dict[str, object]:
    return {
        "vin": vehicle.vin,
        "make": vehicle.model.make,
        "model": vehicle.model.model,
        "year": vehicle.year,
        "color": pick(planner.lang, COLORS[vehicle.color]),
        "plate_number": vehicle.plate,
        "plate_issuer": vehicle.issuer,
        "description": description,
    }


def add(
    planner: Planner,
    key: str,
    author: str,
    vehicle: Vehicle,
    description: str,
    variant: str,
    days_ago: int,
) -> Item:
    markings = planner.palette.variant(variant, author, searchable=True)
    return planner.add(
        key,
        "vehicle",
        author,
        fields(planner, vehicle, description),
        markings,
        planner.moment(days_ago),
    )
