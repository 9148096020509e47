"""The curated reference data the demo ships in ``puente/demo/data`` (see PROVENANCE.md)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


def _text(name: str) -> str:
    return (resources.files("puente.demo") / "data" / name).read_text(encoding="utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_text(name))))


def _lines(name: str) -> list[str]:
    stripped = (line.strip() for line in _text(name).splitlines())
    return [line for line in stripped if line and not line.startswith("#")]


@dataclass(frozen=True)
class Port:
    code: str
    name: str
    state: str
    state_name: str
    field_office: str
    latitude: float | None
    longitude: float | None
    crossings: tuple[str, ...]
    traffic: int
    mx_city: str
    mx_state: str


@dataclass(frozen=True)
class SeizureProfile:
    field_office: str
    drug: str
    events: int
    pounds_per_event: float


@dataclass(frozen=True)
class FirearmModel:
    manufacturer: str
    importer: str
    model: str
    caliber: str
    firearm_type: str
    serial_pattern: str
    weight: int


@dataclass(frozen=True)
class VehicleModel:
    make: str
    model: str
    wmis: tuple[str, ...]
    year_min: int
    year_max: int
    weight: int


@dataclass(frozen=True)
class Place:
    use: str
    city: str
    state: str
    iso: str
    cartels: tuple[str, ...]  # keys of the organizations public reporting places there


@dataclass(frozen=True)
class CriminalOrganization:
    key: str
    name_en: str
    name_es: str
    aliases: tuple[str, ...]
    description_en: str
    description_es: str
    plazas: tuple[str, ...]


@dataclass(frozen=True)
class Names:
    mx_male: tuple[str, ...]
    mx_female: tuple[str, ...]
    mx_surnames: tuple[str, ...]
    us_given: tuple[tuple[str, str], ...]  # (sex H/M, given names)
    us_surnames: tuple[str, ...]
    hypocorisms: dict[str, tuple[str, ...]]
    apodos: tuple[tuple[str, str], ...]  # (sex H/M/*, nickname)


def _number(text: str) -> float | None:
    return float(text) if text else None


@cache
def ports() -> tuple[Port, ...]:
    return tuple(
        Port(
            r["port_code"],
            r["name"],
            r["state"],
            r["state_name"],
            r["field_office"],
            _number(r["latitude"]),
            _number(r["longitude"]),
            tuple(c for c in r["crossings"].split("; ") if c),
            int(r["traffic_feb2020"]),
            r["mx_city"],
            r["mx_state"],
        )
        for r in _rows("ports_of_entry.csv")
    )


@cache
def seizure_profile() -> tuple[SeizureProfile, ...]:
    return tuple(
        SeizureProfile(r["field_office"], r["drug"], int(r["events"]), float(r["pounds_per_event"]))
        for r in _rows("seizure_profile.csv")
    )


@cache
def firearm_models() -> tuple[FirearmModel, ...]:
    return tuple(
        FirearmModel(
            r["manufacturer"],
            r["importer"],
            r["model"],
            r["caliber"],
            r["firearm_type"],
            r["serial_pattern"],
            int(r["weight"]),
        )
        for r in _rows("firearms.csv")
    )


@cache
def vehicle_models() -> tuple[VehicleModel, ...]:
    return tuple(
        VehicleModel(
            r["make"],
            r["model"],
            tuple(r["wmi"].split()),
            int(r["year_min"]),
            int(r["year_max"]),
            int(r["weight"]),
        )
        for r in _rows("vehicles.csv")
    )


@cache
def places(use: str) -> tuple[Place, ...]:
    return tuple(
        Place(r["use"], r["city"], r["state"], r["iso"], tuple(r["cartels"].split()))
        for r in _rows("places.csv")
        if r["use"] == use
    )


@cache
def criminal_organizations() -> tuple[CriminalOrganization, ...]:
    raw: list[dict[str, Any]] = json.loads(_text("criminal_organizations.json"))
    return tuple(
        CriminalOrganization(
            o["key"],
            o["name_en"],
            o["name_es"],
            tuple(o["aliases"]),
            o["description_en"],
            o["description_es"],
            tuple(o["plazas"]),
        )
        for o in raw
    )


def _sexed(line: str) -> tuple[str, str]:
    code, _, rest = line.partition(" ")
    return {"M": "H", "F": "M"}.get(code, code), rest.strip()


@cache
def names() -> Names:
    hypocorisms: dict[str, tuple[str, ...]] = {}
    for line in _lines("nicknames.txt"):
        name, _, shorts = line.partition("=")
        hypocorisms[name.strip()] = tuple(s.strip() for s in shorts.split(","))
    return Names(
        mx_male=tuple(_lines("given_names_mx_male.txt")),
        mx_female=tuple(_lines("given_names_mx_female.txt")),
        mx_surnames=tuple(_lines("surnames_mx.txt")),
        us_given=tuple(_sexed(line) for line in _lines("given_names_us.txt")),
        us_surnames=tuple(_lines("surnames_us.txt")),
        hypocorisms=hypocorisms,
        apodos=tuple(_sexed(line) for line in _lines("apodos.txt")),
    )
