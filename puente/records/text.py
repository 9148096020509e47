"""Text normalization shared by storage and search: lowercase, accents folded."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from puente.records.kinds import EXT_PERSON

_SPACES = re.compile(r"[^\w]+")


_COMBINING = {
    code: None for code in range(0x300, 0x370)
} | {code: None for code in range(0x1AB0, 0x1B00)} | {code: None for code in range(0x1DC0, 0x1E00)}


def fold(text: str) -> str:
    """Lowercase, strip accents (ñ → n), collapse punctuation to single spaces."""
    folded = text.casefold()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded).translate(_COMBINING)
    return _SPACES.sub(" ", folded).strip()


SEARCHED_PROPS = (
    "name", "description", "abstract", "content", "vin", "plate_number", "serial_number",
    "manufacturer", "importer", "model", "make", "substance", "place", "recovery_place",
    "relationship_type", "contact_information", "city", "administrative_area",
)


def search_text(obj: dict[str, Any], limit: int = 4000) -> str:
    """The text a record is found by: names, aliases, descriptions and identifying numbers."""
    parts: list[str] = []
    for prop in SEARCHED_PROPS:
        value = obj.get(prop)
        if isinstance(value, str | int | float):
            parts.append(str(value)[:1000])
    for alias in obj.get("aliases") or []:
        if isinstance(alias, str):
            parts.append(alias)
    person = (obj.get("extensions") or {}).get(EXT_PERSON)
    if isinstance(person, dict):
        for key in ("given_names", "paternal_surname", "maternal_surname"):
            if isinstance(person.get(key), str):
                parts.append(person[key])
        for alias in person.get("aliases") or []:
            if isinstance(alias, str):
                parts.append(alias)
        for doc in person.get("documents") or []:
            if isinstance(doc, dict) and isinstance(doc.get("number"), str):
                parts.append(doc["number"])
    return " " + fold(" ".join(parts))[:limit] + " "
