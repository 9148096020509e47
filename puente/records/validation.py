"""Fast structural validation of incoming STIX 2.1 objects.

The OASIS stix2-validator checks a few hundred objects a second, too slow for the ingest
path; this module checks what Puente relies on (STIX 2.1 §3 common properties, §2.9
identifiers, §3.2 timestamps, the required properties of each object in §4–§7, and Puente's
own extensions) at tens of thousands of objects a second. The test suite runs the OASIS
validator over everything Puente emits.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable
from typing import Any

from puente.errors import N_, Problem
from puente.policy.agencies import BY_CODE
from puente.policy.markings import (
    COUNTRY_RE,
    CREDIBILITY,
    HANDLING_CODES,
    MARKINGS_EXTENSION,
    RELIABILITY,
    TLP_BY_MARKING_ID,
)
from puente.records.kinds import EXT_PERSON, SDO_EXTENSIONS

TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A named recipient as any node may have written it; the writing node checks its form
# (puente.policy.recipients). Never a comma: the records table lists them separated by one.
RECIPIENT_TEXT = re.compile(r"[^,]{1,200}")
RECIPIENTS_LIST = N_("recipients must be a list of names such as gn.analista@MEX.")

# STIX 2.1 §4–§5: the properties each standard object requires beyond the common ones.
REQUIRED: dict[str, tuple[str, ...]] = {
    "attack-pattern": ("name",),
    "campaign": ("name",),
    "course-of-action": ("name",),
    "grouping": ("context", "object_refs"),
    "identity": ("name",),
    "incident": ("name",),
    "indicator": ("pattern", "pattern_type", "valid_from"),
    "infrastructure": ("name",),
    "intrusion-set": ("name",),
    "location": (),
    "malware": ("is_family",),
    "malware-analysis": ("product",),
    "note": ("content", "object_refs"),
    "observed-data": ("first_observed", "last_observed", "number_observed"),
    "opinion": ("opinion", "object_refs"),
    "report": ("name", "published", "object_refs"),
    "threat-actor": ("name",),
    "tool": ("name",),
    "vulnerability": ("name",),
    "relationship": ("relationship_type", "source_ref", "target_ref"),
    "sighting": ("sighting_of_ref",),
    "marking-definition": (),
    "language-content": (),
    "extension-definition": ("name", "schema", "version", "extension_types"),
    "x-puente-seizure": ("name", "substance", "quantity", "unit"),
    "x-puente-firearm": ("manufacturer",),
    "x-puente-vehicle": (),
}
AMOUNTS: dict[str, tuple[str, ...]] = {"x-puente-seizure": ("quantity",)}
SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
NO_MODIFIED = frozenset({"marking-definition"})


def timestamp_key(value: str) -> str:
    """A fixed-width form of a STIX timestamp (microseconds) that sorts as time does."""
    head, _, rest = value[:-1].partition(".")
    return f"{head}.{(rest + '000000')[:6]}Z"


# The canonical RFC 4122 text form; anything else takes uuid.UUID's slower, more lenient road.
UUID_RE = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z")
REF_SUFFIXES = ("_ref", "_refs")
# Identifiers already found valid, with their type: a bundle names the same ones again and
# again (authors, markings, the targets of relationships). Bounded; cleared when full.
_valid_ids: dict[str, str] = {}
_VALID_IDS_MAX = 50_000


def is_identifier(value: Any, of_type: str | None = None) -> bool:
    if not isinstance(value, str):
        return False
    known = _valid_ids.get(value)
    if known is not None:
        return of_type is None or known == of_type
    if "--" not in value:
        return False
    prefix, _, tail = value.partition("--")
    if of_type is not None and prefix != of_type:
        return False
    if not TYPE_RE.match(prefix) or len(tail) != 36:
        return False
    if not UUID_RE.match(tail):
        try:
            uuid.UUID(tail)
        except ValueError:
            return False
    if len(_valid_ids) >= _VALID_IDS_MAX:
        _valid_ids.clear()
    _valid_ids[value] = prefix
    return True


# Which properties are references depends only on the property names, and objects of one
# kind from one producer share their names: remember the answer for each list of names.
_reference_keys_by_layout: dict[tuple[str, ...], tuple[str, ...]] = {}


def _reference_keys(obj: dict[str, Any]) -> tuple[str, ...]:
    """The object's ``*_ref`` and ``*_refs`` properties but custom ones (STIX 2.1 §11.1)."""
    layout = tuple(obj)
    keys = _reference_keys_by_layout.get(layout)
    if keys is None:
        keys = tuple(k for k in layout if k.endswith(REF_SUFFIXES) and not k.startswith("x_"))
        if len(_reference_keys_by_layout) >= 4096:
            _reference_keys_by_layout.clear()
        _reference_keys_by_layout[layout] = keys
    return keys


