"""A fake partner serving pages that mix valid objects with generated malformed ones.

The malformed objects are derived from the STIX 2.1 JSON schemas (the property types
tools/stix_properties.py reads from them) and Puente's extension schemas
(puente/records/extensions.py): a property of the wrong JSON type, a required property
missing, nesting hundreds of levels deep, impossible or malformed timestamps, lone surrogates
in text or in a property name, text larger than the node accepts, something that is not an
object at all. Every valid object must be stored, every malformed one quarantined with a
reason, the cursor must move past the page, the partner row must record the failure, and
nothing may raise or log an error.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from puente.node import Node
from puente.policy.markings import MARKINGS_EXTENSION, TLP_MARKING_IDS
from puente.policy.roles import Principal
from puente.records.extensions import SCHEMAS
from puente.records.kinds import EXT_PERSON, EXT_SEIZURE, SDO_EXTENSIONS
from puente.records.models import Record
from puente.records.stix_properties import PROPERTIES
from puente.records.validation import MAX_DEPTH, REQUIRED
from puente.sharing import partners, sync
from puente.sharing.models import Partner, Quarantined
from tests.support.hostile import nested
from tests.support.partners import FakePartner

OBJECT_LIMIT = 16_384  # bytes an object may take on the fuzzed node: "huge" stays cheap
STAMP = "2026-02-01T08:00:00.000Z"
MARKINGS = {"extension_type": "property-extension", "rel_to": ["MEX", "USA"], "handling": "H0",
            "agencies": ["FGR"], "source_reliability": "B", "information_credibility": 2}  # fmt: skip
MARKINGS_SCHEMA = SCHEMAS[MARKINGS_EXTENSION][3]
PERSON_SCHEMA = SCHEMAS[EXT_PERSON][3]

# Text a valid object may hold: any character but lone surrogates and NUL.
text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=40
)


def _base(stix_type: str, **props: Any) -> dict[str, Any]:
    return {
        "type": stix_type, "spec_version": "2.1", "id": f"{stix_type}--{uuid.uuid4()}",
        "created": STAMP, "modified": STAMP, "object_marking_refs": [TLP_MARKING_IDS["AMBER"]],
        "extensions": {MARKINGS_EXTENSION: dict(MARKINGS)}, **props,
    }  # fmt: skip


@st.composite
def valid_objects(draw: st.DrawFn) -> dict[str, Any]:
    """An object a partner's Puente would serve: each kind of record, marked."""
    name = draw(text)
    kind = draw(st.sampled_from(["incident", "threat-actor", "person", "seizure", "indicator"]))
    if kind == "incident":
        return _base("incident", name=name, description=draw(text))
    if kind == "threat-actor":
        return _base("threat-actor", name=name, threat_actor_types=["crime-syndicate"],
                     aliases=draw(st.lists(text, max_size=3)))  # fmt: skip
    if kind == "person":
        obj = _base("identity", name=name, identity_class="individual")
        obj["extensions"][EXT_PERSON] = {
            "extension_type": "property-extension", "given_names": name,
            "paternal_surname": draw(text), "date_of_birth": "1984-03-12",
            "documents": [{"type": "CURP", "number": draw(text)}],
        }  # fmt: skip
        return obj
    if kind == "seizure":
        obj = _base("x-puente-seizure", name=name, substance="fentanyl", unit="kg",
                    quantity=draw(st.floats(min_value=0, max_value=1e6)))  # fmt: skip
        obj["extensions"][EXT_SEIZURE] = {"extension_type": "new-sdo"}
        return obj
    return _base("indicator", name=name, pattern="[ipv4-addr:value = '10.0.0.1']",
                 pattern_type="stix", valid_from=STAMP, confidence=draw(st.integers(0, 100)))  # fmt: skip


# -- what a property may not be, from its schema ------------------------------------------------

SCALARS = {
    "string": st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()),
    "integer": st.one_of(text, st.booleans(), st.none(), st.floats(0.1, 0.9)),
    "number": st.one_of(text, st.booleans(), st.none()),
    "boolean": st.one_of(st.integers(), text, st.none()),
}
CONTAINERS = st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(text, st.integers(),
                                                                            max_size=2))  # fmt: skip


