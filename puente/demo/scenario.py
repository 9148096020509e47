"""The whole demo story for one node, put together in the order an agency would record it.

Each node draws its own records from a generator seeded by its country. A small pool of
people, vehicles and guns is drawn from a seed both countries share, so that a United States
node and a Mexican node seeded side by side hold some of the same subjects, each written the
way its own records write them: that is what hit/no-hit queries between them will find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from puente.demo import catalog, firearms, landscape, people, persons, products, seizures, vehicles
from puente.demo.marks import deck
from puente.demo.people import Person
from puente.demo.plan import HISTORY_DAYS, Item, Plan, Planner
from puente.demo.stories import say

SHARED_SEED = "puente-demo/shared"
SHARED_ROLES = (
    ("logistics", "sinaloa"),
    ("finance", "cjng"),
    ("logistics", "noreste"),
    ("leader", "golfo"),
    ("logistics", "sinaloa"),
    ("broker", "sinaloa"),
    ("broker", "cjng"),
    ("broker", "golfo"),
)
MEMBERS, BROKERS, STRAW_PURCHASERS, CARRIERS = 18, 2, 6, 26
SEIZURE_VEHICLES, OTHER_VEHICLES, SHARED_VEHICLES = 22, 4, 4
FIREARMS, SHARED_FIREARMS = 40, 6
BIRTHS_FROM = date(2026, 1, 1)


@dataclass(frozen=True)
class SharedPool:
    """The subjects both countries know about, identical on every node and every day."""

    people: list[tuple[Person, str, str]]  # (person, role, organization key)
    fleet: list[tuple[vehicles.Vehicle, str, str]]  # (vehicle, Mexican plate issuer, port code)
    guns: list[firearms.Firearm]


def shared_pool(today: date) -> SharedPool:
    rng = random.Random(SHARED_SEED)  # noqa: S311 - repeatable, not secret
    # Birth dates from a fixed day: nodes seeded on different days must agree on them.
    people_pool = [
        (
            people.mexican(rng, BIRTHS_FROM, organization, youngest=24, apodo_chance=0.9),
            role,
            organization,
        )
        for role, organization in SHARED_ROLES
    ]
    fleet = []
    for _ in range(SHARED_VEHICLES):
        port = rng.choice(catalog.ports())
        car = vehicles.make(rng, vehicles.US_ISSUERS[port.state])
        fleet.append((car, port.mx_state, port.code))
    guns = [firearms.make(rng, today) for _ in range(SHARED_FIREARMS)]
    return SharedPool(people_pool, fleet, guns)


def build_plan(node_id: str, country: str, today: date) -> Plan:
    planner = Planner(node_id, country, today)
    rng = planner.rng
    ports = landscape.add_ports(planner)
    organizations = landscape.add_organizations(planner, ports)
    pool = shared_pool(today)

    shared_people = persons.add_shared(
        planner, pool.people, deck(rng, len(pool.people), {"shared-h2": 1, "national-h2": 1})
    )
    members = persons.add_members(planner, MEMBERS)
    brokers = persons.add_brokers(planner, BROKERS)
    outcome = seizures.add_seizures(planner, ports, CARRIERS, SEIZURE_VEHICLES)

    guns = pool.guns + [firearms.make(rng, today) for _ in range(FIREARMS - SHARED_FIREARMS)]
    gun_items = []
    for index, (gun, variant) in enumerate(
        zip(guns, firearms.firearm_variants(rng, len(guns)), strict=True)
    ):
        shared = index < SHARED_FIREARMS
        key = f"firearm/shared/{index}" if shared else f"firearm/{index}"
        item = firearms.add(planner, key, gun, variant, shared=shared)
        firearms.attribute(planner, item, gun, organizations)
        gun_items.append((item, gun))
    purchases = _straw_purchases(planner, gun_items)

    followed = shared_people + members
    _vehicles_of_members(planner, followed, pool.fleet)
    for subject in followed + brokers:
        planner.relate(
            subject.item,
            "member-of",
            organizations[subject.organization],
            "rel.member",
            graded=True,
        )
    for carrier in outcome.carriers:
        if rng.random() < 0.3:
            planner.relate(
                carrier.item,
                "member-of",
                organizations[persons.organization_for(rng)],
                "rel.member",
                graded=True,
            )
    for vehicle_item, _vehicle, driver in outcome.vehicles:
        if driver is not None and rng.random() < 0.6:
            planner.relate(driver.item, "owns", vehicle_item, "rel.owner")

    products.add_notes(planner, followed, outcome.seizures, purchases)
    products.add_reports(planner, outcome.seizures, [i for i, _ in gun_items], organizations)
    products.add_incidents(planner, ports)
    products.add_revisions(planner, members, outcome.seizures)
    return planner.plan()


def _straw_purchases(
    planner: Planner, gun_items: list[tuple[Item, firearms.Firearm]]
) -> dict[str, list[Item]]:
    """Group the guns traced to straw purchases under the people who bought them."""
    rng = planner.rng
    traced = [(item, gun) for item, gun in gun_items if gun.trace == "straw"]
    variants = deck(rng, STRAW_PURCHASERS, {"shared-h1": 4, "national-h2": 1, "shared": 1})
    purchases: dict[str, list[Item]] = {}
    for index, variant in enumerate(variants):
        bought = traced[index::STRAW_PURCHASERS][:3]
        days_ago = (
            min(((planner.today - gun.recovered).days for _, gun in bought), default=HISTORY_DAYS)
            - 1
        )
        purchaser = persons.add_straw_purchaser(
            planner, index, max(len(bought), 1) + rng.randrange(3), variant, days_ago
        )
        purchases[purchaser.item.key] = []
        for item, _gun in bought:
            if planner.relate(purchaser.item, "purchased", item, "rel.purchaser") is not None:
                purchases[purchaser.item.key].append(item)
    return purchases


def _vehicles_of_members(
    planner: Planner,
    followed: list[persons.Subject],
    fleet: list[tuple[vehicles.Vehicle, str, str]],
) -> None:
    rng = planner.rng
    author = planner.cast.customs
    by_code = {p.code: p for p in catalog.ports()}
    for index, (car, mx_issuer, code) in enumerate(fleet):
        port = by_code[code]
        if planner.country == "MEX":
            car = vehicles.Vehicle(
                car.model, car.year, car.vin, car.color, vehicles.plate(rng, mx_issuer), mx_issuer
            )
            description = say("es", "vehicle.plain", port=port.mx_city)
        else:
            stolen_on = planner.today - timedelta(days=rng.randrange(200, HISTORY_DAYS))
            description = say("en", "vehicle.stolen", city=port.name, date=stolen_on.isoformat())
        item = vehicles.add(
            planner,
            f"vehicle/shared/{index}",
            author,
            car,
            description,
            "shared" if index % 2 else "national",
            rng.randrange(30, HISTORY_DAYS),
        )
        planner.relate(followed[index].item, "owns", item, "rel.owner")
    for index in range(OTHER_VEHICLES):
        owner = followed[len(fleet) + index]
        port = rng.choice(catalog.ports())
        car = vehicles.make(rng, vehicles.issuer_near(rng, port, 0.7))
        label = port.mx_city if planner.lang == "es" else port.name
        item = vehicles.add(
            planner,
            f"vehicle/other/{index}",
            author,
            car,
            say(planner.lang, "vehicle.plain", port=label),
            rng.choice(("shared", "national")),
            rng.randrange(30, HISTORY_DAYS),
        )
        planner.relate(owner.item, "owns", item, "rel.owner")