class ObjectChecker:
    """Checks objects one by one and gathers what each references, for later resolution."""

    def __init__(self, max_problems: int = 100) -> None:
        self.problems: list[Problem] = []
        self.max_problems = max_problems
        self.marking_refs: dict[str, str] = {}  # marking id → pointer of first use
        # The last object's references as refs_of() gives them (meaningful if it passed).
        self.refs: list[tuple[str, str]] = []

    def add(self, message: str, pointer: str, **params: Any) -> None:
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(message, pointer, params))

    @property
    def full(self) -> bool:
        return len(self.problems) >= self.max_problems

    def check(self, obj: Any, at: str) -> bool:
        """Check one object; return whether it passed."""
        before = len(self.problems)
        self.refs = []
        if not isinstance(obj, dict):
            self.add(N_("Each object must be a JSON object."), at)
            return False
        stix_type = obj.get("type")
        if not isinstance(stix_type, str) or not TYPE_RE.match(stix_type):
            self.add(N_("Missing or invalid property {prop}."), f"{at}/type", prop="type")
            return False
        if not is_identifier(obj.get("id"), stix_type):
            self.add(
                N_('The id must be "{type}--" followed by a UUID.'), f"{at}/id", type=stix_type
            )
        is_sco = stix_type in SCO_TYPES
        if (not is_sco or "spec_version" in obj) and obj.get("spec_version") != "2.1":
            self.add(N_('spec_version must be "2.1".'), f"{at}/spec_version")
        if not is_sco:
            self._timestamps(obj, stix_type, at)
        for prop in REQUIRED.get(stix_type, ()):
            if obj.get(prop) in (None, "", []):
                self.add(N_("Missing required property {prop}."), f"{at}/{prop}", prop=prop)
        self._references(obj, at)
        self._extensions(obj, stix_type, at)
        self._amounts(obj, stix_type, at)
        return len(self.problems) == before

    def _amounts(self, obj: dict[str, Any], stix_type: str, at: str) -> None:
        """Amounts are numbers, never negative (the extension's schema: minimum 0)."""
        for prop in AMOUNTS.get(stix_type, ()):
            value = obj.get(prop)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value < math.inf
            ):
                self.add(N_("{prop} must be a number, not negative."), f"{at}/{prop}", prop=prop)

    def _timestamps(self, obj: dict[str, Any], stix_type: str, at: str) -> None:
        names = ("created",) if stix_type in NO_MODIFIED else ("created", "modified")
        for name in names:
            value = obj.get(name)
            if not isinstance(value, str) or not TIMESTAMP_RE.match(value):
                self.add(
                    N_(
                        "{prop} must be an RFC 3339 UTC timestamp such as 2025-01-31T17:05:00.000Z."
                    ),
                    f"{at}/{name}",
                    prop=name,
                )
                return
        if (
            len(names) == 2
            and obj["modified"] != obj["created"]
            and timestamp_key(obj["modified"]) < timestamp_key(obj["created"])
        ):
            self.add(N_("modified must not be earlier than created."), f"{at}/modified")

    def _references(self, obj: dict[str, Any], at: str) -> None:
        refs = self.refs
        for key in _reference_keys(obj):
            value = obj[key]
            if key.endswith("_ref"):
                if not is_identifier(value):
                    self.add(N_("{prop} must be a STIX identifier."), f"{at}/{key}", prop=key)
                elif key != "created_by_ref":
                    refs.append((key, value))
            else:
                if not isinstance(value, list):
                    self.add(
                        N_("{prop} must be a list of STIX identifiers."), f"{at}/{key}", prop=key
                    )
                    continue
                for index, ref in enumerate(value):
                    if not is_identifier(ref):
                        self.add(
                            N_("{prop} must be a STIX identifier."), f"{at}/{key}/{index}", prop=key
                        )
                    elif key == "object_marking_refs":
                        if not ref.startswith("marking-definition--"):
                            self.add(
                                N_("{prop} must be a STIX identifier."),
                                f"{at}/{key}/{index}",
                                prop=key,
                            )
                        elif ref not in TLP_BY_MARKING_ID:
                            self.marking_refs.setdefault(ref, f"{at}/{key}/{index}")
                    else:
                        refs.append((key, ref))

    def _extensions(self, obj: dict[str, Any], stix_type: str, at: str) -> None:
        extensions = obj.get("extensions")
        if extensions is None:
            if stix_type in SDO_EXTENSIONS:
                self.add(
                    N_("Missing required property {prop}."), f"{at}/extensions", prop="extensions"
                )
            return
        if not isinstance(extensions, dict) or not extensions:
            self.add(N_("extensions must be a non-empty JSON object."), f"{at}/extensions")
            return
        for key, body in extensions.items():
            if not isinstance(body, dict):
                where = f"{at}/extensions/{escape_pointer(key)}"
                self.add(N_("Each extension must be a JSON object."), where)
                continue
            if key.startswith("extension-definition--") and "extension_type" not in body:
                where = f"{at}/extensions/{escape_pointer(key)}/extension_type"
                self.add(N_("Missing required property {prop}."), where, prop="extension_type")
        if stix_type in SDO_EXTENSIONS and SDO_EXTENSIONS[stix_type] not in extensions:
            self.add(
                N_("A {type} object must name its extension definition {ext}."),
                f"{at}/extensions",
                type=stix_type,
                ext=SDO_EXTENSIONS[stix_type],
            )
        markings = extensions.get(MARKINGS_EXTENSION)
        if isinstance(markings, dict):
            self._markings(markings, f"{at}/extensions/{MARKINGS_EXTENSION}")
        person = extensions.get(EXT_PERSON)
        if isinstance(person, dict):
            dob = person.get("date_of_birth")
            if dob is not None and (not isinstance(dob, str) or not DATE_RE.match(dob)):
                self.add(
                    N_("{prop} must be a date such as 1984-03-12."),
                    f"{at}/extensions/{EXT_PERSON}/date_of_birth",
                    prop="date_of_birth",
                )

    def _markings(self, body: dict[str, Any], at: str) -> None:
        for prop in ("rel_to", "searchable_by"):
            values = body.get(prop, [])
            if not isinstance(values, list):
                self.add(
                    N_("{prop} must be a list of ISO 3166-1 alpha-3 country codes."),
                    f"{at}/{prop}",
                    prop=prop,
                )
                continue
            for index, country in enumerate(values):
                if not isinstance(country, str) or not COUNTRY_RE.match(country):
                    self.add(
                        N_("{prop} must be a list of ISO 3166-1 alpha-3 country codes."),
                        f"{at}/{prop}/{index}",
                        prop=prop,
                    )
        named = body.get("recipients", [])
        if not isinstance(named, list):
            self.add(RECIPIENTS_LIST, f"{at}/recipients")
            named = []
        for index, name in enumerate(named):
            if not isinstance(name, str) or not RECIPIENT_TEXT.fullmatch(name):
                self.add(RECIPIENTS_LIST, f"{at}/recipients/{index}")
        agencies = body.get("agencies", [])
        if not isinstance(agencies, list):
            agencies = [agencies]
        for index, agency in enumerate(agencies):
            if agency not in BY_CODE:
                self.add(
                    N_("Unknown agency {agency}."), f"{at}/agencies/{index}", agency=str(agency)
                )
        handling = body.get("handling", "H0")
        if handling not in HANDLING_CODES:
            self.add(N_("handling must be one of H0, H1, H2, H3."), f"{at}/handling")
        elif handling == "H3" and not body.get("handling_text"):
            self.add(N_("Handling H3 needs a handling text."), f"{at}/handling_text")
        if body.get("source_reliability", "A") not in RELIABILITY:
            self.add(
                N_("Source reliability must be a letter from A to F."), f"{at}/source_reliability"
            )
        if body.get("information_credibility", 1) not in CREDIBILITY:
            self.add(
                N_("Information credibility must be a number from 1 to 6."),
                f"{at}/information_credibility",
            )


def escape_pointer(token: str) -> str:
    """RFC 6901 §4: escape ``~`` and ``/`` inside one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def refs_of(obj: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """(property, referenced id) for every top-level reference but markings and authorship."""
    for key, value in obj.items():
        if key in ("object_marking_refs", "created_by_ref") or key.startswith("x_"):
            continue
        if key.endswith("_ref") and isinstance(value, str):
            yield key, value
        elif key.endswith("_refs") and isinstance(value, list):
            for ref in value:
                if isinstance(ref, str):
                    yield key, ref
