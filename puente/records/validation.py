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
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import orjson

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
from puente.records.extensions import SCHEMAS
from puente.records.kinds import EXT_PERSON, EXT_PORT, SDO_EXTENSIONS
from puente.records.stix_properties import PROPERTIES

TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
# Every field in its range (a leap second allowed); the 29th to 31st are checked against the
# month by is_timestamp.
TIMESTAMP_RE = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d{1,9})?Z$"
)
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
# How deep arrays and objects may nest in one object, the object itself being the first level.
# STIX's own objects nest five or six levels at most; this node's JSON encoder stops at 254 and
# its pages and exports walk objects recursively, so an object nested hundreds of levels deep
# is refused here, by name, before anything else reads it.
MAX_DEPTH = 32
# What a number may be to be stored and served again (orjson's integers: 64 bits).
INT_MIN, INT_MAX = -(2**63), 2**64 - 1
SHOWN = 80  # characters of a refused value repeated in a message
TIMESTAMP_MESSAGE = N_("{prop} must be an RFC 3339 UTC timestamp such as 2025-01-31T17:05:00.000Z.")
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_timestamp(value: Any) -> bool:
    """A STIX timestamp (STIX 2.1 §3.2): RFC 3339 in UTC, and a moment that exists."""
    if not isinstance(value, str) or not TIMESTAMP_RE.match(value):
        return False
    day = value[8:10]
    if day > "28":  # the only days of a month the pattern cannot vouch for
        try:
            date(int(value[:4]), int(value[5:7]), int(day))
        except ValueError:
            return False
    return True