def wrong_value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value that does not conform to ``schema``, whatever else it is."""
    kind = schema.get("type", "string")  # a timestamp or a closed list of values: text
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        return st.one_of(
            SCALARS["string"] | st.just("text"), st.dictionaries(text, st.integers(), max_size=2),
            wrong_value(items).map(lambda bad: ["fine" if items.get("type") == "string" else {},
                                                bad]),
        )  # fmt: skip
    if kind == "object":
        return st.one_of(SCALARS["string"], text, st.lists(st.integers(), max_size=2))
    return st.one_of(SCALARS[kind], CONTAINERS)


def schema_of(obj: dict[str, Any]) -> dict[str, tuple[list[str], dict[str, Any]]]:
    """Every property the object may be wrong in: (its path, its schema)."""
    stix_type = obj["type"]
    table = PROPERTIES.get(stix_type) or {**PROPERTIES[""], **SCHEMAS[SDO_EXTENSIONS[stix_type]][3]}
    found = {prop: ([prop], schema) for prop, schema in table.items()}
    found |= {f"markings/{prop}": (["extensions", MARKINGS_EXTENSION, prop], schema)
              for prop, schema in MARKINGS_SCHEMA.items()}  # fmt: skip
    if EXT_PERSON in obj["extensions"]:
        found |= {f"person/{prop}": (["extensions", EXT_PERSON, prop], schema)
                  for prop, schema in PERSON_SCHEMA.items()}  # fmt: skip
    return found


def put(obj: dict[str, Any], path: list[str], value: Any) -> None:
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


BAD_TIMESTAMPS = st.sampled_from([
    "2020-13-45T99:00:00.000Z", "2026-02-30T12:00:00Z", "2026-02-01T24:00:00Z",
    "2026-02-01 08:00:00Z", "2026-02-01T08:00:00+02:00", "2026-02-01", "yesterday", "",
]) | SCALARS["string"]  # fmt: skip


@st.composite
def malformed_objects(draw: st.DrawFn) -> Any:
    obj = draw(valid_objects())
    how = draw(st.sampled_from(["wrong type", "missing", "deep", "timestamp", "surrogate",
                                "huge", "not an object"]))  # fmt: skip
    if how == "wrong type":
        properties = schema_of(obj)
        path, schema = properties[draw(st.sampled_from(sorted(properties)))]
        put(obj, path, draw(wrong_value(schema)))
    elif how == "missing":
        required = ["type", "id", "created", "modified", "spec_version",
                    *REQUIRED.get(obj["type"], ())]  # fmt: skip
        del obj[draw(st.sampled_from(required))]
    elif how == "deep":
        where = draw(st.sampled_from(["description", "x_tree", "markings"]))
        value = nested(draw(st.integers(MAX_DEPTH, 500)), kind=draw(st.sampled_from(["list", "o"])))
        put(obj, ["extensions", MARKINGS_EXTENSION, "x_more"] if where == "markings" else [where],
            value)  # fmt: skip
    elif how == "timestamp":
        put(obj, [draw(st.sampled_from(["created", "modified"]))], draw(BAD_TIMESTAMPS))
    elif how == "surrogate":
        lone = chr(draw(st.integers(0xD800, 0xDFFF)))
        if draw(st.booleans()):
            obj["name"] = obj["name"] + lone
        else:
            obj["x_" + lone] = "a property name with a lone surrogate"
    elif how == "huge":
        obj["description"] = "x" * draw(st.integers(OBJECT_LIMIT, 4 * OBJECT_LIMIT))
    else:
        return draw(st.one_of(st.integers(), text, st.none(), st.lists(st.integers(), max_size=3)))
    return obj


# -- the fake partner ---------------------------------------------------------------------------


@pytest.fixture
def fuzzed(node: Node, admin: Principal) -> Iterator[FakePartner]:
    node.settings.limits.max_object_bytes = OBJECT_LIMIT
    fake = FakePartner()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with node.db.session() as session:
        partners.add_partner(
            session, admin, node_id="mx-fuzz", country="MEX", display_name="Fuzz",
            base_url=f"http://127.0.0.1:{server.server_address[1]}", public_key="ab" * 32,
            outbound_secret="secret-for-the-fuzzing-partner",
        )  # fmt: skip
    yield fake
    server.shutdown()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])  # fmt: skip
@given(
    good=st.lists(valid_objects(), min_size=1, max_size=3),
    bad=st.lists(malformed_objects(), min_size=1, max_size=3),
    order=st.randoms(use_true_random=False),
)
def test_every_valid_object_is_stored_and_every_malformed_one_quarantined(
    node: Node,
    fuzzed: FakePartner,
    caplog: pytest.LogCaptureFixture,
    good: list[dict[str, Any]],
    bad: list[Any],
    order: Any,
) -> None:
    page = [*good, *bad]
    order.shuffle(page)
    stamp = f"2026-02-01T09:00:00.{len(fuzzed.pages) + 1:06d}Z"
    fuzzed.pages.append((stamp, page))
    with node.db.session() as session:
        quarantined_before = session.execute(select(func.count(Quarantined.id))).scalar_one()
        failures_before = session.execute(select(Partner.failure_count)).scalar_one()
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        report = sync.sync(node, "mx-fuzz")

    with node.db.session() as session:
        reasons = session.execute(
            select(Quarantined.reason).where(Quarantined.date_added == stamp)
        ).scalars().all()  # fmt: skip
    assert (report.stored, report.quarantined) == (len(good), len(bad)), reasons
    with node.db.session() as session:
        stored = set(
            session.execute(
                select(Record.stix_id).where(Record.stix_id.in_([o["id"] for o in good]))
            ).scalars()
        )
        quarantined = session.execute(
            select(Quarantined).where(Quarantined.date_added == stamp)
        ).scalars().all()  # fmt: skip
        partner = session.execute(select(Partner)).scalar_one()
        assert session.execute(select(func.count(Quarantined.id))).scalar_one() == (
            quarantined_before + len(bad)
        )
    assert stored == {o["id"] for o in good}
    assert len(quarantined) == len(bad)
    assert all(q.reason for q in quarantined)
    assert partner.cursor == stamp
    assert (partner.failures, partner.failure_count) == (0, failures_before + 1)
    assert partner.last_error_kind == "quarantine"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
