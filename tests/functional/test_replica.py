"""A node with a real PostgreSQL streaming replica: reads go to it, writes to the primary, a
user reads their own writes at once, and a replica that stops or falls behind is skipped.

The primary and its replica are fresh clusters built once for the module on free ports
(tests/support/clusters.py); the machine's own cluster is not touched. Which server served
a statement is read from each engine's statements, as the app ran them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from puente.accounts import service as accounts
from puente.db import Replica, ReplicaOptions
from puente.node import Node, open_node
from puente.policy.markings import Markings
from puente.records import service as records
from puente.records.definitions import is_published
from puente.web.app import create_app
from tests.support import clusters, databases
from tests.support.cli import run
from tests.support.nodes import add_user, admin_of, make_node
from tests.support.pages import sign_in
from tests.support.partners import add_partner, basic, store

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(
        not databases.on_postgresql(),
        reason="builds PostgreSQL clusters of its own: runs in the PostgreSQL stage only",
    ),
]

# The replica's own bookkeeping (its checks and the readers' fences), not a request's reads.
BOOKKEEPING = ("pg_current_wal_lsn", "pg_is_in_recovery", "read_fences")


@dataclass
class Statements:
    """What each server ran while a block ran, without the replica's bookkeeping."""

    primary: list[str] = field(default_factory=list)
    replica: list[str] = field(default_factory=list)

    def reads(self, where: str, table: str) -> bool:
        return any(f"FROM {table}" in s and s.lstrip().startswith(("SELECT", "WITH"))
                   for s in getattr(self, where))  # fmt: skip

    def writes(self, where: str) -> bool:
        return any(s.lstrip().startswith(("INSERT", "UPDATE", "DELETE"))
                   for s in getattr(self, where))  # fmt: skip


@dataclass
class Replicated:
    pair: clusters.ReplicatedPair
    node: Node
    client: TestClient
    seen: Statements = field(default_factory=Statements)

    @contextmanager
    def statements(self) -> Iterator[Statements]:
        self.seen = Statements()
        yield self.seen

    def bearer(self, username: str) -> dict[str, str]:
        who = add_user(self.node, username, "CBP", ["analyst"])
        with self.node.db.session() as session:
            issued = accounts.create_token(session, who, username, "tests", 1)
        return {"Authorization": f"Bearer {issued.token}"}

    def search(self, headers: dict[str, str], words: str) -> list[str]:
        found = self.client.get("/api/v1/records", params={"q": words}, headers=headers)
        assert found.status_code == 200, found.text
        return [item["name"] for item in found.json()["items"]]

    def create(self, headers: dict[str, str], name: str) -> None:
        body = {"kind": "incident", "fields": {"name": name}, "markings": {"tlp": "GREEN"}}
        made = self.client.post("/api/v1/records", json=body, headers=headers)
        assert made.status_code == 201, made.text

    @property
    def replica(self) -> Any:
        assert self.node.db.replica is not None
        return self.node.db.replica


def _listen(engine: Engine, into: Replicated, where: str) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_c: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not any(word in statement for word in BOOKKEEPING):
            getattr(into.seen, where).append(statement)


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    if reason := clusters.unavailable():
        pytest.skip(reason)
    pair = clusters.replicated_pair()
    try:
        pair.primary.execute("CREATE DATABASE puente")
        data_dir = tmp_path_factory.mktemp("replicated") / "node"
        sections = {
            "database_replica_url": pair.replica.url("puente"),
            "replica": {"max_lag_seconds": 1.0, "check_seconds": 0.1},
        }
        make_node(data_dir, pair.primary.url("puente"), sections=sections).close()
        node = open_node(data_dir)
        assert node.db.replica is not None
        pair.wait_replayed()
        with TestClient(create_app(node), follow_redirects=False) as client:
            found = Replicated(pair, node, client)
            _listen(node.db.engine, found, "primary")
            _listen(node.db.replica.engine, found, "replica")
            yield found
        node.close()
    finally:
        pair.close()


