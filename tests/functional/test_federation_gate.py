"""After a sync, the receiver holds exactly what the sender's gate releases to it.

The sending node holds records under randomly generated markings (REL TO, TLP, agencies of
either country, recall); Mexico's node pulls; a third partner (Canada, for the test) reads
its own collection over TAXII. Each must hold or see exactly the set the gate releases to
its country: nothing more, nothing less.
"""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import httpx
import orjson
from sqlalchemy import select

from puente.node import open_node
from puente.policy.agencies import agency_countries
from puente.policy.gate import PartnerNode, decide
from puente.policy.markings import MARKINGS_EXTENSION, TLP_MARKING_IDS
from puente.records.models import Record
from puente.records.rows import facts_of
from tests.support.servers import free_port, puente, start_server

COUNTRIES = ("USA", "MEX", "CAN")
AGENCIES = ("CBP", "DEA", "FGR", "SEMAR", "GN")
CA_SECRET = "issued-by-us-to-canada-0001"
MX_SECRET = "issued-by-us-to-mexico-0001"


def random_incident(rng: random.Random, n: int) -> dict[str, object]:
    rel_to = sorted({"USA", *rng.sample(COUNTRIES, rng.randint(0, 3))})
    markings: dict[str, object] = {"extension_type": "property-extension", "rel_to": rel_to,
                                   "handling": rng.choice(("H0", "H1", "H2"))}  # fmt: skip
    if rng.random() < 0.3:
        markings["agencies"] = sorted(rng.sample(AGENCIES, rng.randint(1, 3)))
    tlp = rng.choice(("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"))
    return {
        "type": "incident", "spec_version": "2.1", "id": f"incident--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "created": "2026-03-01T12:00:00.000Z", "modified": "2026-03-01T12:00:00.000Z",
        "name": f"Caso {n}", "object_marking_refs": [TLP_MARKING_IDS[tlp]],
        "extensions": {MARKINGS_EXTENSION: markings},
    }  # fmt: skip


def test_each_partner_holds_exactly_what_the_gate_releases_to_it(
    tmp_path: Path, database_url: str
) -> None:
    rng = random.Random(20261127)
    us, mx = tmp_path / "us", tmp_path / "mx"
    puente("init", "--node-id", "us-node", "--country", "USA", "--admin-password",
           "admin-password-1", "--database-url", database_url, data_dir=us)  # fmt: skip
    puente("init", "--node-id", "mx-node", "--country", "MEX", "--admin-password",
           "admin-password-1", data_dir=mx)  # fmt: skip
    objects = [random_incident(rng, n) for n in range(300)]
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                     "objects": objects}))  # fmt: skip
    puente("import", "stix", str(bundle), data_dir=us)
    recalled = [
        str(o["id"])
        for o in objects[:12]
        # The admin recalls what it may see (not another agency's AMBER+STRICT or RED).
        if puente("recall", str(o["id"]), "--reason", "test", data_dir=us, check=False).returncode
        == 0
    ]
    assert len(recalled) >= 3

    port = free_port()
    us_key = puente("node", "key", data_dir=us).stdout.strip()
    mx_key = puente("node", "key", data_dir=mx).stdout.strip()
    puente("partner", "add", "mx-node", "--country", "MEX", "--url", "http://127.0.0.1:9",
           "--key", mx_key, "--secret", "unused-secret-000000000001", "--issue-secret", MX_SECRET,
           data_dir=us)  # fmt: skip
    puente("partner", "add", "ca-node", "--country", "CAN", "--url", "http://127.0.0.1:9",
           "--key", "ef" * 32, "--secret", "unused-secret-000000000002", "--issue-secret",
           CA_SECRET, data_dir=us)  # fmt: skip
    puente("partner", "add", "us-node", "--country", "USA", "--url", f"http://127.0.0.1:{port}",
           "--key", us_key, "--secret", MX_SECRET, "--issue-secret", "unused-secret-00000000003",
           data_dir=mx)  # fmt: skip

    node = open_node(us)
    try:
        with node.db.session() as session:
            rows = session.execute(select(Record)).scalars().all()
            expected = {
                country: {
                    (r.stix_id, r.modified_key)
                    for r in rows
                    if decide(facts_of(r), PartnerNode(country, agency_countries()))
                }
                for country in ("MEX", "CAN")
            }
    finally:
        node.close()
    assert expected["MEX"] != expected["CAN"]  # the markings really do differ

    server = start_server(us, port)
    try:
        puente("sync", "us-node", data_dir=mx)
        canada = _read_all(f"http://127.0.0.1:{port}/taxii2/", "ca-node", CA_SECRET)
        mexico_collection = _collection_ids(
            f"http://127.0.0.1:{port}/taxii2/", "mx-node", MX_SECRET
        )
        canada_collection = _collection_ids(
            f"http://127.0.0.1:{port}/taxii2/", "ca-node", CA_SECRET
        )
        # Canada's credentials on Mexico's collection: as if it did not exist.
        refused = httpx.get(
            f"http://127.0.0.1:{port}/taxii2/api/collections/{mexico_collection[0]}/objects/",
            auth=("ca-node", CA_SECRET), headers={"Accept": "application/taxii+json;version=2.1"},
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert set(mexico_collection).isdisjoint(canada_collection)
    assert refused.status_code == 404

    node = open_node(mx)
    try:
        with node.db.session() as session:
            held = set(
                session.execute(
                    select(Record.stix_id, Record.modified_key).where(
                        Record.received.is_(True), Record.owner_node == "us-node"
                    )
                ).all()
            )
    finally:
        node.close()
    assert held == expected["MEX"]
    assert canada == expected["CAN"]
    assert not {stix_id for stix_id, _ in held} & set(recalled)


def _collection_ids(url: str, user: str, secret: str) -> list[str]:
    found = httpx.get(f"{url}api/collections/", auth=(user, secret),
                      headers={"Accept": "application/taxii+json;version=2.1"}).json()  # fmt: skip
    return [c["id"] for c in found["collections"]]


def _read_all(url: str, user: str, secret: str) -> set[tuple[str, str]]:
    """Every (id, version key) in the partner's readable collection, through next tokens."""
    from puente.records.definitions import is_published
    from puente.records.validation import timestamp_key

    headers = {"Accept": "application/taxii+json;version=2.1"}
    collections = httpx.get(f"{url}api/collections/", auth=(user, secret), headers=headers).json()
    (readable,) = [c for c in collections["collections"] if c["can_read"]]
    objects_url = f"{url}api/collections/{readable['id']}/objects/"
    seen: set[tuple[str, str]] = set()
    params = {"limit": "50", "match[version]": "all"}
    while True:
        page = httpx.get(objects_url, params=params, auth=(user, secret), headers=headers).json()
        seen |= {
            (o["id"], timestamp_key(o.get("modified") or o["created"]))
            for o in page.get("objects", [])
            if not is_published(o)  # the definitions every collection serves: no records
        }
        if not page.get("more"):
            return seen
        params["next"] = page["next"]
