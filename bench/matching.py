"""Match-key quality (issue 4, "Quality"): recall and false candidate hits on generated data.

A seeded generator makes 10,000 cross-border persons (Faker es_MX and en_US, with half the
names drawn from the most frequent Mexican names, weighted, so that common names collide as
they do in real records), indexes each as its record would be (``person_keys``), then asks
for each person again the way the other side might have written it, once per perturbation:

- accents stripped; maternal surname dropped; surnames hyphenated, swapped or fused; second
  given name dropped (persons with two); a nickname (given names that have one); a particle
  dropped (surnames with one: "de la Cruz" → "Cruz"); one typo (a letter replaced, dropped,
  doubled or two letters swapped, in one name word); day and month swapped (days 1–12); an
  alias (the query names the person by an alias their record lists).

A query *recalls* its person when one of its keys is one of the person's; every other person
one of its keys reaches is a *false candidate hit*. Firearms (10,000, makers written in their
alias forms) and VINs (10,000, valid check digits) are asked for with one or two characters
misread (O/0, I/1, S/5, B/8, Z/2, G/6, D/0, Q/0, L/1).

Usage::

    python bench/matching.py [--spec 2] [--persons 10000] [--out bench/results/matching-v2.json]
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from faker import Faker

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, SEED, log, machine, write_json

from puente.hits.firearms import MAKERS
from puente.hits.keys import LATEST, SPEC_VERSIONS, Keys
from puente.hits.names import NICKNAMES
from puente.hits.specs import firearm_keys, person_keys, vehicle_keys
from puente.hits.vehicles import check_digit

VERSION = 1  # the spec version measured (--spec)

# The most frequent Mexican surnames and given names, with rough shares (per cent), so the
# generated population has García and José as often as real records do.
COMMON_SURNAMES = {
    "Hernández": 6.0, "García": 4.3, "Martínez": 4.0, "López": 3.5, "González": 3.4,
    "Pérez": 2.4, "Rodríguez": 2.3, "Sánchez": 2.2, "Ramírez": 2.1, "Cruz": 1.5,
    "Flores": 1.3, "Gómez": 1.3, "Morales": 1.1, "Vázquez": 1.1, "Reyes": 1.1,
    "Jiménez": 1.0, "Torres": 1.0, "Díaz": 1.0, "Gutiérrez": 1.0, "Ruiz": 0.9,
    "Mendoza": 0.9, "Aguilar": 0.9, "Ortiz": 0.8, "Moreno": 0.8, "Castillo": 0.8,
    "Romero": 0.7, "Álvarez": 0.7, "Méndez": 0.7, "Chávez": 0.7, "Rivera": 0.7,
    "de la Cruz": 0.4, "de León": 0.4, "de la Rosa": 0.3, "del Ángel": 0.2, "de los Santos": 0.2,
}  # fmt: skip
COMMON_GIVEN = {
    "José": 4.0, "Juan": 3.0, "María": 4.5, "Luis": 2.0, "Francisco": 1.5, "Jesús": 1.5,
    "Guadalupe": 1.5, "Antonio": 1.2, "Miguel": 1.2, "Alejandro": 1.0, "Carlos": 1.0,
    "Jorge": 0.9, "Pedro": 0.8, "Manuel": 0.8, "Ricardo": 0.7, "Eduardo": 0.7,
    "Fernando": 0.7, "Roberto": 0.7, "Rosa": 0.7, "Ana": 0.8, "Patricia": 0.6,
    "Guillermo": 0.5, "Ignacio": 0.4, "Alberto": 0.5, "Enrique": 0.5, "Sergio": 0.5,
    "Leticia": 0.4, "Dolores": 0.3, "Concepción": 0.3, "Salvador": 0.4, "Rafael": 0.5,
}  # fmt: skip
INVERSE_NICKNAMES: dict[str, list[str]] = defaultdict(list)
for _nick, _names in NICKNAMES.items():
    for _name in _names:
        INVERSE_NICKNAMES[_name].append(_nick.capitalize())
PARTICLES = ("de ", "del ", "de la ", "de las ", "de los ")
# Whether a typo may hit a word's first letter. Off by default: studies of name typos find
# the first letter the least often wrong; --typo-first-letter measures the harder case too.
TYPO_FIRST_LETTER = False
MISREAD = {"O": "0", "0": "O", "I": "1", "1": "I", "S": "5", "5": "S", "B": "8", "8": "B",
           "Z": "2", "2": "Z", "G": "6", "6": "G", "D": "0", "Q": "0", "L": "1"}  # fmt: skip


@dataclass(frozen=True)
class Person:
    given: str
    paternal: str
    maternal: str
    dob: str
    aliases: tuple[str, ...] = ()


@dataclass
class Tally:
    queries: int = 0
    recalled: int = 0
    false_candidates: int = 0
    examples_missed: list[dict[str, str]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "queries": self.queries,
            "recall": round(self.recalled / self.queries, 4) if self.queries else None,
            "false_candidate_hits_per_query": (
                round(self.false_candidates / self.queries, 4) if self.queries else None
            ),
            "missed_examples": self.examples_missed[:5],
        }


def _weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _name(rng: random.Random, fake: Faker, common: bool, table: dict[str, float],
          made_up: Callable[[], str]) -> str:  # fmt: skip
    return _weighted(rng, table) if common else made_up()


def make_persons(count: int, seed: int) -> list[Person]:
    return list(islice(iter_persons(seed), count))


def iter_persons(seed: int) -> Iterator[Person]:
    """The generated persons one after the other: the first N are make_persons(N, seed)."""
    rng = random.Random(seed)
    es, en = Faker("es_MX"), Faker("en_US")
    es.seed_instance(seed)
    en.seed_instance(seed + 1)
    start = date(1950, 1, 1)
    while True:
        mexican = rng.random() < 0.8
        fake = es if mexican else en
        common = mexican and rng.random() < 0.5

        given = _name(rng, fake, common, COMMON_GIVEN, fake.first_name)
        if rng.random() < 0.4:
            second = _name(rng, fake, common, COMMON_GIVEN, fake.first_name)
            if second != given:
                given = f"{given} {second}"
        paternal = _name(rng, fake, common, COMMON_SURNAMES, fake.last_name)
        maternal = _name(rng, fake, common, COMMON_SURNAMES, fake.last_name) if mexican else ""
        dob = (start + timedelta(days=rng.randrange(365 * 55))).isoformat()
        alias = f"{fake.first_name()} {fake.last_name()}" if rng.random() < 0.3 else ""
        yield Person(given, paternal, maternal, dob, (alias,) if alias else ())


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(0 if TYPO_FIRST_LETTER else 1, len(word))
    kind = rng.choice(("replace", "drop", "double", "swap"))
    if kind == "replace":
        return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


Perturbation = Callable[[random.Random, Person], Person | None]


def _particle_dropped(rng: random.Random, p: Person) -> Person | None:
    for prefix in sorted(PARTICLES, key=len, reverse=True):
        if p.paternal.lower().startswith(prefix):
            return replace(p, paternal=p.paternal[len(prefix) :].capitalize())
        if p.maternal.lower().startswith(prefix):
            return replace(p, maternal=p.maternal[len(prefix) :].capitalize())
    return None


def _nickname(rng: random.Random, p: Person) -> Person | None:
    first, *rest = p.given.split()
    canonical = _strip_accents(first).upper()
    nicknames = INVERSE_NICKNAMES.get(canonical)
    if not nicknames:
        return None
    return replace(p, given=" ".join([rng.choice(nicknames), *rest]))


def _typo_in_a_name(rng: random.Random, p: Person) -> Person:
    fields = [f for f in ("given", "paternal", "maternal") if getattr(p, f)]
    name = rng.choice(fields)
    words = getattr(p, name).split()
    j = rng.randrange(len(words))
    words[j] = _typo(rng, words[j])
    return replace(p, **{name: " ".join(words)})


def _day_month_swapped(rng: random.Random, p: Person) -> Person | None:
    year, month, day = p.dob.split("-")
    if int(day) > 12 or day == month:
        return None
    return replace(p, dob=f"{year}-{day}-{month}")


def _alias(rng: random.Random, p: Person) -> Person | None:
    if not p.aliases:
        return None
    given, _, surname = p.aliases[0].rpartition(" ")
    return Person(given, surname, "", p.dob)


PERTURBATIONS: dict[str, Perturbation] = {
    "none": lambda rng, p: p,
    "accents stripped": lambda rng, p: Person(*(_strip_accents(x) for x in
                                               (p.given, p.paternal, p.maternal)), p.dob),
    "maternal surname dropped": lambda rng, p: replace(p, maternal="") if p.maternal else None,
    "hyphenated": lambda rng, p: (replace(p, paternal=f"{p.paternal}-{p.maternal}", maternal="")
                                  if p.maternal else None),
    "swapped": lambda rng, p: (replace(p, paternal=p.maternal, maternal=p.paternal)
                               if p.maternal else None),
    "fused": lambda rng, p: (replace(p, paternal=(p.paternal + p.maternal.lower()).replace(" ", ""),
                                     maternal="") if p.maternal else None),
    "second given name dropped": lambda rng, p: (replace(p, given=p.given.split()[0])
                                                 if len(p.given.split()) > 1 else None),
    "nickname": _nickname,
    "particle dropped": _particle_dropped,
    "one typo": _typo_in_a_name,
    "day and month swapped": _day_month_swapped,
    "alias": _alias,
}  # fmt: skip


def _record_keys(p: Person, version: int | None = None) -> Keys:
    return person_keys(version or VERSION, p.given, p.paternal, p.maternal, aliases=p.aliases,
                       dates_of_birth=(p.dob,))  # fmt: skip


def _query_keys(p: Person, version: int | None = None) -> Keys:
    return person_keys(version or VERSION, p.given, p.paternal, p.maternal,
                       dates_of_birth=(p.dob,), query=True)  # fmt: skip


def _index(items: list[Keys]) -> dict[bytes, set[int]]:
    index: dict[bytes, set[int]] = defaultdict(set)
    for number, keys in enumerate(items):
        for key in keys.keys:
            index[key.encode()].add(number)
    return index


def _ask(index: dict[bytes, set[int]], keys: Keys, truth: int, tally: Tally,
         example: Callable[[], dict[str, str]]) -> None:  # fmt: skip
    reached: set[int] = set()
    for key in keys.keys:
        reached |= index.get(key.encode(), set())
    tally.queries += 1
    if truth in reached:
        tally.recalled += 1
    elif len(tally.examples_missed) < 5:
        tally.examples_missed.append(example())
    tally.false_candidates += len(reached - {truth})


def persons_quality(count: int, seed: int) -> dict[str, Any]:
    persons = make_persons(count, seed)
    index = _index([_record_keys(p) for p in persons])
    keys_total = sum(len(v) for v in index.values())
    rng = random.Random(seed + 7)
    tallies: dict[str, Tally] = {}
    for name, perturb in PERTURBATIONS.items():
        tally = tallies[name] = Tally()
        for number, person in enumerate(persons):
            asked = perturb(rng, person)
            if asked is None:
                continue
            _ask(index, _query_keys(asked), number, tally,
                 lambda p=person, a=asked: {"record": str(p), "query": str(a)})  # fmt: skip
    applied = {k: t for k, t in tallies.items() if k != "none"}
    overall = Tally(sum(t.queries for t in applied.values()),
                    sum(t.recalled for t in applied.values()),
                    sum(t.false_candidates for t in applied.values()))  # fmt: skip
    return {
        "persons": count,
        "index_keys": keys_total,
        "distinct_keys": len(index),
        "by_perturbation": {k: t.report() for k, t in tallies.items()},
        "all_perturbed": overall.report(),
    }


def _misread(rng: random.Random, text: str, count: int) -> str:
    positions = [i for i, c in enumerate(text) if c in MISREAD]
    chars = list(text)
    for i in rng.sample(positions, min(count, len(positions))):
        chars[i] = MISREAD[chars[i]]
    return "".join(chars)


def firearms_quality(count: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 11)
    spellings: dict[str, list[str]] = defaultdict(list)
    for written, canonical in MAKERS.items():
        spellings[canonical].append(written)
    makers = sorted(spellings)
    alphabet = string.ascii_uppercase + string.digits
    guns = [(rng.choice(makers), "".join(rng.choices(alphabet, k=rng.randint(6, 10))))
            for _ in range(count)]  # fmt: skip
    index = _index([firearm_keys(rng.choice(spellings[m]), s, version=VERSION) for m, s in guns])
    tally = Tally()
    for number, (maker, serial) in enumerate(guns):
        asked = _misread(rng, serial, rng.randint(1, 2))
        _ask(index, firearm_keys(rng.choice(spellings[maker]), asked, version=VERSION), number, tally,
             lambda m=maker, s=serial, a=asked: {"maker": m, "serial": s, "asked": a})  # fmt: skip
    return {"firearms": count, **tally.report()}


WMIS = ("1HG", "1FT", "1G1", "3VW", "3N1", "JH4", "JTD", "WBA", "5YJ", "2T1", "KMH", "3FA",
        "1C4", "3GN", "MAJ", "9BW")  # fmt: skip
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def make_vin(rng: random.Random) -> str:
    body = (
        rng.choice(WMIS)
        + "".join(rng.choices(VIN_CHARS, k=5))
        + "0"
        + "".join(rng.choices(VIN_CHARS, k=2))
        + "".join(rng.choices("0123456789", k=6))
    )
    return body[:8] + check_digit(body) + body[9:]


def vins_quality(count: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 13)
    vins = [make_vin(rng) for _ in range(count)]
    index = _index([vehicle_keys(v, version=VERSION) for v in vins])
    tally = Tally()
    for number, vin in enumerate(vins):
        asked = _misread(rng, vin, rng.randint(1, 2))
        _ask(index, vehicle_keys(asked, version=VERSION), number, tally,
             lambda v=vin, a=asked: {"vin": v, "asked": a})  # fmt: skip
    return {"vins": count, **tally.report()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--objects", type=int, default=10_000, help="firearms and VINs each")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--spec", type=int, choices=SPEC_VERSIONS, default=LATEST,
                        help="the match-key spec version measured")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None,
                        help="default: bench/results/matching-v<spec>.json")  # fmt: skip
    parser.add_argument("--typo-first-letter", action="store_true",
                        help="let the one-typo perturbation hit the first letter too")  # fmt: skip
    args = parser.parse_args(argv)
    global TYPO_FIRST_LETTER, VERSION
    TYPO_FIRST_LETTER = args.typo_first_letter
    VERSION = args.spec
    args.out = args.out or RESULTS_DIR / f"matching-v{args.spec}.json"
    log(f"spec version {args.spec}, persons: {args.persons:,}")
    persons = persons_quality(args.persons, args.seed)
    for name, figures in persons["by_perturbation"].items():
        log(f"  {name:28s} {figures['queries']:6,} queries  recall {figures['recall']:.4f}  "
            f"false/query {figures['false_candidate_hits_per_query']:.4f}")  # fmt: skip
    overall = persons["all_perturbed"]
    log(f"  {'all perturbed':28s} {overall['queries']:6,} queries  recall {overall['recall']:.4f}"
        f"  false/query {overall['false_candidate_hits_per_query']:.4f}")  # fmt: skip
    firearms = firearms_quality(args.objects, args.seed)
    vins = vins_quality(args.objects, args.seed)
    for label, figures in (("firearms", firearms), ("VINs", vins)):
        log(f"  {label:28s} {figures['queries']:6,} queries  recall {figures['recall']:.4f}  "
            f"false/query {figures['false_candidate_hits_per_query']:.4f}")  # fmt: skip
    write_json(args.out, {"machine": machine(), "spec": args.spec, "seed": args.seed,
                          "persons": persons,
                          "firearms": firearms, "vins": vins})  # fmt: skip
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
