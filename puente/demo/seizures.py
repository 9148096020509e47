"""Seizures shaped like the CBP Nationwide Drug Seizures series at the Southwest border.

Which drug, at which field office, and how much per event follow the FY2023–FY2026 figures
shipped in seizure_profile.csv (fentanyl and heroin drawn more often than their share, so
the demo shows what the partnership is about); ports are drawn by their traffic; amounts are
log-normal around the office's mean, as seizure sizes are.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from puente.demo import catalog, persons, vehicles
from puente.demo.landscape import port_label
from puente.demo.marks import deck
from puente.demo.plan import HISTORY_DAYS, Item, Planner
from puente.demo.stories import (
    CARGO,
    DETECTIONS,
    DRUGS,
    HIDING_PLACES,
    PILL_PRESS,
    PRECURSORS,
    pick,
    say,
)

DRUG_WEIGHTS = {
    "Fentanyl": 2.5,
    "Methamphetamine": 1.0,
    "Cocaine": 1.0,
    "Heroin": 1.5,
    "Marijuana": 0.2,
}
KG_PER_LB = 0.45359237
IN_VEHICLES = ("vehicle-compartment", "vehicle-fuel-tank", "commercial-cargo")
ON_PEOPLE = ("body-carry", "pedestrian", "luggage")
OUTBOUND_PORTS = ("2304", "2506", "2402", "2604")


@dataclass
class Seizure:
    key: str
    author: str
    story: str  # port, checkpoint or outbound
    substance: str
    category: str
    quantity: float
    unit: str
    concealment: str
    hiding: str
    days_ago: int
    port: catalog.Port | None = None
    place: str = ""  # where, when not a port of entry
    destination: str = ""
    drug: str = ""


def amount_text(lang: str, quantity: float, unit: str) -> str:
    if unit == "pills":
        return say(lang, "pills", count=f"{int(quantity):,}")
    if unit == "units":
        return say(lang, "units", count=int(quantity))
    return f"{quantity:,.2f} {unit}"


def _pounds(rng: random.Random, mean: float) -> float:
    drawn = rng.lognormvariate(math.log(mean * 0.55), 0.9)
    return round(min(max(drawn, 0.05), mean * 12), 2)


def _concealment(rng: random.Random, pounds: float) -> str:
    if pounds > 150:
        return rng.choices(IN_VEHICLES, weights=[2, 1, 5])[0]
    if pounds < 2:
        return rng.choices((*ON_PEOPLE, "vehicle-compartment"), weights=[3, 3, 1, 3])[0]
    return rng.choices((*IN_VEHICLES, *ON_PEOPLE), weights=[12, 3, 2, 1, 1, 1])[0]


def _hiding(lang: str, rng: random.Random, concealment: str, pounds: float = 0.0) -> str:
    if concealment == "commercial-cargo":
        return say(lang, "hiding.cargo", cargo=pick(lang, rng.choice(CARGO)))
    places = HIDING_PLACES[concealment]
    if concealment == "vehicle-compartment" and pounds > 60:
        places = (places[0], places[1], places[-1])  # only room enough for a large load
    return pick(lang, rng.choice(places))


def _profile(rng: random.Random) -> catalog.SeizureProfile:
    profiles = catalog.seizure_profile()
    weights = [p.events * DRUG_WEIGHTS[p.drug] for p in profiles]
    return rng.choices(profiles, weights=weights)[0]


def _port(rng: random.Random, office: str) -> catalog.Port:
    ports = [p for p in catalog.ports() if p.field_office == office]
    return rng.choices(ports, weights=[p.traffic**0.6 for p in ports])[0]


def drug_seizure(planner: Planner, key: str, author: str, story: str) -> Seizure:
    rng, lang = planner.rng, planner.lang
    profile = _profile(rng)
    pounds = _pounds(rng, profile.pounds_per_event)
    concealment = _concealment(rng, pounds)
    metric = planner.country == "MEX"
    quantity, unit = (round(pounds * KG_PER_LB, 2), "kg") if metric else (pounds, "lb")
    if profile.drug == "Fentanyl" and rng.random() < 0.35:
        pills = rng.lognormvariate(math.log(2500), 1.0)
        quantity, unit = float(min(max(round(pills, -1), 20), 250_000)), "pills"
    seizure = Seizure(
        key,
        author,
        story,
        pick(lang, DRUGS[profile.drug]),
        "drug",
        quantity,
        unit,
        concealment,
        _hiding(lang, rng, concealment, pounds),
        rng.randrange(2, HISTORY_DAYS),
        drug=profile.drug,
    )
    if story == "port":
        seizure.port = _port(rng, profile.field_office)
    else:
        seizure.place = rng.choice(catalog.places("checkpoint")).city
    return seizure


def chemical_seizure(planner: Planner, key: str, author: str, press: bool) -> Seizure:
    """Precursors or pill presses: southbound at US ports, at seaports in Mexico."""
    rng, lang = planner.rng, planner.lang
    if press:
        substance, category, unit = pick(lang, PILL_PRESS), "other", "units"
        quantity = float(rng.randrange(2, 6))
    else:
        english, spanish, unit = rng.choice(PRECURSORS)
        substance, category = (spanish if lang == "es" else english), "precursor"
        quantity = round(rng.lognormvariate(math.log(60), 1.0), 1)
    concealment = rng.choice(("commercial-cargo", "mail-parcel"))
    seizure = Seizure(
        key,
        author,
        "outbound",
        substance,
        category,
        quantity,
        unit,
        concealment,
        _hiding(lang, rng, concealment),
        rng.randrange(2, HISTORY_DAYS),
    )
    if planner.country == "MEX":
        seizure.story = "seaport"
        seizure.place = rng.choice(catalog.places("seaport")).city
    else:
        code = rng.choice(OUTBOUND_PORTS)
        seizure.port = next(p for p in catalog.ports() if p.code == code)
        seizure.destination = rng.choice(catalog.places("recovery")).city
    return seizure


def plan_seizures(planner: Planner) -> list[Seizure]:
    cast = planner.cast
    if planner.country == "MEX":
        mix = [("port", cast.customs, 40), ("checkpoint", cast.field, 29)]
        chemicals, presses = 8, 2
    else:
        mix = [("port", cast.customs, 71)]
        chemicals, presses = 6, 2
    planned: list[Seizure] = []
    for story, author, count in mix:
        planned += [
            drug_seizure(planner, f"seizure/{story}/{i}", author, story) for i in range(count)
        ]
    planned += [
        chemical_seizure(planner, f"seizure/chemical/{i}", cast.customs, False)
        for i in range(chemicals)
    ]
    planned += [
        chemical_seizure(planner, f"seizure/press/{i}", cast.customs, True) for i in range(presses)
    ]
    return planned


def where(planner: Planner, seizure: Seizure) -> str:
    if seizure.port is not None:
        return port_label(planner, seizure.port)
    return seizure.place.removeprefix("Puerto de ")


def describe(
    planner: Planner,
    seizure: Seizure,
    amount: str,
    carrier: persons.Subject | None,
    vehicle: vehicles.Vehicle | None,
) -> str:
    lang, rng = planner.lang, planner.rng
    detection = pick(lang, rng.choice(DETECTIONS))
    common = {"amount": amount, "substance": seizure.substance, "hiding": seizure.hiding}
    if seizure.category == "other":
        text = say(
            lang,
            "seizure.press",
            port=where(planner, seizure),
            count=int(seizure.quantity),
            hiding=seizure.hiding,
            destination=seizure.destination,
        )
    elif seizure.story == "checkpoint":
        text = say(lang, "seizure.checkpoint", place=seizure.place, **common)
    elif seizure.story == "outbound":
        text = say(
            lang,
            "seizure.outbound",
            port=where(planner, seizure),
            destination=seizure.destination,
            **common,
        )
    else:
        text = say(
            lang, "seizure.port", port=where(planner, seizure), detection=detection, **common
        )
    if carrier is not None:
        nationality = say(lang, f"nationality.{carrier.person.nationality[0]}")
        age = carrier.person.age(planner.today)
        role = "seizure.driver" if vehicle is not None else "seizure.traveler"
        text += say(lang, role, age=age, nationality=nationality)
    if vehicle is not None:
        text += say(lang, "seizure.vehicle", vehicle=vehicle.label)
    return text


def fields(
    planner: Planner, seizure: Seizure, location: Item | None, description: str
) -> dict[str, object]:
    lang = planner.lang
    amount = amount_text(lang, seizure.quantity, seizure.unit)
    title = {
        "Substance": seizure.substance[:1].upper() + seizure.substance[1:],
        "substance": seizure.substance,
    }
    values: dict[str, object] = {
        "name": say(lang, "seizure.name", place=where(planner, seizure), amount=amount, **title),
        "seizure_date": (planner.today - timedelta(days=seizure.days_ago)).isoformat(),
        "substance": seizure.substance,
        "substance_category": seizure.category,
        "quantity": seizure.quantity,
        "unit": seizure.unit,
        "concealment_method": seizure.concealment,
        "description": description,
    }
    if location is not None:
        values["location_ref"] = location.stix_id
    if seizure.place:
        values["place"] = seizure.place
    return values


def seizure_variants(rng: random.Random, count: int) -> list[str]:
    return deck(
        rng,
        count,
        {"shared": 11, "green": 3, "national": 3, "strict": 1, "strict-team": 1, "shared-h1": 1},
    )


@dataclass
class Outcome:
    seizures: list[Item]
    carriers: list[persons.Subject]
    vehicles: list[tuple[Item, vehicles.Vehicle, persons.Subject | None]]


def add_seizures(
    planner: Planner, ports: dict[str, Item], carriers: int, vehicle_count: int
) -> Outcome:
    """Every seizure, with the couriers arrested and the vehicles used in some of them."""
    rng = planner.rng
    planned = plan_seizures(planner)
    in_vehicles = [s for s in planned if s.category == "drug" and s.concealment in IN_VEHICLES]
    with_vehicle = {s.key for s in rng.sample(in_vehicles, min(vehicle_count, len(in_vehicles)))}
    on_people = [s for s in planned if s.category == "drug" and s.concealment in ON_PEOPLE]
    travelers = rng.sample(on_people, min(len(on_people), carriers // 4))
    drivers = rng.sample(sorted(with_vehicle), min(len(with_vehicle), carriers - len(travelers)))
    with_carrier = {s.key for s in travelers} | set(drivers)
    variants = seizure_variants(rng, len(planned))
    outcome = Outcome([], [], [])
    for seizure, variant in zip(planned, variants, strict=True):
        markings = planner.palette.variant(variant, seizure.author)
        label = where(planner, seizure)
        carrier = vehicle = None
        if seizure.key in with_carrier:
            carrier_variant = "shared" if markings.rel_to == planner.palette.both else "national"
            carrier = persons.add_courier(
                planner,
                f"person/courier/{seizure.key}",
                seizure.author,
                label,
                carrier_variant,
                seizure.days_ago - 1,
            )
            outcome.carriers.append(carrier)
        vehicle_item = None
        if seizure.key in with_vehicle:
            tractor = seizure.concealment == "commercial-cargo"
            issuer = (
                vehicles.issuer_near(rng, seizure.port)
                if seizure.port
                else rng.choice(("MX-SON", "MX-CHH", "MX-TAM", "MX-BCN", "MX-SIN"))
            )
            vehicle = vehicles.make(rng, issuer, tractor)
            vehicle_variant = "shared" if markings.rel_to == planner.palette.both else "national"
            vehicle_item = vehicles.add(
                planner,
                f"vehicle/{seizure.key}",
                seizure.author,
                vehicle,
                vehicles.describe_crossings(planner, label, seizure.days_ago)
                if seizure.port
                else vehicles.describe_checkpoint(planner, seizure.place, seizure.days_ago),
                vehicle_variant,
                seizure.days_ago - 1,
            )
            outcome.vehicles.append((vehicle_item, vehicle, carrier))
        location = ports.get(seizure.port.code) if seizure.port else None
        amount = amount_text(planner.lang, seizure.quantity, seizure.unit)
        description = describe(planner, seizure, amount, carrier, vehicle)
        item = planner.add(
            seizure.key,
            "seizure",
            seizure.author,
            fields(planner, seizure, location, description),
            markings,
            planner.moment(seizure.days_ago - 1),
        )
        outcome.seizures.append(item)
        if carrier is not None:
            role = "rel.driver" if vehicle is not None else "rel.carrier"
            planner.relate(item, "related-to", carrier.item, role)
        if vehicle_item is not None:
            planner.relate(item, "related-to", vehicle_item, "rel.vehicle")
    return outcome
