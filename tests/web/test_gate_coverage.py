"""Issue 2, item 5: no route returns a record the egress gate did not release.

The test enumerates the app's routes as they are when it runs (REST, HTML views, anything
added later), calls every GET route as a signed-in user with every seeded record id (visible
and invisible to that user) in its path and query, and checks each response:

- every seeded record id in the body was released by the gate to that user during that very
  request (an observer registered with :func:`puente.policy.gate.observe` saw it), so a route
  that reads records without the gate fails;
- no record the user may not see shows its id or its name, whatever the route.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from puente.accounts import service as accounts
from puente.config import Settings
from puente.node import Node
from puente.policy import gate
from puente.policy.gate import Audience
from puente.policy.roles import Principal
from puente.policy.schemas import MarkingsIn
from puente.records import service as records
from puente.records.kinds import KINDS
from puente.records.models import Record
from puente.records.rows import facts_of
from puente.sharing.collections import collection_id
from puente.web.app import create_app
from puente.web.deps import SESSION_COOKIE
from tests.support.nodes import add_user

STIX_ID = re.compile(
    r"[a-z0-9][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{12}"
)
PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
MISSING_ID = "incident--0badc0de-0000-4000-8000-000000000000"


def get_routes(app: FastAPI) -> list[str]:
    """Every GET path of the app, however FastAPI nests included routers."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI versions whose app.routes is already flat
        contexts: list[Any] = list(app.routes)
    else:
        contexts = list(iter_route_contexts(app.routes))
    paths = {ctx.path for ctx in contexts if "GET" in (getattr(ctx, "methods", None) or ())}
    return sorted(p for p in paths if p)


