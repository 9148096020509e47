"""Every match-key type any spec version makes is named on screen in words an analyst reads."""

from __future__ import annotations

import json
from pathlib import Path

from puente.hits.keys import SPEC_VERSIONS
from puente.hits.labels import KEY_TYPE_LABELS
from puente.hits.specs import person_keys

DOCS = Path(__file__).resolve().parents[2] / "docs"
PERSONS = [  # between them, every rule of every version: initials, years, monikers, fused
    ("J.", "García-López", "", ["1970"], ["El Sapo"]),
    ("José Luis", "Díaz", "de León", ["1970-03-04", "1971"], ["Chuy Díaz"]),
    ("Nazario", "ZAZUETAURREA", "", ["1947-08-01"], []),
    ("Ana María", "Ruiz", "", ["1980"], []),
]


def test_every_key_type_has_a_label() -> None:
    made: set[str] = set()
    for version in SPEC_VERSIONS:
        vectors = json.loads((DOCS / f"match-keys-v{version}.json").read_text("utf-8"))
        made |= {key.split("|")[1] for section in ("persons", "firearms", "vehicles")
                 for vector in vectors[section] for key in vector["keys"]}  # fmt: skip
        for given, paternal, maternal, dates, aliases in PERSONS:
            for query in (False, True):
                keys = person_keys(version, given, paternal, maternal, aliases=aliases,
                                   dates_of_birth=dates, query=query)  # fmt: skip
                made |= keys.types()
    assert len(made) > 30
    assert sorted(made - set(KEY_TYPE_LABELS)) == []
