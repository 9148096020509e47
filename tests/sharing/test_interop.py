"""What analysts' own tools make of what Puente sends: the demo's full export, and a partner's
collection as TAXII serves it, through MISP's STIX 2.1 importer (misp-stix, the converter
MISP runs on an upload) and through the OpenCTI client library's bundle import (pycti), with
a recording stand-in for the OpenCTI server it would talk to.

Neither tool has a mapping for an object type STIX does not define, so Puente's seizures,
firearms and vehicles (new SDOs of its extensions), and incidents for MISP, are reported as
unsupported; everything else must arrive whole: as many objects, the same names, the same
TLP, and nothing else reported wrong.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from puente.demo.seed import seed
from puente.policy.markings import TLP_BY_MARKING_ID
from puente.records.kinds import FIREARM_TYPE, SEIZURE_TYPE, VEHICLE_TYPE
from puente.web.app import create_app
from tests.support import databases
from tests.support.exports import full_export, partner_collection
from tests.support.nodes import admin_of, make_node
from tests.support.partners import add_partner

# The test extra installs both (pip install -e '.[test]'); a checkout without them says so.
misp_stix = pytest.importorskip("misp_stix_converter", reason="pip install -e '.[test]'")
pycti = pytest.importorskip("pycti", reason="pip install -e '.[test]'")
from misp_stix_converter.tools import load_stix2_content  # noqa: E402
from pycti.utils.opencti_stix2 import OpenCTIStix2  # noqa: E402


def _six_finds_specs() -> None:
    """misp-stix's dependency mixbox vendors six 1.15, whose import hook, put on
    sys.meta_path as misp-stix loads, has no find_spec: pytest's importlib import mode asks
    every hook for one, so every test module collected after this one would fail to import.
    Give the hook six 1.16's find_spec (the upstream fix)."""
    from importlib.util import spec_from_loader

    from mixbox.vendor import six

    hook = type(six._importer)
    if not hasattr(hook, "find_spec"):

        def find_spec(self: Any, fullname: str, path: Any = None, target: Any = None) -> Any:
            return spec_from_loader(fullname, self) if fullname in self.known_modules else None

        hook.find_spec = find_spec
        hook.create_module = lambda self, spec: self.load_module(spec.name)
        hook.exec_module = lambda self, module: None


_six_finds_specs()

PUENTE_TYPES = {SEIZURE_TYPE, FIREARM_TYPE, VEHICLE_TYPE}
# The external STIX 2.1 importer of misp-stix maps no incident (a STIX 2.1 stub object).
NOT_IN_MISP = PUENTE_TYPES | {"incident"}
# OpenCTI imports extension definitions as no entity; it reads the ones it knows in place.
NOT_IN_OPENCTI = PUENTE_TYPES | {"extension-definition"}
STANDARD_KINDS = ("person", "organization", "criminal-organization", "location")


@dataclass(frozen=True)
class Sent:
    export: dict[str, Any]
    standard: dict[str, Any]  # `puente export stix --kind person --kind organization ...`
    collection: dict[str, Any]  # what the partner's collection serves it


