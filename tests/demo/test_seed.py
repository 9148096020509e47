"""`puente demo`'s data set, seeded into real nodes and looked at as its users would."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_instance

from puente.accounts import service as accounts
from puente.audit import service as audit
from puente.demo.seed import DemoSummary, seed
from puente.node import Node
from puente.policy.agencies import BY_CODE, CATALOG
from puente.policy.roles import Principal
from puente.records import builder
from puente.records import service as records
from puente.records.kinds import EXT_PERSON, EXT_PORT
from puente.records.rows import RecordView
from puente.records.text import fold
from tests.support import databases
from tests.support.exports import full_export
from tests.support.nodes import make_node

CURP = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}(\d{2})(\d{2})(\d{2})([HM])"
    r"(AS|BC|BS|CC|CL|CM|CS|CH|DF|DG|GT|GR|HG|JC|MC|MN|MS|NT|NL|OC|PL|QT|QR|SP|SL|SR|TC|TS|TL"
    r"|VZ|YN|ZS|NE)[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\d$"
)
PARTICLE = re.compile(r"^(DE LA |DE LOS |DEL |DE )")
RFC = re.compile(r"^[A-Z&]{4}\d{6}[1-9A-NP-Z]{2}[0-9A]$")
VIN_VALUES = dict(zip("0123456789", range(10), strict=True)) | dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
        strict=True,
    )
)
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class Seeded:
    node: Node
    summary: DemoSummary


@pytest.fixture(scope="module")
def seeded_nodes(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[dict[str, Seeded]]:
    """A United States node and a Mexican node, each seeded once for this module's tests,
    which only read them (seeding takes seconds; seeding anew is tested on a fresh node)."""
    made: dict[str, Seeded] = {}
    urls = []
    try:
        for country in ("USA", "MEX"):
            folder = tmp_path_factory.mktemp(country)
            urls.append(new_database(folder))
            node = make_node(folder / "node", urls[-1], country=country,
                             node_id=f"{country.lower()}-node")  # fmt: skip
            made[country] = Seeded(node, seed(node))
        yield made
    finally:
        for seeded in made.values():
            seeded.node.close()
        for url in urls:
            databases.drop(url)


@pytest.fixture
def us(seeded_nodes: dict[str, Seeded]) -> Seeded:
    return seeded_nodes["USA"]


@pytest.fixture(params=["USA", "MEX"])
def either(request: pytest.FixtureRequest, seeded_nodes: dict[str, Seeded]) -> Seeded:
    """The seeded United States node, then the Mexican one."""
    return seeded_nodes[request.param]


def principal(node: Node, username: str) -> Principal:
    with node.db.session() as session:
        return accounts.principal_for(accounts.get_user(session, username), node.settings)


def visible(node: Node, username: str, **query: Any) -> list[RecordView]:
    """Everything ``username`` finds in search, page after page (revoked records too)."""
    who = principal(node, username)
    found: list[RecordView] = []
    after = None
    with node.db.session() as session:
        while True:
            page = records.search(
                session,
                who,
                records.SearchQuery(include_revoked=True, limit=200, after=after, **query),
            )
            found += page.items
            if page.next_after is None:
                return found
            after = page.next_after


def everything(node: Node, summary: DemoSummary) -> dict[str, RecordView]:
    """The union of what the demo's users can see, by id."""
    return {v.stix_id: v for login in summary.logins for v in visible(node, login.username)}


def vin_is_valid(vin: str) -> bool:
    total = sum(VIN_VALUES[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=True))
    return len(vin) == 17 and vin[8] == ("X" if total % 11 == 10 else str(total % 11))


def curp_check_digit(code: str) -> str:
    values = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
    return str((10 - sum(values.index(c) * (18 - i) for i, c in enumerate(code[:17])) % 10) % 10)


def test_a_us_node_gets_its_logins_and_a_full_data_set(us: Seeded) -> None:
    node, summary = us.node, us.summary

    roles = {login.role: login for login in summary.logins}
    assert set(roles) == {"admin", "analyst", "liaison", "coordinator", "auditor"}
    assert {login.agency for login in summary.logins if login.role == "analyst"} == {
        "CBP",
        "ATF",
        "DEA",
    }
    assert all(BY_CODE[login.agency].country == "USA" for login in summary.logins)
    assert all(len(login.password) >= 10 for login in summary.logins)
    assert "admin" not in {login.username for login in summary.logins}
    with node.db.session() as session:
        signed_in = accounts.authenticate(
            session, node.settings, roles["liaison"].username, roles["liaison"].password
        )
        assert signed_in.agency_code == "HSI"

    seeded = everything(node, summary)
    assert len(seeded) == summary.records
    kinds = Counter(v.kind for v in seeded.values())
    assert kinds["person"] == 60
    assert kinds["seizure"] == 80
    assert kinds["firearm"] == 40
    assert kinds["vehicle"] == 30
    assert kinds["criminal-organization"] == 6
    assert kinds["location"] == 27
    assert kinds["relationship"] >= 120
    names = {v.name for v in seeded.values() if v.kind == "criminal-organization"}
    assert {"Sinaloa Cartel", "Jalisco New Generation Cartel", "Gulf Cartel"} <= names
    seizure_units = Counter(v.content["unit"] for v in seeded.values() if v.kind == "seizure")
    assert seizure_units["lb"] > 40  # CBP counts in pounds
    assert any(v.revoked for v in seeded.values())  # a living data set: one entered twice
    authors = {v.created_by: principal(node, v.created_by) for v in seeded.values()}
    with node.db.session() as session:
        versioned = [
            v
            for v in seeded.values()
            if len(records.versions(session, authors[v.created_by], v.stix_id)) > 1
        ]
    assert len(versioned) >= 5


