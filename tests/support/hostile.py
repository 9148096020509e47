"""Hostile STIX objects for tests: wrongly typed markings, deep nesting, broken text."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from puente.policy.markings import MARKINGS_EXTENSION, TLP_MARKING_IDS
from puente.records.kinds import EXT_PERSON

MARKS = f"extensions/{MARKINGS_EXTENSION}"
PERSON = f"extensions/{EXT_PERSON}"


def incident(**changes: Any) -> dict[str, Any]:
    stamp = "2026-02-01T08:00:00.000Z"
    obj: dict[str, Any] = {
        "type": "incident", "spec_version": "2.1", "id": f"incident--{uuid.uuid4()}",
        "created": stamp, "modified": stamp, "name": "Decomiso en Nogales",
        "object_marking_refs": [TLP_MARKING_IDS["GREEN"]],
        "extensions": {MARKINGS_EXTENSION: {"extension_type": "property-extension",
                                            "rel_to": ["MEX", "USA"], "handling": "H0"}},
    }  # fmt: skip
    obj.update(changes)
    return obj


def person() -> dict[str, Any]:
    obj = incident(type="identity", identity_class="individual", name="Juan Pérez")
    obj["id"] = f"identity--{uuid.uuid4()}"
    obj["extensions"][EXT_PERSON] = {
        "extension_type": "property-extension", "given_names": "Juan",
        "paternal_surname": "Pérez",
    }  # fmt: skip
    return obj


def nested(depth: int, leaf: Any = "x", kind: str = "list") -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def set_at(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set the property at ``path`` (slash-separated, as in a pointer) to ``value``."""

    def change(obj: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = obj
        for token in parents:
            target = target[int(token)] if isinstance(target, list) else target[token]
        target[last] = value  # shared, never changed: a deep copy of 500 levels would recurse

    return change


HOSTILE = {
    "agencies": lambda o: set_at(f"{MARKS}/agencies", [{"a": 1}])(o),
    "agencies-object": lambda o: set_at(f"{MARKS}/agencies", {"a": 1})(o),
    "credibility": lambda o: set_at(f"{MARKS}/information_credibility", [3])(o),
    "nested-500": lambda o: set_at("description", nested(500))(o),
}
HOSTILE_AT = {
    "agencies": f"/{MARKS}/agencies/0",
    "agencies-object": f"/{MARKS}/agencies",
    "credibility": f"/{MARKS}/information_credibility",
    "nested-500": "/description/0",
}
