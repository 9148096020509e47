"""Record markings (DESIGN.md, "Records and markings") and their STIX 2.1 form.

TLP uses the OASIS TLP 2.0 marking-definition objects (STIX 2.1 §7.2.1.4 extension
``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d``); the other markings travel in
Puente's markings property extension (STIX 2.1 §7.3), documented in docs/records.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TLP_LEVELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
HANDLING_CODES = ("H0", "H1", "H2", "H3")
RELIABILITY = ("A", "B", "C", "D", "E", "F")
CREDIBILITY = (1, 2, 3, 4, 5, 6)
# A country in REL TO and searchable-by: ISO 3166-1 alpha-3.
COUNTRY_RE = re.compile(r"^[A-Z]{3}$")

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
# Who published the TLP 2.0 extension definition (CISA); no STIX object for it is published.
TLP2_AUTHOR = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"
TLP_MARKING_IDS = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# TLP 1.0 definitions predefined by STIX 2.1 §7.2.1.4; read on import, never emitted.
TLP1_MARKING_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "CLEAR",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "RED",
}
TLP_BY_MARKING_ID = {v: k for k, v in TLP_MARKING_IDS.items()} | TLP1_MARKING_IDS
_RANK = {level: rank for rank, level in enumerate(TLP_LEVELS)}

MARKINGS_EXTENSION = "extension-definition--7d2f4e61-3c0a-4b8e-9f51-2a6c8d0e1b73"


@dataclass(frozen=True)
class Markings:
    """Everything the originator says about who may see a record and what they may do."""

    tlp: str
    rel_to: frozenset[str]
    agencies: frozenset[str] = frozenset()  # empty: no agency restriction
    handling: str = "H0"
    handling_text: str = ""
    searchable_by: frozenset[str] = frozenset()
    reliability: str | None = None
    credibility: int | None = None
    recipients: frozenset[str] = field(default_factory=frozenset)  # named recipients (TLP:RED)

    def banner(self) -> str:
        """The banner line, e.g. ``TLP:AMBER · REL TO USA, MEX · H2``."""
        parts = [f"TLP:{self.tlp}", "REL TO " + ", ".join(sort_countries(self.rel_to))]
        if self.agencies:
            parts.append(", ".join(sorted(self.agencies)))
        parts.append(self.handling)
        return " · ".join(parts)

    def grading(self) -> str:
        if self.reliability and self.credibility:
            return f"{self.reliability}{self.credibility}"
        return ""

    @classmethod
    def from_extension(cls, tlp: str, body: dict[str, Any]) -> Markings:
        """The markings an object's markings extension (:meth:`extension`) and TLP say."""
        return cls(
            tlp=tlp,
            rel_to=frozenset(body.get("rel_to") or []),
            agencies=frozenset(body.get("agencies") or []),
            handling=body.get("handling", "H0"),
            handling_text=body.get("handling_text", ""),
            searchable_by=frozenset(body.get("searchable_by") or []),
            reliability=body.get("source_reliability"),
            credibility=body.get("information_credibility"),
            recipients=frozenset(body.get("recipients") or []),
        )

    def extension(self) -> dict[str, Any]:
        """The markings property extension, as it appears inside a STIX object."""
        body: dict[str, Any] = {
            "extension_type": "property-extension",
            "rel_to": sort_countries(self.rel_to),
            "handling": self.handling,
        }
        if self.agencies:
            body["agencies"] = sorted(self.agencies)
        if self.handling_text:
            body["handling_text"] = self.handling_text
        if self.searchable_by:
            body["searchable_by"] = sort_countries(self.searchable_by)
        if self.reliability:
            body["source_reliability"] = self.reliability
        if self.credibility:
            body["information_credibility"] = self.credibility
        if self.recipients:
            body["recipients"] = sorted(self.recipients)
        return body


# -- reading and writing an object's markings (TLP 2.0 reference and the extension) ---------


def markings_from_object(obj: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """The object's TLP and its markings extension. Every marking an object lists applies
    (STIX 2.1 §7.2.2): of several TLP references, the strictest is its TLP. A TLP that a
    granular marking (§7.2.3) gives part of the object counts too: the gate decides on whole
    objects, so the strictest part marks all of it."""
    tlp = None
    refs = obj.get("object_marking_refs")
    for ref in refs if type(refs) is list else ():  # a plain loop: this runs once an object
        level = TLP_BY_MARKING_ID.get(ref) if type(ref) is str else None
        if level is not None and (tlp is None or _RANK[level] > _RANK[tlp]):
            tlp = level
    granular = obj.get("granular_markings")
    if granular and isinstance(granular, list):
        for item in granular:
            ref = item.get("marking_ref") if isinstance(item, dict) else None
            level = TLP_BY_MARKING_ID.get(ref) if isinstance(ref, str) else None
            if level is not None and (tlp is None or _RANK[level] > _RANK[tlp]):
                tlp = level
    extensions = obj.get("extensions")
    body = extensions.get(MARKINGS_EXTENSION) if isinstance(extensions, dict) else None
    return tlp, body if isinstance(body, dict) else None


def apply_markings(obj: dict[str, Any], markings: Markings) -> None:
    """Write ``markings`` into the object: its TLP reference and the markings extension."""
    obj.update(marked_properties(obj, TLP_MARKING_IDS[markings.tlp], markings.extension()))


def marked_properties(
    obj: dict[str, Any], tlp_ref: str, extension: dict[str, Any]
) -> dict[str, Any]:
    """The object's marking references and extensions, with ``extension`` as its markings."""
    refs = obj.get("object_marking_refs") or []
    return {
        "object_marking_refs": [tlp_ref, *(r for r in refs if r not in TLP_BY_MARKING_ID)],
        "extensions": {**(obj.get("extensions") or {}), MARKINGS_EXTENSION: extension},
    }


def sort_countries(countries: Iterable[str]) -> list[str]:
    # The owner's country reads first in banners by convention; alphabetical keeps it stable.
    return sorted(countries)


def most_restrictive(all_markings: Iterable[Markings]) -> Markings | None:
    """The marking a page showing all these records must carry."""
    items = list(all_markings)
    if not items:
        return None
    tlp = max((m.tlp for m in items), key=TLP_LEVELS.index)
    rel_to = frozenset.intersection(*(m.rel_to for m in items))
    restricted = [m.agencies for m in items if m.agencies]
    agencies = frozenset.intersection(*restricted) if restricted else frozenset()
    handling = max((m.handling for m in items), key=HANDLING_CODES.index)
    return Markings(tlp=tlp, rel_to=rel_to, agencies=agencies, handling=handling)


def tlp_marking_definition(level: str) -> dict[str, Any]:
    """The published TLP 2.0 marking-definition object for ``level``."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_MARKING_IDS[level],
        "created": TLP2_CREATED,
        "name": f"TLP:{level}",
        "extensions": {
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level.lower()}
        },
    }


def tlp2_extension_definition() -> dict[str, Any]:
    """The extension definition the TLP 2.0 marking definitions use, as OASIS publishes it
    (cti-stix-common-objects, objects/extension-definition): what their ``tlp_2_0`` means."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": TLP2_EXTENSION,
        "name": "TLP 2.0",
        "description": "This defines TLP 2.0 as a STIX extension",
        "created": TLP2_CREATED,
        "modified": TLP2_CREATED,
        "created_by_ref": TLP2_AUTHOR,
        "schema": "https://github.com/oasis-open/cti-stix-common-objects/tree/master/"
        "extension-definition-specifications/tlp-2.0",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }
