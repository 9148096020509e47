"""Seeded, deterministic generator of STIX 2.1 bundles for ingest benchmarks.

Usage::

    python bench/gen_bundle.py N OUT.json [--seed 20250304] [--validate 500]

The object mix resembles what a law-enforcement node exchanges: persons
(``identity`` with a naming property-extension), criminal organisations
(``threat-actor``), places (``location``), links between them
(``relationship``) and analyst ``note`` objects.  Every object carries exactly
one TLP 2.0 marking in ``object_marking_refs``.

Objects are written one at a time, so memory stays flat however large N is:
only a bounded pool of recent ids is kept for relationships and notes to
point at.  Within every cycle of the mix the referenced kinds come first, so
every ``source_ref``/``target_ref``/``object_refs`` id is defined earlier in
the same bundle, for any N.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from faker import Faker

StixObject = dict[str, Any]

DEFAULT_SEED = 20250304

EXTENSION_ID = "extension-definition--a1e4c0f2-5d1b-4c1e-9a57-0d3e4b2c7f11"

TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
# (marking, weight): most shared material is GREEN, some AMBER, a little CLEAR.
TLP_WEIGHTS: tuple[tuple[str, int], ...] = ((TLP_CLEAR, 2), (TLP_GREEN, 5), (TLP_AMBER, 3))

# One cycle of the mix (20 objects). Referenced kinds come before the kinds
# that reference them, so a bundle cut at any length only points backwards.
CYCLE: tuple[str, ...] = (
    ("identity",) * 6
    + ("threat-actor",) * 1
    + ("location",) * 3
    + ("relationship",) * 7
    + ("note",) * 3
)

NICKNAMES: tuple[str, ...] = (
    "El Flaco",
    "El Gordo",
    "El Güero",
    "La Güera",
    "El Chino",
    "El Profe",
    "El Ingeniero",
    "El Toro",
    "La Flaca",
    "El Compa",
    "El Zurdo",
    "El Pelón",
    "Slim",
    "Doc",
    "Junior",
)

GROUP_PATTERNS: tuple[str, ...] = (
    "Cártel de {city}",
    "Los {surname}",
    "Organización {surname}",
    "Banda de {city}",
    "{city} Crew",
)

GROUP_SUFFIXES: tuple[str, ...] = ("Nueva Generación", "del Norte", "del Golfo", "Unidos")

# Rough bounding boxes (lat_min, lat_max, lon_min, lon_max).
COUNTRY_BOXES: dict[str, tuple[float, float, float, float]] = {
    "MX": (14.5, 32.7, -117.1, -86.7),
    "US": (25.8, 48.9, -124.4, -67.0),
}

# created/modified fall in [2023-01-01, 2025-03-01); births in [1955, 2006).
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2025, 3, 1, tzinfo=UTC) - EPOCH).total_seconds())
BIRTH_EPOCH = datetime(1955, 1, 1, tzinfo=UTC)
BIRTH_SPAN_DAYS = (datetime(2006, 1, 1, tzinfo=UTC) - BIRTH_EPOCH).days


class BundleGenerator:
    """Deterministic stream of STIX 2.1 objects for a given seed."""

    def __init__(self, seed: int = DEFAULT_SEED, pool_size: int = 2000) -> None:
        self.rng = random.Random(seed)
        self.fake_mx = Faker("es_MX")
        self.fake_mx.seed_instance(seed)
        self.fake_us = Faker("en_US")
        self.fake_us.seed_instance(seed + 1)
        self.identities: deque[str] = deque(maxlen=pool_size)
        self.actors: deque[str] = deque(maxlen=pool_size)
        self.locations: deque[str] = deque(maxlen=pool_size)
        self.any_sdo: deque[str] = deque(maxlen=pool_size)

    # -- helpers ---------------------------------------------------------
    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def stix_id(self, stix_type: str) -> str:
        return f"{stix_type}--{self.uuid4()}"

    def timestamp(self) -> str:
        moment = EPOCH + timedelta(
            seconds=self.rng.randrange(SPAN_SECONDS), milliseconds=self.rng.randrange(1000)
        )
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def marking(self) -> str:
        markings = [marking for marking, _ in TLP_WEIGHTS]
        weights = [weight for _, weight in TLP_WEIGHTS]
        chosen: str = self.rng.choices(markings, weights=weights)[0]
        return chosen

    def common(self, stix_type: str) -> StixObject:
        ts = self.timestamp()
        return {
            "type": stix_type,
            "spec_version": "2.1",
            "id": self.stix_id(stix_type),
            "created": ts,
            "modified": ts,
            "object_marking_refs": [self.marking()],
        }

    def faker(self, mexican: bool) -> Faker:
        return self.fake_mx if mexican else self.fake_us

    # -- object kinds ----------------------------------------------------
    def identity(self) -> StixObject:
        mexican = self.rng.random() < 0.7
        fake = self.faker(mexican)
        first_name = fake.first_name_female if self.rng.random() < 0.3 else fake.first_name_male
        given = [first_name()]
        if self.rng.random() < 0.3:
            given.append(first_name())
        paternal = fake.last_name()
        ext: dict[str, Any] = {
            "extension_type": "property-extension",
            "given_names": " ".join(given),  # text, as Puente's person extension defines it
            "paternal_surname": paternal,
        }
        name_parts = [*given, paternal]
        if mexican:
            maternal = fake.last_name()
            ext["maternal_surname"] = maternal
            name_parts.append(maternal)
        if self.rng.random() < 0.5:
            ext["aliases"] = self.rng.sample(NICKNAMES, k=self.rng.randint(1, 2))
        # Not Faker's date_of_birth(): that one is relative to today's date.
        birth = BIRTH_EPOCH + timedelta(days=self.rng.randrange(BIRTH_SPAN_DAYS))
        ext["date_of_birth"] = birth.date().isoformat()
        ext["nationality"] = ["MEX"] if mexican else ["USA"]
        if self.rng.random() < 0.1:
            ext["nationality"].append("USA" if mexican else "MEX")
        obj = self.common("identity")
        obj["name"] = " ".join(name_parts)
        obj["identity_class"] = "individual"
        obj["extensions"] = {EXTENSION_ID: ext}
        self.identities.append(obj["id"])
        self.any_sdo.append(obj["id"])
        return obj

    def threat_actor(self) -> StixObject:
        fake = self.faker(self.rng.random() < 0.8)
        pattern = self.rng.choice(GROUP_PATTERNS)
        name = pattern.format(city=fake.city(), surname=fake.last_name())
        obj = self.common("threat-actor")
        obj["name"] = name
        obj["threat_actor_types"] = ["crime-syndicate"]
        alias_surname = self.fake_mx.last_name()
        obj["aliases"] = [f"{alias_surname} {self.rng.choice(GROUP_SUFFIXES)}"]
        obj["description"] = self.fake_mx.sentence(nb_words=12)
        self.actors.append(obj["id"])
        self.any_sdo.append(obj["id"])
        return obj

    def location(self) -> StixObject:
        country = "MX" if self.rng.random() < 0.6 else "US"
        fake = self.faker(country == "MX")
        lat_min, lat_max, lon_min, lon_max = COUNTRY_BOXES[country]
        obj = self.common("location")
        obj["name"] = f"{fake.street_address()}, {fake.city()}"
        obj["latitude"] = round(self.rng.uniform(lat_min, lat_max), 6)
        obj["longitude"] = round(self.rng.uniform(lon_min, lon_max), 6)
        obj["country"] = country
        self.locations.append(obj["id"])
        self.any_sdo.append(obj["id"])
        return obj

    def relationship(self) -> StixObject:
        roll = self.rng.random()
        if roll < 0.35 and self.actors:
            rel_type, source, target = "related-to", self.identities, self.actors
        elif roll < 0.55 and self.actors:
            rel_type, source, target = "located-at", self.actors, self.locations
        elif roll < 0.70 and self.actors:
            rel_type, source, target = "attributed-to", self.actors, self.identities
        else:
            rel_type, source, target = "related-to", self.identities, self.identities
        obj = self.common("relationship")
        obj["relationship_type"] = rel_type
        obj["source_ref"] = self.rng.choice(source)
        obj["target_ref"] = self.rng.choice(target)
        return obj

    def note(self) -> StixObject:
        obj = self.common("note")
        obj["abstract"] = self.fake_mx.sentence(nb_words=6)
        obj["content"] = self.fake_mx.paragraph(nb_sentences=3)
        obj["authors"] = [self.fake_mx.name()]
        obj["object_refs"] = self.rng.sample(list(self.any_sdo)[-50:], k=self.rng.randint(1, 3))
        return obj

    def objects(self, count: int) -> Iterator[StixObject]:
        makers = {
            "identity": self.identity,
            "threat-actor": self.threat_actor,
            "location": self.location,
            "relationship": self.relationship,
            "note": self.note,
        }
        for index in range(count):
            yield makers[CYCLE[index % len(CYCLE)]]()


def write_bundle(count: int, out: TextIO, seed: int = DEFAULT_SEED) -> None:
    """Stream a bundle of ``count`` objects to ``out`` as UTF-8 JSON."""
    gen = BundleGenerator(seed)
    bundle_id = gen.stix_id("bundle")
    out.write(f'{{"type": "bundle", "id": "{bundle_id}", "objects": [\n')
    for index, obj in enumerate(gen.objects(count)):
        if index:
            out.write(",\n")
        out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
    out.write("\n]}\n")


def validate_sample(count: int, sample: int, seed: int = DEFAULT_SEED) -> tuple[int, int]:
    """Validate ``sample`` objects spread evenly over a ``count``-object bundle.

    The stream is regenerated (it is deterministic), so the objects checked are
    exactly those written.  Returns ``(objects_checked, error_count)``.
    """
    from stix2validator import ValidationOptions, validate_instance

    options = ValidationOptions(version="2.1")
    stride = max(1, count // max(sample, 1))
    checked = errors = 0
    for index, obj in enumerate(BundleGenerator(seed).objects(count)):
        if index % stride or checked >= sample:
            continue
        checked += 1
        result = validate_instance(obj, options)
        if not result.is_valid:
            errors += len(result.errors)
            for err in result.errors:
                print(f"{obj['id']}: {err}", file=sys.stderr)
    return checked, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of STIX objects")
    parser.add_argument("out", type=Path, help="output bundle path ('-' for stdout)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--validate",
        type=int,
        default=0,
        metavar="K",
        help="also check K objects spread over the bundle with stix2validator (exit 1 on errors)",
    )
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("count must be >= 0")

    if str(args.out) == "-":
        write_bundle(args.count, sys.stdout, args.seed)
    else:
        with args.out.open("w", encoding="utf-8") as fh:
            write_bundle(args.count, fh, args.seed)

    if args.validate and args.count:
        checked, errors = validate_sample(args.count, args.validate, args.seed)
        print(f"stix2validator: {errors} error(s) in {checked} objects", file=sys.stderr)
        if errors:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