def query_params(app: FastAPI, path: str) -> list[str]:
    """The names of a route's query parameters, where FastAPI says them."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        contexts: list[Any] = list(app.routes)
    else:
        contexts = list(iter_route_contexts(app.routes))
    for ctx in contexts:
        if ctx.path == path and "GET" in (getattr(ctx, "methods", None) or ()):
            dependant = getattr(ctx, "dependant", None)
            if dependant is not None:
                return [p.name for p in dependant.query_params]
    return []


def _marks(tlp: str = "AMBER", **more: Any) -> Any:
    return MarkingsIn(tlp=tlp, **more).to_markings("USA")


def _seed(node: Node, ana: Principal) -> dict[str, str]:
    """Records under a mix of markings; names are what a leak would show."""
    made: dict[str, str] = {}

    def create(name: str, kind: str, fields: dict[str, Any], markings: Any) -> str:
        with node.db.session() as session:
            made[name] = records.create(session, node.settings, ana, kind, fields, markings).stix_id
        return made[name]

    cartel = create(
        "Cartel Visible",
        "criminal-organization",
        {"name": "Cartel Visible"},
        _marks("GREEN", rel_to=["MEX"]),
    )
    person = create(
        "Persona Visible",
        "person",
        {"given_names": "Persona", "paternal_surname": "Visible"},
        _marks(),
    )
    create(
        "Vinculo Visible",
        "relationship",
        {"source_ref": person, "relationship_type": "member-of", "target_ref": cartel},
        _marks(),
    )
    create(
        "Puerto Visible", "location", {"name": "Puerto Visible", "country": "US"}, _marks("CLEAR")
    )
    create("Tunel Visible", "incident", {"name": "Tunel Visible"}, _marks())
    zafiro = create(
        "Zafiro Oculto",
        "person",
        {"given_names": "Zafiro", "paternal_surname": "Oculto"},
        _marks(agencies=["CBP"]),
    )
    create(
        "Vinculo Oculto",
        "relationship",
        {"source_ref": zafiro, "relationship_type": "member-of", "target_ref": cartel},
        _marks(agencies=["CBP"]),
    )
    create(
        "Nota Oculta",
        "note",
        {"content": "Nota Oculta", "object_refs": [zafiro, person]},
        _marks(agencies=["CBP"]),
    )
    create("Rubi Secreto", "incident", {"name": "Rubi Secreto"}, _marks("RED"))
    add_user(node, "dan", "DEA", ["analyst", "liaison"])  # the next record's named recipient
    create(
        "Rubi Compartido",
        "incident",
        {"name": "Rubi Compartido"},
        _marks("RED", recipients=["dan"]),
    )
    create("Ambar Estricto", "incident", {"name": "Ambar Estricto"}, _marks("AMBER+STRICT"))
    revoked = create("Revocado Visible", "incident", {"name": "Revocado Visible"}, _marks())
    versioned = create("Version Vieja", "incident", {"name": "Version Vieja"}, _marks())
    foreign = create(
        "Registro Mexicano", "incident", {"name": "Registro Mexicano"}, _marks(rel_to=["MEX"])
    )
    with node.db.session() as session:
        records.revoke(session, node.settings, ana, revoked)
        records.new_version(
            session, node.settings, ana, versioned, {"name": "Version Nueva"}, _marks()
        )
        # As if received from Mexico's node, REL TO Mexico only (no federation yet).
        session.execute(
            update(Record)
            .where(Record.stix_id == foreign)
            .values(
                owner_node="mx-node",
                owner_country="MEX",
                received=True,
                rel_to=",MEX,",
                originating_agency="FGR",
            )
        )
    return made


RFI_IDS = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222")


def _seed_requests(node: Node, ana: Principal, seeded: dict[str, str]) -> None:
    """Two answered requests, one each way, that released every seeded record."""
    from puente.rfis.models import Rfi
    from puente.sharing import partners

    moment = datetime.now(UTC)
    with node.db.session() as session:
        admin = accounts.principal_for(accounts.get_user(session, "admin"), node.settings)
        partner = partners.add_partner(session, admin, node_id="mx-node", country="MEX",
                                       display_name="Nodo México", base_url="http://127.0.0.1:9",
                                       public_key="00" * 32, outbound_secret="s" * 32,
                                       inbound_secret="t" * 32).partner  # fmt: skip
        for rfi_id, direction in zip(RFI_IDS, ("outgoing", "incoming"), strict=True):
            session.add(Rfi(id=rfi_id, direction=direction, partner_id=partner.id,
                            state="answered", priority="routine", title="Solicitud",
                            question="?", case_reference="C-1", legal_basis="TAJM",
                            requester=ana.username, requester_agency=ana.agency,
                            subject='{"category": "person", "given_names": "Persona", '
                            '"paternal_surname": "Buscada"}', category="person",
                            created_at=moment, updated_at=moment, answer="Aqui",
                            released=",".join(seeded.values())))  # fmt: skip


@dataclass
class Caller:
    principal: Principal
    headers: dict[str, str]
    cookies: dict[str, str]
    token_id: int


def _caller(node: Node, username: str, agency: str, roles: list[str]) -> Caller:
    who = add_user(node, username, agency, roles)
    with node.db.session() as session:
        issued = accounts.create_token(session, who, username, "route test", 1)
        user = accounts.get_user(session, username)
        opened = accounts.open_session(session, node.settings, user)
    return Caller(
        who,
        {"Authorization": f"Bearer {issued.token}"},
        {SESSION_COOKIE: opened.session_id},
        issued.id,
    )


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


def _hidden_from(node: Node, caller: Caller, seeded: dict[str, str]) -> dict[str, str]:
    """name → id of every seeded record (any version) the gate keeps from ``caller``."""
    with node.db.session() as session:
        rows = list(session.execute(select(Record)).scalars())
    visible = {r.stix_id for r in rows if gate.decide(facts_of(r), caller.principal.audience)}
    return {name: stix_id for name, stix_id in seeded.items() if stix_id not in visible}


def _references(node: Node) -> dict[str, set[str]]:
    """stix id → the ids its stored versions mention besides their own."""
    found: dict[str, set[str]] = {}
    with node.db.session() as session:
        for stix_id, content in session.execute(select(Record.stix_id, Record.content)):
            found.setdefault(stix_id, set()).update(set(STIX_ID.findall(content)) - {stix_id})
    return found


def _requests(
    app: FastAPI, settings: Settings, seeded: dict[str, str], caller: Caller
) -> Iterator[str]:
    """Every GET route, with each known value in its path and query parameters."""
    ids = [*seeded.values(), MISSING_ID]
    with app.state.node.db.session() as session:
        records_collection = collection_id(session, "records")
    pools: dict[str, list[str]] = {
        "stix_id": ids,
        "record_id": ids,
        "id": ids,
        "related_to": ids,
        "target": ids,
        "token_id": [str(caller.token_id)],
        "kind": sorted(KINDS),
        "q": ["visible", "oculto", "zafiro", "rubi", "mexicano"],
        "username": [caller.principal.username],
        "seq": ["1"],
        # TAXII: the caller's own collection (users of the node see the "records" one).
        "collection_id": [records_collection, "00000000-0000-4000-8000-000000000000"],
        "object_id": ids,
        "status_id": ["00000000-0000-4000-8000-000000000000"],
        "rfi_id": [*RFI_IDS, "00000000-0000-4000-8000-000000000000"],
    }
    fallback = [*ids, *sorted(KINDS), "1"]
    for path in get_routes(app):
        names = PATH_PARAM.findall(path)
        if names:
            values = [pools.get(name, fallback) for name in names]
            for combination in _product(values):
                concrete = path
                for value in combination:
                    concrete = PATH_PARAM.sub(value, concrete, count=1)
                yield concrete
        else:
            yield path
            for param in query_params(app, path):
                for value in pools.get(param, []):
                    yield f"{path}?{param}={value}"


def _product(values: list[list[str]]) -> Iterator[tuple[str, ...]]:
    if not values:
        yield ()
        return
    for head in values[0]:
        for rest in _product(values[1:]):
            yield (head, *rest)


@pytest.mark.parametrize(
    ("username", "agency", "expected_hidden"),
    [
        pytest.param(
            "dan",
            "DEA",
            {
                "Zafiro Oculto",
                "Vinculo Oculto",
                "Nota Oculta",
                "Rubi Secreto",
                "Ambar Estricto",
                "Registro Mexicano",
            },
            id="an analyst of another agency",
        ),
        pytest.param(
            "carla",
            "CBP",
            {"Rubi Secreto", "Rubi Compartido", "Registro Mexicano"},
            id="an analyst of the originating agency",
        ),
    ],
)
def test_every_get_route_releases_records_only_through_the_gate(
    node: Node,
    client: TestClient,
    analyst: Principal,
    username: str,
    agency: str,
    expected_hidden: set[str],
) -> None:
    seeded = _seed(node, analyst)
    _seed_requests(node, analyst, seeded)
    caller = _caller(node, username, agency, ["analyst", "liaison"])
    hidden = _hidden_from(node, caller, seeded)
    assert set(hidden) == expected_hidden
    seeded_ids = set(seeded.values())
    references = _references(node)

    client.cookies.update(caller.cookies)  # signed in to the HTML views as well
    released: list[tuple[str, Audience]] = []
    stop = gate.observe(lambda stix_id, audience: released.append((stix_id, audience)))
    called: set[str] = set()
    with_records = 0
    try:
        for url in _requests(client.app, node.settings, seeded, caller):  # type: ignore[arg-type]
            released.clear()
            response = client.get(url, headers=caller.headers)
            called.add(url.split("?")[0])
            path, _, query = unquote(url).partition("?")
            # An id sent in the query may be echoed back (a filter shown in a form); an id in
            # the path may appear in a refusal ("no record X"), but a success showing it must
            # have had the gate release it.
            asked = set(STIX_ID.findall(query))
            if response.status_code >= 300:
                asked |= set(STIX_ID.findall(path))
            body = response.text
            shown = set(STIX_ID.findall(body)) & seeded_ids
            to_caller = {
                stix_id for stix_id, audience in released if audience == caller.principal.audience
            }
            # A released record may name others in its references (a note's object_refs).
            cited = {ref for stix_id in to_caller for ref in references.get(stix_id, ())}
            bypassed = shown - asked - to_caller - cited
            assert not bypassed, f"GET {url} returned {bypassed} without the gate releasing them"
            for name, stix_id in hidden.items():
                if stix_id not in asked:
                    assert stix_id not in body, f"GET {url} shows hidden record {name}"
                if name.lower() not in unquote(url).lower():
                    assert name not in body, f"GET {url} shows the name of hidden {name}"
            with_records += bool(shown - asked)
    finally:
        stop()
    assert with_records >= 3, "no route returned any record: the test checked nothing"
    assert {"/api/v1/records", "/api/v1/export"} <= called
    with node.db.session() as session:
        records_collection = collection_id(session, "records")
    assert f"/taxii2/api/collections/{records_collection}/objects/" in called
