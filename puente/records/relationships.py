"""Relationship types: STIX 2.1's where one fits, Puente's own carried in an extension.

STIX 2.1 §5.1 (Relationship): ``relationship_type`` SHOULD be one the specification suggests
for the source and target types (the "Relationships" table of each SDO in §4) and MAY be any
other name. The OASIS validator warns on every other name, and the tools analysts use read
the suggested ones, plus the three every object may use (``related-to``, ``derived-from``,
``duplicate-of``: §5.1.1), better than custom names: OpenCTI refuses a relationship type it
does not know.

Police work relates people, organizations, firearms and vehicles in ways the specification
has no name for (a person is a member of a criminal organization, bought a firearm, owns a
vehicle). Such a relationship travels as ``related-to``, which every STIX consumer reads, and
names Puente's precise type in the property extension :data:`EXT_RELATIONSHIP` (§7.3), which
Puente and any partner that reads the extension show instead. :data:`PUENTE_TYPES` lists the
types Puente defines (docs/records.md); an analyst may write others in the same form.

Records written before this (and partners still sending them) carry Puente's names as the
``relationship_type`` itself: :func:`meaning` reads both forms alike, and a stored version is
never rewritten (its bytes are what the receipts of both nodes sign); its next version,
edited, takes the new form.
"""

from __future__ import annotations

import re
from typing import Any

EXT_RELATIONSHIP = "extension-definition--2e9c4b71-0f6a-4d3e-8b15-6a7d9c0e3f42"

# §5.1.1: the relationship types any two objects may have.
COMMON = ("related-to", "derived-from", "duplicate-of")

# STIX 2.1 §4, each SDO's "Relationships" table (and §6 for the cyber observables that
# suggest some): source type → relationship type → target types.
# fmt: off
SUGGESTED: dict[str, dict[str, tuple[str, ...]]] = {
    "attack-pattern": {
        "delivers": ("malware",),
        "targets": ("identity", "location", "vulnerability"),
        "uses": ("malware", "tool"),
    },
    "campaign": {
        "attributed-to": ("intrusion-set", "threat-actor"),
        "compromises": ("infrastructure",),
        "originates-from": ("location",),
        "targets": ("identity", "location", "vulnerability"),
        "uses": ("attack-pattern", "infrastructure", "malware", "tool"),
    },
    "course-of-action": {
        "investigates": ("indicator",),
        "mitigates": ("attack-pattern", "indicator", "malware", "tool", "vulnerability"),
        "remediates": ("malware", "vulnerability"),
    },
    "domain-name": {"resolves-to": ("domain-name", "ipv4-addr", "ipv6-addr")},
    "identity": {"located-at": ("location",)},
    "indicator": {
        "based-on": ("observed-data",),
        "indicates": ("attack-pattern", "campaign", "infrastructure", "intrusion-set",
                      "malware", "threat-actor", "tool"),
    },
    "infrastructure": {
        "communicates-with": ("domain-name", "infrastructure", "ipv4-addr", "ipv6-addr", "url"),
        "consists-of": ("infrastructure", "observed-data", "artifact", "autonomous-system",
                        "directory", "domain-name", "email-addr", "email-message", "file",
                        "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic",
                        "process", "software", "url", "user-account", "windows-registry-key",
                        "x509-certificate"),
        "controls": ("infrastructure", "malware"),
        "delivers": ("malware",),
        "has": ("vulnerability",),
        "hosts": ("malware", "tool"),
        "located-at": ("location",),
        "uses": ("infrastructure",),
    },
    "intrusion-set": {
        "attributed-to": ("threat-actor",),
        "compromises": ("infrastructure",),
        "hosts": ("infrastructure",),
        "originates-from": ("location",),
        "owns": ("infrastructure",),
        "targets": ("identity", "location", "vulnerability"),
        "uses": ("attack-pattern", "infrastructure", "malware", "tool"),
    },
    "ipv4-addr": {"belongs-to": ("autonomous-system",), "resolves-to": ("mac-addr",)},
    "ipv6-addr": {"belongs-to": ("autonomous-system",), "resolves-to": ("mac-addr",)},
    "malware": {
        "authored-by": ("intrusion-set", "threat-actor"),
        "beacons-to": ("infrastructure",),
        "communicates-with": ("domain-name", "ipv4-addr", "ipv6-addr", "url"),
        "controls": ("malware",),
        "downloads": ("file", "malware", "tool"),
        "drops": ("file", "malware", "tool"),
        "exfiltrates-to": ("infrastructure",),
        "exploits": ("vulnerability",),
        "originates-from": ("location",),
        "targets": ("identity", "infrastructure", "location"),
        "uses": ("attack-pattern", "infrastructure", "malware", "tool"),
        "variant-of": ("malware",),
    },
    "malware-analysis": {
        "analysis-of": ("malware",),
        "characterizes": ("malware",),
        "dynamic-analysis-of": ("malware",),
        "static-analysis-of": ("malware",),
    },
    "threat-actor": {
        "attributed-to": ("identity",),
        "compromises": ("infrastructure",),
        "hosts": ("infrastructure",),
        "impersonates": ("identity",),
        "located-at": ("location",),
        "owns": ("infrastructure",),
        "targets": ("identity", "location", "vulnerability"),
        "uses": ("attack-pattern", "infrastructure", "malware", "tool"),
    },
    "tool": {
        "delivers": ("malware",),
        "drops": ("malware",),
        "has": ("vulnerability",),
        "targets": ("identity", "infrastructure", "location", "vulnerability"),
        "uses": ("infrastructure",),
    },
}
# fmt: on

