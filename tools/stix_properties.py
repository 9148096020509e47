"""Write puente/records/stix_properties.py: the type of each property of each STIX 2.1 object,
read from the OASIS STIX 2.1 JSON schemas that stix2-validator ships.

Puente's validator (puente.records.validation) checks every property it knows the type of; the
full JSON Schema validation is far too slow for the ingest path. Run after upgrading
stix2-validator: `python tools/stix_properties.py`. tests/records/test_validation.py fails
while the module and the schemas disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import stix2validator

SCHEMAS = Path(stix2validator.__file__).parent / "schemas-2.1" / "schemas"
OUT = Path(__file__).resolve().parent.parent / "puente" / "records" / "stix_properties.py"
# Checked by the validator itself, with their own messages.
SKIPPED = {"type", "id", "spec_version"}
STRING_REFS = ("identifier.json", "binary.json", "hex.json", "url-regex.json")
OBJECT_REFS = ("dictionary.json", "hashes-type.json", "-dictionary", "x509-v3-extensions-type",
               "email-additional-header-fields")  # fmt: skip
ITEM_OBJECTS = ("external-reference.json", "kill-chain-phase.json", "granular-marking.json",
                "mime-part-type", "windows-registry-value-type")  # fmt: skip


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _simple(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any] | None:
    """The part of a property's schema the validator checks: its JSON type, an integer's or a
    number's range, a closed list of values, a timestamp; None when nothing simple applies."""
    ref = schema.get("$ref", "")
    if ref:
        if ref.endswith("timestamp.json"):
            return {"format": "date-time"}
        if ref.endswith(STRING_REFS):
            return {"type": "string"}
        if ref.endswith(OBJECT_REFS):
            return {"type": "object"}
        if ref.startswith("#/definitions/"):
            target = definitions.get(ref.rsplit("/", 1)[1])
            return _simple(target, definitions) if isinstance(target, dict) else None
        return None
    for combined in ("allOf",):
        if combined in schema:
            for part in schema[combined]:
                found = _simple(part, definitions)
                if found is not None:
                    return found
            return None
    if "anyOf" in schema or "oneOf" in schema:
        return None
    if "patternProperties" in schema and "type" not in schema:
        return {"type": "object"}
    kind = schema.get("type")
    if kind is None:
        if "enum" in schema:
            return {"enum": schema["enum"]}
        return None
    out: dict[str, Any] = {"type": kind}
    if kind in ("integer", "number"):
        for bound in ("minimum", "maximum"):
            if bound in schema:
                out[bound] = schema[bound]
    if kind == "string" and "enum" in schema and len(schema["enum"]) > 1:
        out["enum"] = schema["enum"]
    if kind == "array":
        items = schema.get("items")
        ref = items.get("$ref", "") if isinstance(items, dict) else ""
        if ref.endswith(ITEM_OBJECTS):
            out["items"] = {"type": "object"}
        elif isinstance(items, dict):
            simple = _simple(items, definitions)
            if simple is not None:
                out["items"] = simple
    return out


def _properties(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if name in SKIPPED:
            continue
        simple = _simple(prop, definitions)
        if simple is not None:
            found[name] = simple
    for part in schema.get("allOf", []):
        if "$ref" in part:
            continue  # the common properties, merged below
        found.update(_properties(part, definitions))
    return found


def table() -> dict[str, dict[str, Any]]:
    core = _load(SCHEMAS / "common" / "core.json")
    sco_core = _load(SCHEMAS / "common" / "cyber-observable-core.json")
    common = {
        "sdo": _properties(core, core.get("definitions", {})),
        "sco": _properties(sco_core, sco_core.get("definitions", {})),
    }
    # The common properties of any SDO or SRO, for the new objects extensions define (§7.3).
    types: dict[str, dict[str, Any]] = {"": common["sdo"]}
    for folder, base in (("sdos", "sdo"), ("sros", "sdo"), ("observables", "sco")):
        for path in sorted((SCHEMAS / folder).glob("*.json")):
            schema = _load(path)
            own = _properties(schema, schema.get("definitions", {}))
            types[path.stem] = {**common[base], **own}
    for name in ("marking-definition", "language-content", "extension-definition"):
        schema = _load(SCHEMAS / "common" / f"{name}.json")
        types[name] = _properties(schema, schema.get("definitions", {}))
    return types


def render() -> str:
    body = json.dumps(table(), indent=4, sort_keys=True)
    body = body.replace("true", "True").replace("false", "False").replace("null", "None")
    return (
        '"""The type of each property of each STIX 2.1 object (STIX 2.1 §4-§7), as the OASIS\n'
        "JSON schemas give it. Generated by tools/stix_properties.py: do not edit.\n"
        '"""\n\n'
        "from typing import Any\n\n"
        f"PROPERTIES: dict[str, dict[str, dict[str, Any]]] = {body}\n"
    )


if __name__ == "__main__":
    OUT.write_text(render())
    sys.stdout.write(f"wrote {OUT}\n")