def test_ports_of_entry_are_the_real_ones(us: Seeded) -> None:
    node = us.node
    ports = visible(node, "dea.analyst", kinds=("location",))
    by_code = {v.content["extensions"][EXT_PORT]["port_code"]: v for v in ports}
    assert len(by_code) == 27
    assert by_code["2504"].name == "San Ysidro Port of Entry"
    assert by_code["2304"].content["administrative_area"] == "Texas"
    assert {"2604", "2402"} <= set(by_code)
    assert abs(by_code["2402"].content["latitude"] - 31.75) < 0.05
    assert all(v.markings.banner() == "TLP:CLEAR · REL TO MEX, USA · H0" for v in ports)
    seizure = visible(node, "cbp.analyst", text="seizure", kinds=("seizure",))[0]
    assert seizure.content["location_ref"] in {v.stix_id for v in ports}


def test_a_mexican_node_is_seeded_in_spanish_with_mexican_agencies(
    seeded_nodes: dict[str, Seeded],
) -> None:
    mx_node, summary = seeded_nodes["MEX"].node, seeded_nodes["MEX"].summary

    assert all(BY_CODE[login.agency].country == "MEX" for login in summary.logins)
    assert {login.agency for login in summary.logins if login.role == "analyst"} >= {"FGR", "GN"}
    seeded = everything(mx_node, summary)
    assert len(seeded) == summary.records
    ports = {
        v.content["extensions"][EXT_PORT]["port_code"]: v
        for v in seeded.values()
        if v.kind == "location"
    }
    assert ports["2504"].content["city"] == "Tijuana"
    assert ports["2304"].content["city"] == "Nuevo Laredo"
    seizures = [v for v in seeded.values() if v.kind == "seizure"]
    assert all(v.name.startswith("Aseguramiento de ") for v in seizures)
    assert {v.content["unit"] for v in seizures} <= {"kg", "l", "pills", "units"}
    assert "Cártel de Sinaloa" in {v.name for v in seeded.values()}
    persons = [v.content["extensions"][EXT_PERSON] for v in seeded.values() if v.kind == "person"]
    two_surnames = [p for p in persons if p.get("maternal_surname")]
    assert len(two_surnames) > 30
    assert any(
        "ñ" in p["paternal_surname"] + p.get("maternal_surname", "") for p in persons
    ) or any("á" in p["given_names"] or "é" in p["paternal_surname"] for p in persons)
    assert any(alias.startswith(("El ", "La ")) for p in persons for alias in p.get("aliases", []))


def test_seeding_again_adds_nothing(node: Node) -> None:
    steps: list[tuple[int, int]] = []
    first = seed(node, progress=lambda done, total: steps.append((done, total)))
    assert steps[-1][0] == steps[-1][1]
    assert [done for done, _ in steps] == sorted(done for done, _ in steps)
    with node.db.session() as session:
        entries = audit.count(session)

    again = seed(node)

    assert again == first
    with node.db.session() as session:
        assert audit.count(session) == entries
    assert len(everything(node, first)) == first.records


def test_identifiers_are_well_formed(either: Seeded) -> None:
    either_node, summary = either.node, either.summary
    seeded = everything(either_node, summary).values()
    vins = [v.content["vin"] for v in seeded if v.kind == "vehicle"]
    assert len(vins) == 30
    assert all(vin_is_valid(vin) for vin in vins), vins
    persons = [v.content["extensions"][EXT_PERSON] for v in seeded if v.kind == "person"]
    documents = [(p, d["type"], d["number"]) for p in persons for d in p.get("documents", [])]
    curps = [(p, n) for p, kind, n in documents if kind == "CURP"]
    rfcs = [(p, n) for p, kind, n in documents if kind == "RFC"]
    assert len(curps) >= 20
    assert len(rfcs) >= 10
    for person, curp in curps:
        match = CURP.match(curp)
        assert match, curp
        born = person["date_of_birth"]
        assert match.groups()[:3] == (born[2:4], born[5:7], born[8:10]), curp
        # Particles (De, Del, De la) are skipped, as RENAPO's rules say.
        surname = PARTICLE.sub("", fold(person["paternal_surname"]).upper())
        assert curp[0] == surname[0], (curp, person["paternal_surname"])
        assert curp[17] == curp_check_digit(curp), curp
    for person, rfc in rfcs:
        assert RFC.match(rfc), rfc
        curp = next(d["number"] for d in person["documents"] if d["type"] == "CURP")
        assert rfc[:10] == curp[:10], (rfc, curp)