# The types Puente defines (the extension's schema and docs/records.md describe them):
# name → (source kinds, target kinds, meaning).
PUENTE_TYPES: dict[str, tuple[str, str, str]] = {
    "member-of": ("person", "criminal organization",
                  "The person is a member or an associate of the criminal organization."),
    "owns": ("person or organization", "vehicle, firearm or other property",
             "The source owns the target, or is its registered owner."),
    "purchased": ("person", "firearm", "The person bought the firearm (for example a straw "
                  "purchase found by its trace)."),
    "attributed-to": ("firearm, seizure or vehicle", "criminal organization",
                      "The item is attributed to the organization: recovered where it "
                      "operates, or traced to it."),
}  # fmt: skip

# §5.1: a relationship type is lowercase ASCII letters, digits and hyphens.
TYPE_FORM = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


def _type_of(ref: str) -> str:
    return ref.partition("--")[0]


def is_standard(source_ref: str, relationship_type: str, target_ref: str) -> bool:
    """Whether STIX 2.1 suggests ``relationship_type`` between these two objects' types."""
    if relationship_type in COMMON:
        return True
    targets = SUGGESTED.get(_type_of(source_ref), {}).get(relationship_type, ())
    return _type_of(target_ref) in targets


def stix_form(source_ref: str, relationship_type: str,
              target_ref: str) -> tuple[str, dict[str, Any] | None]:  # fmt: skip
    """The ``relationship_type`` to write and the extension to add (None: no extension) for a
    relationship of ``relationship_type`` between these objects: the type itself where STIX
    suggests it, else ``related-to`` with the type in :data:`EXT_RELATIONSHIP`."""
    if is_standard(source_ref, relationship_type, target_ref):
        return relationship_type, None
    return "related-to", {"extension_type": "property-extension",
                          "relationship_type": relationship_type}  # fmt: skip


def meaning(obj: dict[str, Any]) -> str:
    """A relationship's type as Puente reads it: the extension's precise type, or the
    ``relationship_type`` (a standard one, or a Puente name from an older record)."""
    extensions = obj.get("extensions")
    if isinstance(extensions, dict):
        body = extensions.get(EXT_RELATIONSHIP)
        if isinstance(body, dict) and isinstance(body.get("relationship_type"), str):
            return str(body["relationship_type"])
    found = obj.get("relationship_type")
    return found if isinstance(found, str) else ""