@pytest.fixture(scope="module")
def sent(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[Sent]:
    """The demo seeded once into a United States node with Mexico as its partner; the tests
    only read what it sends."""
    folder = tmp_path_factory.mktemp("interop")
    url = new_database(folder)
    node = make_node(folder / "node", url)
    try:
        seed(node)
        secret = add_partner(node, admin_of(node))
        with TestClient(create_app(node)) as client:
            served = partner_collection(client, "mx-node", secret)
        yield Sent(full_export(node), full_export(node, STANDARD_KINDS), _bundle(served))
    finally:
        node.close()
        databases.drop(url)


def _bundle(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "bundle", "id": "bundle--6f1c2a7e-0b4d-4e8a-9c35-2d7b1e0f4a96",
            "objects": objects}  # fmt: skip


def _tlp(obj: dict[str, Any]) -> str:
    levels = [TLP_BY_MARKING_ID[m] for m in obj.get("object_marking_refs", [])]
    return levels[0].lower() if levels else ""


@dataclass
class Misp:
    """A bundle as MISP reads it: its events, and what the importer reported."""

    events: list[Any]
    errors: list[str]
    warnings: list[str]


def to_misp(bundle: dict[str, Any], single_event: bool = False) -> Misp:
    parser = misp_stix.ExternalSTIX2toMISPParser()
    parser.load_stix_bundle(load_stix2_content(json.dumps(bundle)))
    parser.parse_stix_bundle(single_event=single_event)
    events = [parser.misp_event] if single_event else list(parser.misp_events)
    return Misp(events, [e for found in (parser.errors or {}).values() for e in found],
                [w for found in (parser.warnings or {}).values() for w in found])  # fmt: skip


def test_misp_converts_the_standard_kinds_whole_with_their_names_and_tlp(sent: Sent) -> None:
    objects = sent.standard["objects"]
    misp = to_misp(sent.standard, single_event=True)
    assert (misp.errors, misp.warnings) == ([], [])
    (event,) = misp.events
    converted = {o.uuid: o for o in event.objects}
    people = [o for o in objects if o.get("identity_class") == "individual"]
    places = [o for o in objects if o["type"] == "location"]
    assert len(people) > 20
    assert len(places) > 20
    for obj in people + places:
        misp_object = converted.pop(obj["id"].partition("--")[2])
        assert misp_object.name == ("identity" if obj["type"] == "identity" else "geolocation")
        values = {a.object_relation: a.value for a in misp_object.attributes}
        if obj["type"] == "identity":
            assert values["name"] == obj["name"]
        else:  # MISP's geolocation has no name: the place is where it is
            assert (values["latitude"], values["longitude"]) == (obj["latitude"], obj["longitude"])
            assert (values.get("city"), values["countrycode"]) == (obj.get("city"), obj["country"])
        assert {t.name for a in misp_object.attributes for t in a.tags} == {f"tlp:{_tlp(obj)}"}
    # What is left is the organizations: the agencies and the organizations analysts recorded.
    organizations = {o["id"].partition("--")[2] for o in objects
                     if o.get("identity_class") == "organization"}  # fmt: skip
    assert set(converted) <= organizations
    assert {o.name for o in converted.values()} == {"organization"}
    crime = {o["name"] for o in objects if o["type"] == "threat-actor"}
    clusters = {c.value for g in event.galaxies for c in g.clusters}
    assert clusters == crime


@pytest.mark.parametrize("what", ["export", "collection"])
def test_misp_reports_nothing_wrong_but_the_types_it_has_no_mapping_for(
    sent: Sent, what: str
) -> None:
    bundle = getattr(sent, what)
    misp = to_misp(bundle)
    assert misp.warnings == []
    unsupported = re.compile(r"(Unable to load|Unknown) STIX object type: (?P<type>[a-z0-9-]+)")
    reported = Counter()
    for error in misp.errors:
        found = unsupported.fullmatch(error)
        assert found is not None, error
        reported[found["type"]] += 1
    # A note is lost where it is about only objects MISP does not load.
    assert set(reported) <= NOT_IN_MISP | {"note"}
    loaded = Counter(o["type"] for o in bundle["objects"])
    for kind in NOT_IN_MISP:
        assert reported[kind] >= loaded[kind]
    # A report is an event, named and marked as the report is.
    reports = [o for o in bundle["objects"] if o["type"] == "report"]
    assert sorted(e.info for e in misp.events) == sorted(r["name"] for r in reports)
    for event, report in zip(sorted(misp.events, key=lambda e: e.info),
                             sorted(reports, key=lambda r: r["name"]), strict=True):  # fmt: skip
        assert f"tlp:{_tlp(report)}" in {t.name for t in event.tags}


@pytest.mark.parametrize("what", ["export", "collection"])
def test_misp_names_the_agency_that_produced_each_report(sent: Sent, what: str) -> None:
    bundle = getattr(sent, what)
    names = {o["id"]: o["name"] for o in bundle["objects"] if o["type"] == "identity"}
    reports = {r["name"]: r for r in bundle["objects"] if r["type"] == "report"}
    for event in to_misp(bundle).events:
        producer = names.get(reports[event.info]["created_by_ref"])
        assert f'misp-galaxy:producer="{producer}"' in {t.name for t in event.tags}


@dataclass
class OpenCti:
    """A recording stand-in for the OpenCTI server pycti's importer calls: what it would
    create, in order, and the errors pycti logged."""

    created: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    get_attribute_in_extension = staticmethod(pycti.OpenCTIApiClient.get_attribute_in_extension)

    def log(self, level: str, message: str) -> None:
        if level == "error":
            self.errors.append(message)

    def set_retry_number(self, number: int) -> None:
        pass

    def __getattr__(self, entity: str) -> _Entity:
        return _Entity(self, entity)


@dataclass
class _Entity:
    server: OpenCti
    name: str

    def import_from_stix2(self, **given: Any) -> dict[str, Any]:
        obj = given.get("stixObject") or given["stixRelation"]
        self.server.created.append({"entity": self.name, "object": obj, **given["extras"]})
        return {"id": obj["id"], "entity_type": obj["type"]}

    def __getattr__(self, method: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


def to_opencti(bundle: dict[str, Any]) -> OpenCti:
    server = OpenCti()
    OpenCTIStix2(server).import_bundle(json.loads(json.dumps(bundle)))
    return server


@pytest.mark.parametrize("what", ["export", "collection"])
def test_opencti_imports_every_standard_object_after_what_it_refers_to(
    sent: Sent, what: str
) -> None:
    bundle = getattr(sent, what)
    server = to_opencti(bundle)
    unknown = Counter(re.findall(r'Unknown object type "([a-z0-9-]+)"', " ".join(server.errors)))
    assert len(server.errors) == sum(unknown.values())
    assert set(unknown) == NOT_IN_OPENCTI & {o["type"] for o in bundle["objects"]}
    standard = [o for o in bundle["objects"] if o["type"] not in NOT_IN_OPENCTI]
    assert sorted(c["object"]["id"] for c in server.created) == sorted(o["id"] for o in standard)
    # OpenCTI resolves an author and markings by the objects created before: each comes first.
    seen: set[str] = set()
    for created in server.created:
        obj = created["object"]
        for ref in [created["created_by_id"], *created["object_marking_ids"]]:
            assert ref is None or ref in seen, (obj["id"], ref)
        seen.add(obj["id"])
    people = [c for c in server.created if c["object"].get("identity_class") == "individual"]
    assert {c["entity"] for c in people} == {"identity"}
    links = [c["object"] for c in server.created if c["entity"] == "stix_core_relationship"]
    assert {r["relationship_type"] for r in links} <= {"related-to", "located-at"}