def test_amber_strict_stays_with_the_named_agencies(us: Seeded) -> None:
    node = us.node
    cbp = visible(node, "cbp.analyst", tlp=("AMBER+STRICT",))
    cbp_own = [v for v in cbp if v.originating_agency == "CBP"]
    assert cbp_own
    dea = visible(node, "dea.analyst", tlp=("AMBER+STRICT",))
    assert not [v for v in dea if v.originating_agency == "CBP"]
    assert [v for v in dea if v.originating_agency == "DEA"]
    hsi = {v.stix_id for v in visible(node, "hsi.liaison", tlp=("AMBER+STRICT",))}
    assert {v.stix_id for v in cbp_own if "HSI" in v.markings.agencies} <= hsi


def test_red_records_reach_only_their_named_recipients(us: Seeded) -> None:
    node = us.node
    red = visible(node, "hsi.liaison", tlp=("RED",))
    assert red
    assert all("hsi.liaison@USA" in v.markings.recipients for v in red)
    assert {v.stix_id for v in visible(node, "dea.analyst", tlp=("RED",))} >= {
        v.stix_id for v in red
    }
    assert not visible(node, "cbp.analyst", tlp=("RED",))
    assert not visible(node, "inl.admin", tlp=("RED",))
    assert all(v.markings.handling == "H3" and v.markings.handling_text for v in red)


def test_marking_mix_is_realistic(us: Seeded) -> None:
    node, summary = us.node, us.summary
    seeded = everything(node, summary).values()
    banners = Counter((v.markings.tlp, tuple(sorted(v.markings.rel_to))) for v in seeded)
    assert banners[("AMBER", ("USA",))] > 20  # national only
    assert banners[("AMBER", ("MEX", "USA"))] > 100  # shared with the partner
    assert banners[("GREEN", ("MEX", "USA"))] > 5
    assert {v.markings.handling for v in seeded} == {"H0", "H1", "H2", "H3"}
    searchable = [v for v in seeded if v.kind in ("person", "firearm", "vehicle")]
    assert all(v.markings.searchable_by == frozenset({"MEX"}) for v in searchable)
    graded = [v for v in seeded if v.markings.grading()]
    assert len(graded) > 30
    assert {v.kind for v in graded} >= {"person", "relationship", "note"}


def test_no_user_sees_a_link_to_a_record_they_cannot_open(us: Seeded) -> None:
    node, summary = us.node, us.summary
    for login in summary.logins:
        seen = {v.stix_id: v for v in visible(node, login.username)}
        for view in seen.values():
            refs = [
                view.content.get("source_ref"),
                view.content.get("target_ref"),
                view.content.get("location_ref"),
                *view.content.get("object_refs", []),
            ]
            for ref in filter(None, refs):
                assert ref in seen, (login.username, view.name, ref)


def test_seeded_objects_pass_the_oasis_validator_and_the_audit_chain_holds(us: Seeded) -> None:
    node, summary = us.node, us.summary
    seeded = sorted(everything(node, summary).values(), key=lambda v: v.stix_id)
    sample: list[dict[str, Any]] = []
    per_kind: Counter[str] = Counter()
    for view in seeded:
        if per_kind[view.kind] < 6 or view.revoked:
            per_kind[view.kind] += 1
            sample.append(view.content)
    options = ValidationOptions(version="2.1")
    for obj in sample:
        result = validate_instance(obj, options)
        assert result.is_valid, [str(e) for e in result.errors]
    auditor = principal(node, next(u.username for u in summary.logins if u.role == "auditor"))
    with node.db.session() as session:
        report = audit.verify(session, auditor)
    assert report.ok, report.breaks
    assert report.entries > len(summary.logins)


def test_a_full_export_passes_the_oasis_validator_without_relationship_warnings(
    us: Seeded,
) -> None:
    """STIX's suggested relationship types where one fits, Puente's own in its extension: the
    validator warns of nothing but the agencies' identities, whose UUIDv5 ids (the same on
    both nodes, derived from the agency's code: puente.records.builder.agency_identity_id)
    are deliberate where STIX 2.1 §2.9 says SHOULD use UUIDv4."""
    bundle = full_export(us.node)
    assert Counter(o["type"] for o in bundle["objects"])["relationship"] > 100
    options = ValidationOptions(version="2.1")
    warned = set()
    for obj in bundle["objects"]:
        result = validate_instance(obj, options)
        assert result.errors == [], obj["id"]
        warned |= {(re.findall(r"\{\d+\}", str(w))[0], obj["id"]) for w in result.warnings}
    agencies = {builder.agency_identity_id(a.code) for a in CATALOG}
    assert warned == {("{103}", stix_id) for stix_id in agencies}