def test_search_pages_and_taxii_read_the_replica_and_write_the_primary(
    replicated: Replicated,
) -> None:
    r = replicated
    headers = r.bearer("ana.reads")
    with r.statements() as created:
        r.create(headers, "Operación Halcón")
    assert created.writes("primary")
    assert not created.replica
    r.pair.wait_replayed()

    with r.statements() as searched:
        assert r.search(headers, "halcon") == ["Operación Halcón"]  # accent-insensitive
    assert searched.reads("replica", "records")
    assert not searched.reads("primary", "records")
    assert not searched.writes("replica")
    # The search's audit entry, and the lock on the chain's head, are on the primary.
    assert any("INSERT INTO audit_entries" in s for s in searched.primary)
    assert any("FOR UPDATE" in s for s in searched.primary)

    sign_in(r.client, "ana.reads")
    with r.statements() as paged:
        page = r.client.get("/records", params={"q": "Halcón"})
    assert page.status_code == 200
    assert "Operación Halcón" in page.text
    assert paged.reads("replica", "records")
    assert not paged.reads("primary", "records")
    r.client.cookies.clear()

    # A partner's TAXII collection, read from the replica.
    admin = add_user(r.node, "ana.admin", "CBP", ["admin"])
    secret = add_partner(r.node, admin)
    shared = store(r.node, admin, "Cargamento compartido")
    r.pair.wait_replayed()
    partner = basic("mx-node", secret)
    # The first read of a collection stores its id and the served definitions: on the
    # primary, and every read after them in that request too.
    listed = r.client.get("/taxii2/api/collections/", headers=partner)
    (collection,) = [c["id"] for c in listed.json()["collections"] if c["can_read"]]
    objects_url = f"/taxii2/api/collections/{collection}/objects/"
    with r.statements() as first:
        assert r.client.get(objects_url, headers=partner).status_code == 200
    assert first.writes("primary")
    assert not first.writes("replica")
    r.pair.wait_replayed()
    with r.statements() as pulled:
        objects = r.client.get(objects_url, headers=partner)
    assert objects.status_code == 200, objects.text
    assert [o["id"] for o in objects.json()["objects"] if not is_published(o)] == [shared]
    assert pulled.reads("replica", "records")
    assert not pulled.reads("primary", "records")
    assert not pulled.writes("replica")
    # A user's TAXII read, by API token, too.
    with r.statements() as user_pull:
        listed = r.client.get("/taxii2/api/collections/", headers={**partner, **headers})
    assert listed.status_code == 200
    assert user_pull.reads("replica", "taxii_collections")
    assert not user_pull.reads("primary", "taxii_collections")

    health = r.client.get("/healthz").json()["replica"]
    assert health["state"] == "ok"
    assert health["reads_on_replica"] >= 4


def test_a_user_reads_their_own_write_at_once_while_the_replica_is_paused(
    replicated: Replicated,
) -> None:
    r = replicated
    writer, other = r.bearer("beto.writes"), r.bearer("carla.reads")
    r.pair.wait_replayed()
    r.pair.replica.execute("SELECT pg_wal_replay_pause()")
    try:
        fenced = r.replica.counts.fenced
        with r.statements() as created:
            r.create(writer, "Decomiso en Nogales")
        assert not created.replica
        with r.statements() as searched:
            assert r.search(writer, "Nogales") == ["Decomiso en Nogales"]
        assert searched.reads("primary", "records")
        assert not searched.replica
        assert r.replica.counts.fenced == fenced + 1

        # A token revoked on the primary is refused at once: callers are authenticated there.
        with r.node.db.session() as session:
            user = accounts.get_user(session, "carla.reads")
            who = accounts.principal_for(user, r.node.settings)
            (token,) = accounts.list_tokens(session, who)
            accounts.revoke_token(session, who, token.id)
        refused = r.client.get("/api/v1/records", params={"q": "x"}, headers=other)
        assert refused.status_code == 401

        # Someone else, once the paused replica is further behind than the bound (1 s): the
        # primary, counted as a fallback; what they read is the primary's, and complete.
        time.sleep(1.3)
        fallbacks = r.replica.counts.fallbacks
        third = r.bearer("dora.reads")
        with r.statements() as behind:
            assert r.search(third, "Nogales") == ["Decomiso en Nogales"]
        assert not behind.replica
        assert r.replica.counts.fallbacks == fallbacks + 1
        assert r.client.get("/healthz").json()["replica"]["replay_paused"] is True
    finally:
        r.pair.replica.execute("SELECT pg_wal_replay_resume()")
    r.pair.wait_replayed()
    time.sleep(0.2)  # past check_seconds: the next read checks the replica again
    with r.statements() as caught_up:
        assert r.search(writer, "Nogales") == ["Decomiso en Nogales"]
    assert caught_up.reads("replica", "records")