def is_date(value: Any) -> bool:
    if not isinstance(value, str) or not DATE_RE.match(value):
        return False
    try:
        date(int(value[:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return False
    return True


def shown(value: Any) -> str:
    """A refused value as a message repeats it: short, and always printable."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict):
        text = "{…}"
    elif isinstance(value, list):
        text = "[…]"
    elif (
        value is None
        or isinstance(value, bool | float)
        or (isinstance(value, int) and INT_MIN <= value <= INT_MAX)
    ):
        text = orjson.dumps(value).decode()
    else:
        text = type(value).__name__
    return shown_text(text, SHOWN) + ("…" if len(text) > SHOWN else "")


def shown_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, any lone surrogate replaced (U+FFFD): what can be
    stored, signed and printed."""
    return _SURROGATE.sub("\ufffd", text[:limit]).replace("\x00", "\ufffd")


def timestamp_key(value: str) -> str:
    """A fixed-width form of a STIX timestamp (microseconds) that sorts as time does."""
    head, _, rest = value[:-1].partition(".")
    return f"{head}.{(rest + '000000')[:6]}Z"


# The canonical RFC 4122 text form; anything else takes uuid.UUID's slower, more lenient road.
UUID_RE = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z")
# TYPE_RE, "--", then UUID_RE: an identifier is_identifier accepts without the slower road
# (the type must hold no "--" of its own, which the match does not ensure).
_CANONICAL_ID = re.compile(
    r"([a-z0-9][a-z0-9-]{1,248}[a-z0-9])--[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z"
)
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
    canonical = _CANONICAL_ID.match(value)
    if canonical is not None and "--" not in (prefix := canonical.group(1)):
        # The usual form, in one match: the type, then the first "--", then a canonical UUID.
        if of_type is not None and prefix != of_type:
            return False
        if len(_valid_ids) >= _VALID_IDS_MAX:
            _valid_ids.clear()
        _valid_ids[value] = prefix
        return True
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


_types_by_stix_type: dict[str, dict[str, dict[str, Any]]] = {}
# The same, each compiled to a test of whether a value passes (ObjectChecker._conforms says
# why one does not): the ingest path runs them on every property of every object.
_passes_by_stix_type: dict[str, dict[str, Callable[[Any], bool]]] = {}
_patterns: dict[str, re.Pattern[str]] = {}


def _pattern(text: str) -> re.Pattern[str]:
    found = _patterns.get(text)
    if found is None:
        found = _patterns[text] = re.compile(text)
    return found


def _property_types(stix_type: str) -> dict[str, dict[str, Any]]:
    """The type of each property of ``stix_type`` this node knows: the STIX 2.1 schemas' for
    standard objects, and with the common ones, Puente's for the objects it defines."""
    found = _types_by_stix_type.get(stix_type)
    if found is None:
        found = PROPERTIES.get(stix_type, {})
        if stix_type in SDO_EXTENSIONS:
            found = {**PROPERTIES[""], **SCHEMAS[SDO_EXTENSIONS[stix_type]][3]}
        if len(_types_by_stix_type) < 1024:  # custom types are many: remember the known ones
            _types_by_stix_type[stix_type] = found
        _passes_by_stix_type[stix_type] = {
            # created and modified: ObjectChecker._timestamps, which also orders them
            prop: _passes(schema)
            for prop, schema in found.items()
            if prop not in NO_TYPE_CHECK and not prop.endswith(REF_SUFFIXES)
        }
    return found


# Checked on their own, with their own messages: the timestamps that order each other
# (ObjectChecker._timestamps), the extensions (_extensions), and references (_references).
NO_TYPE_CHECK = frozenset({"created", "modified", "extensions"})


def _passes(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """Whether a value conforms to ``schema`` (the subset :meth:`ObjectChecker._conforms`
    reads), as one function."""
    kind, form = schema.get("type"), schema.get("format")
    test: Callable[[Any], bool]
    if form == "date-time":
        return is_timestamp
    if form == "date":
        return is_date
    if kind == "string":
        pattern = schema.get("pattern")
        if pattern is not None:
            compiled = _pattern(pattern)
            test = lambda v: type(v) is str and compiled.search(v) is not None  # noqa: E731
        else:
            test = lambda v: type(v) is str  # noqa: E731
    elif kind == "integer":
        test = lambda v: type(v) is int or (type(v) is float and v.is_integer())  # noqa: E731
    elif kind == "number":
        test = lambda v: type(v) is int or (type(v) is float and math.isfinite(v))  # noqa: E731
    elif kind == "boolean":
        test = lambda v: type(v) is bool  # noqa: E731
    elif kind == "array":
        items = schema.get("items")
        if items is None:
            test = lambda v: type(v) is list  # noqa: E731
        elif items == {"type": "string"}:  # the usual list
            test = lambda v: type(v) is list and all(type(i) is str for i in v)  # noqa: E731
        else:
            item = _passes(items)
            test = lambda v: type(v) is list and all(item(i) for i in v)  # noqa: E731
    elif kind == "object":
        inner = {name: _passes(s) for name, s in schema.get("properties", {}).items()}
        required = tuple(schema.get("required", ()))
        test = lambda v: (  # noqa: E731
            type(v) is dict
            and all(name in v for name in required)
            and all(check(v[name]) for name, check in inner.items() if name in v)
        )
    else:
        test = lambda v: True  # noqa: E731
    if "enum" in schema:
        allowed, base = schema["enum"], test
        test = lambda v: base(v) and v in allowed  # noqa: E731
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None or high is not None:
        ranged = test
        test = lambda v: ranged(v) and (low is None or v >= low) and (high is None or v <= high)  # noqa: E731
    return test


# -- the shape of an object: JSON values only, nested at most MAX_DEPTH levels -----------------


def _bad_scalar(value: Any) -> str | None:
    """Why a value that is not an array or an object cannot be stored; None if it can."""
    kind = type(value)
    if kind is str:
        if "\x00" in value:
            return NUL
        return None if value.isascii() or not _SURROGATE.search(value) else SURROGATE
    if kind is int:
        return None if INT_MIN <= value <= INT_MAX else OUT_OF_RANGE
    if kind is float:
        return None if math.isfinite(value) else NOT_FINITE
    if value is None or kind is bool:
        return None
    return NOT_JSON


SURROGATE = N_("Text must be valid Unicode: this holds a lone surrogate (U+D800 to U+DFFF).")
NUL = N_("Text must not contain the NUL character (U+0000): no database column can hold it.")
OUT_OF_RANGE = N_("This number is too large to store.")
NOT_FINITE = N_("Numbers must be finite (not NaN or Infinity).")
NOT_JSON = N_("Only JSON values are allowed: text, numbers, true, false, null, lists, objects.")
TOO_DEEP = N_("Lists and objects are nested more than {limit} levels deep here: at most {limit}.")
KEY_NOT_TEXT = N_("Property names must be text.")


def well_formed(obj: dict[str, Any]) -> bool:
    """Whether ``obj`` holds only JSON values, valid Unicode, nested at most MAX_DEPTH deep.

    orjson's encoder (C) refuses what JSON cannot hold but NaN; one pass without recursion
    over the lists and objects does the rest. :func:`shape_problem` says where, for the rare
    object that fails."""
    try:
        text = orjson.dumps(obj)
    except TypeError:  # orjson.JSONEncodeError: text, numbers or keys JSON cannot write
        return False
    # Nesting is at most the number of lists and objects, fewer than the brackets written
    # (some may be inside text); NaN and the infinities are written null. The usual object
    # has a few brackets and no null: nothing else to look at.
    if (
        text.count(b"[") + text.count(b"{") <= MAX_DEPTH
        and b"null" not in text
        and (b"\\" not in text or b"\\u0000" not in text)  # a backslash is rare: one memchr
    ):
        return True
    stack: list[tuple[Any, int]] = [(obj, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > MAX_DEPTH:
            return False
        if type(node) is dict and any("\x00" in key for key in node):
            return False
        for value in node.values() if type(node) is dict else node:
            kind = type(value)
            if kind is dict or kind is list:
                push((value, depth + 1))
            elif (kind is float and not math.isfinite(value)) or (kind is str and "\x00" in value):
                return False
    return True


def shape_problem(obj: dict[str, Any], at: str) -> Problem | None:
    """What is wrong with the shape of ``obj`` (:func:`well_formed`), and where."""
    stack: list[tuple[Any, int, str]] = [(obj, 1, at)]
    while stack:
        node, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            return Problem(TOO_DEEP, where, {"limit": MAX_DEPTH})
        items = node.items() if type(node) is dict else enumerate(node)
        found: list[tuple[Any, int, str]] = []
        for key, value in items:
            if type(node) is dict:
                if type(key) is not str:
                    return Problem(KEY_NOT_TEXT, where)
                token = escape_pointer(shown_text(key, len(key)))
                if (why := _bad_scalar(key)) is not None:
                    return Problem(why, f"{where}/{token}")
            else:
                token = str(key)
            if type(value) is dict or type(value) is list:
                found.append((value, depth + 1, f"{where}/{token}"))
            elif (why := _bad_scalar(value)) is not None:
                return Problem(why, f"{where}/{token}")
        stack.extend(reversed(found))
    return None


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
        if not well_formed(obj):
            # Nothing else reads it: its text could not even be repeated in a message.
            problem = shape_problem(obj, at) or Problem(NOT_JSON, at)
            self.add(problem.message, problem.pointer, **problem.params)
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
        self._properties(obj, stix_type, at)
        self._references(obj, at)
        self._extensions(obj, stix_type, at)
        return len(self.problems) == before

    def _properties(self, obj: dict[str, Any], stix_type: str, at: str) -> None:
        """Each property of a known type must be of that type (the OASIS schemas, §4–§7, and
        Puente's extension definitions for its own objects)."""
        types = _property_types(stix_type)
        if not types:
            return
        passes = _passes_by_stix_type[stix_type]
        required = REQUIRED.get(stix_type, ())
        for key, value in obj.items():
            if value is None and key in required:
                continue  # said already: a required property that is missing
            check = passes.get(key)
            if check is not None and not check(value):  # then say what and where
                self._conforms(value, types[key], f"{at}/{escape_pointer(key)}", key)

    def _conforms(self, value: Any, schema: dict[str, Any], at: str, prop: str) -> bool:
        """Check ``value`` against the simple schema (:mod:`puente.records.stix_properties`)."""
        kind = schema.get("type")
        if schema.get("format") == "date-time":
            ok = is_timestamp(value)
            message = TIMESTAMP_MESSAGE
        elif schema.get("format") == "date":
            ok = is_date(value)
            message = N_("{prop} must be a date such as 1984-03-12.")
        elif kind == "string":
            ok = isinstance(value, str)
            message = N_("{prop} must be text.")
            pattern = schema.get("pattern")
            if ok and pattern is not None and not _pattern(pattern).search(value):
                self.add(N_("{prop} is not in the expected form."), at, prop=prop)
                return False
        elif kind == "integer":
            ok = type(value) is int or (type(value) is float and value.is_integer())
            message = N_("{prop} must be a whole number.")
        elif kind == "number":
            ok = type(value) is int or (type(value) is float and math.isfinite(value))
            message = N_("{prop} must be a number.")
        elif kind == "boolean":
            ok = type(value) is bool
            message = N_("{prop} must be true or false.")
        elif kind == "object":
            if type(value) is not dict:
                self.add(N_("{prop} must be a JSON object."), at, prop=prop)
                return False
            passed = True
            for name in schema.get("required", ()):
                if name not in value:
                    self.add(N_("Missing required property {prop}."), f"{at}/{name}", prop=name)
                    passed = False
            for name, inner in schema.get("properties", {}).items():
                if name in value:
                    passed = self._conforms(value[name], inner, f"{at}/{name}", name) and passed
            return passed
        elif kind == "array":
            if type(value) is not list:
                self.add(N_("{prop} must be a list."), at, prop=prop)
                return False
            items = schema.get("items")
            if items is None:
                return True
            passed = True
            for index, item in enumerate(value):
                passed = self._conforms(item, items, f"{at}/{index}", prop) and passed
            return passed
        else:
            ok, message = True, ""
        if not ok:
            self.add(message, at, prop=prop)
            return False
        if "enum" in schema and value not in schema["enum"]:
            choices = ", ".join(str(choice) for choice in schema["enum"])
            self.add(N_("{prop} must be one of {choices}."), at, prop=prop, choices=choices)
            return False
        if kind in ("integer", "number"):
            low, high = schema.get("minimum"), schema.get("maximum")
            if (low is not None and value < low) or (high is not None and value > high):
                if high is None:
                    self.add(N_("{prop} must be at least {minimum}."), at, prop=prop, minimum=low)
                elif low is None:
                    self.add(N_("{prop} must be at most {maximum}."), at, prop=prop, maximum=high)
                else:
                    self.add(N_("{prop} must be from {minimum} to {maximum}."), at, prop=prop,
                             minimum=low, maximum=high)  # fmt: skip
                return False
        return True

    def _timestamps(self, obj: dict[str, Any], stix_type: str, at: str) -> None:
        created = obj.get("created")
        if not is_timestamp(created):
            self.add(TIMESTAMP_MESSAGE, f"{at}/created", prop="created")
            return
        if stix_type in NO_MODIFIED:
            return
        modified = obj.get("modified")
        if modified == created:  # the usual first version: checked already, and in order
            return
        if not is_timestamp(modified):
            self.add(TIMESTAMP_MESSAGE, f"{at}/modified", prop="modified")
        elif timestamp_key(obj["modified"]) < timestamp_key(obj["created"]):
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
        for extension_id, passes in _EXTENSION_PASSES.items():
            body = extensions.get(extension_id)
            if type(body) is not dict:
                continue
            for prop, value in body.items():
                check = passes.get(prop)
                if check is not None and not check(value):
                    where = f"{at}/extensions/{extension_id}/{escape_pointer(prop)}"
                    self._conforms(value, SCHEMAS[extension_id][3][prop], where, prop)

    def _markings(self, body: dict[str, Any], at: str) -> None:
        """Puente's markings extension (docs/records.md), every property of the right type:
        the gate reads them all, and hashes them."""
        if not isinstance(body.get("extension_type", ""), str):
            self.add(N_("{prop} must be text."), f"{at}/extension_type", prop="extension_type")
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
            self.add(N_("agencies must be a list of agency codes such as CBP."), f"{at}/agencies")
            agencies = []
        for index, agency in enumerate(agencies):
            if not isinstance(agency, str) or agency not in BY_CODE:
                self.add(
                    N_("Unknown agency {agency}."), f"{at}/agencies/{index}", agency=shown(agency)
                )
        handling = body.get("handling", "H0")
        if not isinstance(handling, str) or handling not in HANDLING_CODES:
            self.add(N_("handling must be one of H0, H1, H2, H3."), f"{at}/handling")
        handling_text = body.get("handling_text", "")
        if not isinstance(handling_text, str):
            self.add(N_("{prop} must be text."), f"{at}/handling_text", prop="handling_text")
        elif handling == "H3" and not handling_text:
            self.add(N_("Handling H3 needs a handling text."), f"{at}/handling_text")
        reliability = body.get("source_reliability", "A")
        if not isinstance(reliability, str) or reliability not in RELIABILITY:
            self.add(
                N_("Source reliability must be a letter from A to F."), f"{at}/source_reliability"
            )
        credibility = body.get("information_credibility", 1)
        if type(credibility) is not int or credibility not in CREDIBILITY:
            self.add(
                N_("Information credibility must be a number from 1 to 6."),
                f"{at}/information_credibility",
            )


# Puente's property extensions but the markings (ObjectChecker._markings), each property's test.
_EXTENSION_PASSES = {
    extension_id: {prop: _passes(schema) for prop, schema in SCHEMAS[extension_id][3].items()}
    for extension_id in (EXT_PERSON, EXT_PORT)
}


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
