"""Person records: members of the organizations, couriers, straw purchasers and brokers."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from puente.demo import catalog, people
from puente.demo.marks import deck
from puente.demo.people import Person
from puente.demo.plan import HISTORY_DAYS, Item, Planner
from puente.demo.stories import pick, say

# Weights of the organizations among the people the intelligence analysts follow.
ORGANIZATION_WEIGHTS = {"sinaloa": 6, "cjng": 5, "noreste": 2, "golfo": 2, "lnfm": 1, "unidos": 1}
CITIES = {
    "sinaloa": ("Culiacán", "Navolato", "Mexicali", "Caborca", "Nogales", "San Luis Río Colorado"),
    "cjng": ("Guadalajara", "Tijuana", "Zamora", "Tlaquepaque"),
    "noreste": ("Nuevo Laredo", "Piedras Negras"),
    "golfo": ("Reynosa", "Matamoros"),
    "lnfm": ("Toluca", "Iguala"),
    "unidos": ("Apatzingán", "Uruapan"),
}
US_STATES = ("Arizona", "Texas", "New Mexico")
US_STATES_ES = ("Arizona", "Texas", "Nuevo México")


@dataclass
class Subject:
    """A person item and who they are in the story."""

    item: Item
    person: Person
    role: str
    organization: str = ""


def organization_for(rng: random.Random) -> str:
    keys = list(ORGANIZATION_WEIGHTS)
    return rng.choices(keys, weights=[ORGANIZATION_WEIGHTS[k] for k in keys])[0]


def organization_name(planner: Planner, key: str) -> str:
    org = next(o for o in catalog.criminal_organizations() if o.key == key)
    return org.name_es if planner.lang == "es" else org.name_en


def add(
    planner: Planner,
    key: str,
    person: Person,
    author: str,
    description: str,
    variant: str,
    days_ago: int,
    role: str,
    organization: str = "",
) -> Subject:
    markings = planner.palette.variant(variant, author, searchable=True)
    if role in ("leader", "logistics", "finance", "broker"):
        markings = planner.palette.grade(markings, planner.rng)
    item = planner.add(
        key,
        "person",
        author,
        people.fields(person, description),
        markings,
        planner.moment(days_ago),
    )
    return Subject(item, person, role, organization)


def describe_member(planner: Planner, role: str, organization: str) -> str:
    rng = planner.rng
    name = organization_name(planner, organization)
    city = rng.choice(CITIES[organization])
    if role == "leader":
        plazas = next(o.plazas for o in catalog.criminal_organizations() if o.key == organization)
        code = rng.choice(plazas) if plazas else ""
        port = next((p for p in catalog.ports() if p.code == code), None)
        corridor = (port.mx_city if planner.lang == "es" else port.name) if port else city
        return say(planner.lang, "person.leader", cartel=name, city=city, port=corridor)
    return say(planner.lang, f"person.{role}", cartel=name, city=city)


def add_members(planner: Planner, count: int) -> list[Subject]:
    """People the intelligence analysts follow, with graded, mostly restricted records."""
    rng = planner.rng
    variants = deck(
        rng,
        count,
        {
            "shared-h2": 6,
            "national-h2": 5,
            "strict-team": 3,
            "red": 2,
            "shared-h1": 2,
            "national": 1,
        },
    )
    roles = deck(rng, count, {"leader": 3, "logistics": 10, "finance": 5})
    subjects = []
    for index, (variant, role) in enumerate(zip(variants, roles, strict=True)):
        organization = organization_for(rng)
        if role == "leader" and organization in ("lnfm", "unidos"):
            role = "logistics"  # their leaders work far from the border crossings
        person = people.mexican(rng, planner.today, organization, youngest=24, apodo_chance=0.8)
        subjects.append(
            add(
                planner,
                f"person/member/{index}",
                person,
                planner.cast.intelligence,
                describe_member(planner, role, organization),
                variant,
                rng.randrange(60, HISTORY_DAYS),
                role,
                organization,
            )
        )
    return subjects


def add_brokers(planner: Planner, count: int) -> list[Subject]:
    rng = planner.rng
    subjects = []
    for index, variant in enumerate(deck(rng, count, {"shared-h1": 1, "national-h2": 1})):
        organization = organization_for(rng)
        person = people.mexican(rng, planner.today, organization, youngest=25)
        state = pick(planner.lang, (rng.choice(US_STATES), rng.choice(US_STATES_ES)))
        description = say(
            planner.lang,
            "person.broker",
            state=state,
            cartel=organization_name(planner, organization),
        )
        subjects.append(
            add(
                planner,
                f"person/broker/{index}",
                person,
                planner.cast.firearms,
                description,
                variant,
                rng.randrange(30, HISTORY_DAYS),
                "broker",
                organization,
            )
        )
    return subjects


def add_straw_purchaser(
    planner: Planner, index: int, firearm_count: int, variant: str, days_ago: int
) -> Subject:
    rng = planner.rng
    person = people.american(rng, planner.today, youngest=21, oldest=45)
    place = rng.choice(catalog.places("first-sale"))
    description = say(
        planner.lang,
        "person.straw",
        count=firearm_count,
        city=place.city,
        state=place.state,
        months=rng.randrange(2, 14),
    )
    return add(
        planner,
        f"person/straw/{index}",
        person,
        planner.cast.firearms,
        description,
        variant,
        days_ago,
        "straw",
    )


def add_courier(
    planner: Planner, key: str, author: str, port_label: str, variant: str, days_ago: int
) -> Subject:
    """Someone arrested carrying a load: most couriers at US ports are US citizens."""
    rng = planner.rng
    us_citizen = rng.random() < (0.6 if planner.country == "USA" else 0.25)
    if us_citizen:
        person = people.american(rng, planner.today)
    else:
        person = people.mexican(rng, planner.today, apodo_chance=0.25, oldest=50)
    description = say(
        planner.lang,
        "person.courier",
        port=port_label,
        pronoun="he" if person.sex == "H" else "she",
        amount=rng.randrange(5, 60) * 100,
    )
    return add(planner, key, person, author, description, variant, days_ago, "courier")


def add_shared(
    planner: Planner, pool: list[tuple[Person, str, str]], variants: list[str]
) -> list[Subject]:
    """People both nodes hold, each written the way its own records write people."""
    subjects = []
    for index, ((person, role, organization), variant) in enumerate(
        zip(pool, variants, strict=True)
    ):
        local = (
            people.as_us_records_write_it(planner.rng, person)
            if planner.country == "USA"
            else replace(person)
        )
        author = planner.cast.firearms if role == "broker" else planner.cast.intelligence
        if role == "broker":
            state = pick(planner.lang, (US_STATES[index % 3], US_STATES_ES[index % 3]))
            description = say(
                planner.lang,
                "person.broker",
                state=state,
                cartel=organization_name(planner, organization),
            )
        else:
            description = describe_member(planner, role, organization)
        subjects.append(
            add(
                planner,
                f"person/shared/{index}",
                local,
                author,
                description,
                variant,
                planner.rng.randrange(90, HISTORY_DAYS),
                role,
                organization,
            )
        )
    return subjects
