"""Fictional people with realistic Mexican and US names, aliases and identity documents.

Mexican persons carry two surnames, often compound given names, accents and ñ, hypocorisms
(Chuy, Pepe) and street nicknames (El Güero), and a CURP and RFC consistent with their name,
birth date, sex and state of birth. US persons are written as US records write them.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from puente.demo import catalog
from puente.demo.mexican_ids import curp, is_inconvenient, rfc

# Where members of each organization are typically from (RENAPO state codes).
BIRTH_STATES = {
    "sinaloa": ("SL", "SL", "SL", "SR", "DG", "BC", "CH"),
    "cjng": ("JC", "JC", "MN", "NT", "CM", "GT"),
    "noreste": ("TS", "TS", "NL", "CL"),
    "golfo": ("TS", "TS", "TS", "VZ", "NL"),
    "lnfm": ("GR", "MC", "MN", "GR"),
    "unidos": ("MN", "MN", "JC"),
    "": ("BC", "SR", "CH", "TS", "SL", "JC", "DF", "NL", "DG", "MC", "VZ", "PL"),
}


@dataclass
class Person:
    sex: str  # H (hombre) or M (mujer), as in the CURP
    given: str
    paternal: str
    maternal: str
    birth: date
    birth_state: str  # RENAPO code; NE: born abroad
    nationality: list[str]
    aliases: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    cartel: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given, self.paternal, self.maternal) if p)

    def age(self, on: date) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))


def _birth(rng: random.Random, today: date, youngest: int, oldest: int) -> date:
    start = today - timedelta(days=int(oldest * 365.25))
    span = int((oldest - youngest) * 365.25)
    return start + timedelta(days=rng.randrange(span))


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def _nicknames(rng: random.Random, sex: str, given: str, apodo_chance: float) -> list[str]:
    names = catalog.names()
    aliases: list[str] = []
    words = given.split()
    for candidate in (given, words[0], words[-1]):
        shorts = names.hypocorisms.get(candidate)
        if shorts and rng.random() < 0.6:
            aliases.append(rng.choice(shorts))
            break
    if rng.random() < apodo_chance:
        choices = [n for s, n in names.apodos if s in (sex, "*")]
        aliases.append(rng.choice(choices))
    return aliases


def mexican(
    rng: random.Random,
    today: date,
    cartel: str = "",
    youngest: int = 19,
    oldest: int = 62,
    apodo_chance: float = 0.5,
) -> Person:
    names = catalog.names()
    while True:
        sex = "H" if rng.random() < 0.82 else "M"
        given = rng.choice(names.mx_male if sex == "H" else names.mx_female)
        paternal, maternal = rng.sample(names.mx_surnames, 2)
        if not is_inconvenient(given, paternal, maternal):
            break
    birth = _birth(rng, today, youngest, oldest)
    born_abroad = rng.random() < 0.08
    state = "NE" if born_abroad else rng.choice(BIRTH_STATES.get(cartel, BIRTH_STATES[""]))
    person = Person(
        sex,
        given,
        paternal,
        maternal,
        birth,
        state,
        ["MEX", "USA"] if born_abroad else ["MEX"],
        cartel=cartel,
    )
    person.aliases = _nicknames(rng, sex, given, apodo_chance)
    homonym = str(rng.randrange(10)) if birth.year < 2000 else rng.choice("ABCDEFGH")
    iso = birth.isoformat()
    person.documents.append(f"CURP:{curp(given, paternal, maternal, iso, sex, state, homonym)}:MEX")
    if rng.random() < 0.65:
        person.documents.append(f"RFC:{rfc(given, paternal, maternal, iso)}:MEX")
    if rng.random() < 0.4:
        person.documents.append(f"PASSPORT:{rng.choice('GN')}{_digits(rng, 8)}:MEX")
    return person


def american(rng: random.Random, today: date, youngest: int = 19, oldest: int = 55) -> Person:
    names = catalog.names()
    sex, given = rng.choice(names.us_given)
    surname = rng.choice(names.us_surnames)
    person = Person(sex, given, surname, "", _birth(rng, today, youngest, oldest), "NE", ["USA"])
    if rng.random() < 0.5:
        person.documents.append(f"PASSPORT:{rng.choice('5A')}{_digits(rng, 8)}:USA")
    if rng.random() < 0.6:
        person.documents.append(f"DRIVER_LICENSE:{_digits(rng, 8)}:USA")
    if rng.random() < 0.25:
        person.aliases.append(rng.choice(["Gringo", "Güero", "Flaco", "Primo"]))
    return person


def as_us_records_write_it(rng: random.Random, person: Person) -> Person:
    """The same person as a US system may hold them: no accents, sometimes one surname."""

    def ascii_only(text: str) -> str:
        decomposed = unicodedata.normalize("NFD", text)
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    plain = rng.random() < 0.6
    keep_maternal = rng.random() < 0.6
    fix = ascii_only if plain else (lambda text: text)
    return Person(
        person.sex,
        fix(person.given),
        fix(person.paternal),
        fix(person.maternal) if keep_maternal else "",
        person.birth,
        person.birth_state,
        list(person.nationality),
        [fix(a) for a in person.aliases],
        [d for d in person.documents if not d.startswith("RFC:")],
        person.cartel,
    )


def fields(person: Person, description: str) -> dict[str, object]:
    """The person kind's form fields."""
    values: dict[str, object] = {
        "given_names": person.given,
        "paternal_surname": person.paternal,
        "date_of_birth": person.birth.isoformat(),
        "nationality": person.nationality,
        "description": description,
    }
    if person.maternal:
        values["maternal_surname"] = person.maternal
    if person.aliases:
        values["aliases"] = person.aliases
    if person.documents:
        values["documents"] = person.documents
    return values