def test_a_stopped_replica_falls_back_to_the_primary(replicated: Replicated) -> None:
    r = replicated
    headers = r.bearer("eva.reads")
    r.create(headers, "Vehículo robado en Laredo")
    r.pair.wait_replayed()
    options = r.replica.options
    # The replica was just found well, and is not checked again for a minute: the request
    # after it stops finds out when its connection to the replica is refused.
    r.replica.options = replace(options, check_seconds=60)
    assert r.replica.check(time.monotonic()).state == "ok"
    r.pair.replica.stop("immediate")
    try:
        fallbacks = r.replica.counts.fallbacks
        for _ in range(2):  # the first finds it down, the second knows it
            with r.statements() as searched:
                assert r.search(headers, "Laredo") == ["Vehículo robado en Laredo"]
            assert searched.reads("primary", "records")
        assert r.replica.counts.fallbacks == fallbacks + 2
        assert r.replica.state.state == "down"
        r.replica.options = options
        time.sleep(0.2)  # checked again: still down, by its own check this time
        assert r.search(headers, "Laredo") == ["Vehículo robado en Laredo"]
        assert r.replica.counts.fallbacks == fallbacks + 3
        health = r.client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["replica"]["state"] == "down"
    finally:
        r.replica.options = options
        r.pair.replica.start()
    r.pair.wait_replayed()
    time.sleep(0.2)
    with r.statements() as back:
        assert r.search(headers, "Laredo") == ["Vehículo robado en Laredo"]
    assert back.reads("replica", "records")


def test_node_status_shows_the_replica(replicated: Replicated) -> None:
    code, output = run("node", "status", "--data-dir", str(replicated.node.settings.data_dir))
    assert code == 0, output
    assert f"Read replica: {replicated.pair.replica.url('puente')}" in output
    assert "State: in use" in output
    assert "Lag: " in output


def test_a_replica_url_naming_another_database_is_never_read(
    replicated: Replicated, tmp_path: Path
) -> None:
    """A standby holds every database of its primary's cluster, and the WAL position is the
    cluster's: a replica URL naming another node's database on it (a typo, a second node on
    the same server) passed every check, and the node answered its users' searches with the
    other node's records. Reads go to a replica only if it is a standby of this database."""
    r = replicated
    r.pair.primary.execute("CREATE DATABASE puente_other")
    other = make_node(tmp_path / "other", r.pair.primary.url("puente_other"), node_id="us-other")
    with other.db.session() as session:
        records.create(session, other.settings, admin_of(other), "incident",
                       {"name": "Expediente del otro nodo"},
                       Markings(tlp="GREEN", rel_to=frozenset({"USA"})))  # fmt: skip
    other.close()
    headers = r.bearer("fay.reads")
    r.create(headers, "Expediente de este nodo")
    r.pair.wait_replayed()
    options = ReplicaOptions(max_lag_seconds=1.0, check_seconds=0.1)
    misnamed = Replica(r.pair.replica.url("puente_other"), r.node.db.engine, options)
    own, r.node.db.replica = r.node.db.replica, misnamed
    try:
        assert r.search(headers, "expediente") == ["Expediente de este nodo"]
        assert misnamed.state.state == "not-a-standby"
        assert "puente_other" in misnamed.state.problem
    finally:
        r.node.db.replica = own
        misnamed.dispose()
