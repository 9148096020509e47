"""Refused reads reach the audit log, counted so that guessing ids cannot flood it; and the
plan's export and the reading of hit/no-hit answers are audited. Through the real exits:
REST with a token, web pages signed in, TAXII and the command line."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.accounts import service as accounts
from puente.audit import denials
from puente.audit import service as audit
from puente.audit.models import AuditEntry
from puente.clock import now
from puente.hits.answering import SENT
from puente.hits.models import HitQuery
from puente.node import Node
from puente.policy.roles import Principal
from puente.sharing.models import Partner
from puente.web.app import create_app
from tests.support.cli import run
from tests.support.nodes import add_user
from tests.support.pages import sign_in
from tests.support.partners import add_partner, basic, incident, store


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def dea(node: Node) -> Principal:
    return add_user(node, "dan", "DEA", ["analyst"])


def bearer(node: Node, who: Principal) -> dict[str, str]:
    with node.db.session() as session:
        issued = accounts.create_token(session, who, who.username, "tests", 1)
    return {"Authorization": f"Bearer {issued.token}"}


def entries(node: Node, action: str, actor: str = "") -> list[dict[str, Any]]:
    with node.db.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        rows = session.execute(query).scalars().all()
        return [{"actor": e.actor, "target": e.target, **json.loads(e.details)} for e in rows]


def guess() -> str:
    return f"incident--{uuid.uuid4()}"


def test_guessed_ids_are_logged_at_1_10_100_and_the_hours_total(
    client: TestClient, node: Node, analyst: Principal, dea: Principal, auditor: Principal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    hidden = store(node, analyst, "CBP only", agencies=frozenset({"CBP"}))
    headers = bearer(node, dea)
    asked = [hidden, *(guess() for _ in range(118))]
    for stix_id in asked:
        assert client.get(f"/api/v1/records/{stix_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/records/{hidden}/versions", headers=headers).status_code == 404
    logged = entries(node, "record.denied", "dan")
    assert [e["count"] for e in logged] == [1, 10, 100]
    first = logged[0]
    assert (first["target"], first["ids"], first["final"]) == (hidden, [hidden], False)
    assert logged[2]["ids"] == asked[: denials.IDS_KEPT]
    assert logged[2]["target"] == asked[99]
    # The hour ends; the next refusal (anyone's) gives the chain the hour's total.
    later = now() + timedelta(hours=1)
    monkeypatch.setattr(denials, "now", lambda: later)
    assert client.get(f"/api/v1/records/{hidden}/related", headers=headers).status_code == 404
    logged = entries(node, "record.denied", "dan")
    assert [(e["count"], e["final"]) for e in logged] == [(1, False), (10, False), (100, False),
                                                          (120, True), (1, False)]  # fmt: skip
    assert logged[3]["hour"] != logged[4]["hour"]
    with node.db.session() as session:
        assert audit.verify(session, auditor).ok


def test_a_record_a_user_may_read_is_no_denial(
    client: TestClient, node: Node, analyst: Principal
) -> None:
    mine = store(node, analyst, "Mine")
    assert client.get(f"/api/v1/records/{mine}", headers=bearer(node, analyst)).status_code == 200
    assert entries(node, "record.denied") == []


def test_refused_record_pages_and_taxii_reads_are_logged(
    client: TestClient, node: Node, analyst: Principal, dea: Principal
) -> None:
    hidden = store(node, analyst, "CBP only", agencies=frozenset({"CBP"}))
    with node.db.session() as session:
        token = accounts.create_token(session, dea, "dan", "taxii", 1).token
    taxii = basic("dan", token)
    (collection,) = client.get("/taxii2/api/collections/", headers=taxii).json()["collections"]
    base = f"/taxii2/api/collections/{collection['id']}/objects/{hidden}/"
    assert client.get(base, headers=taxii).status_code == 404
    assert client.get(base + "versions/", headers=taxii).status_code == 404
    sign_in(client, "dan")
    assert client.get(f"/records/{hidden}").status_code == 404
    assert client.get(f"/records/{hidden}/edit").status_code == 404
    assert [e["count"] for e in entries(node, "record.denied", "dan")] == [1]
    with node.db.session() as session:
        (row,) = session.execute(select(denials.AuditDenial)).scalars().all()
    assert (row.actor, row.action, row.count) == ("dan", "record.denied", 4)


def test_the_plan_export_is_audited_on_every_exit(
    client: TestClient, node: Node, analyst: Principal
) -> None:
    assert client.get("/api/v1/plan/export", headers=bearer(node, analyst)).status_code == 200
    sign_in(client, "ana")
    assert client.get("/plan/export").status_code == 200
    env = {"PUENTE_HOME": str(node.settings.data_dir), "PUENTE_LANG": "en"}
    code, output = run("plan", "export", "--as", "ana", env=env)
    assert code == 0, output
    exported = entries(node, "plan.export")
    assert [e["actor"] for e in exported] == ["ana", "ana", "ana"]
    assert {"elements", "updates", "sha256"} <= set(exported[0])


def _sent_query(node: Node, username: str) -> str:
    query_id = str(uuid.uuid4())
    with node.db.session() as session:
        partner = session.execute(select(Partner)).scalar_one()
        session.add(HitQuery(id=query_id, direction=SENT, partner_id=partner.id,
                             username=username, agency="CBP", case_reference="CBP/0042",
                             legal_basis="19 U.S.C. 1589a", key_count=3, categories="person",
                             hits='{"person": ["name-dob"]}', subjects="[]",
                             created_at=datetime.now(UTC)))  # fmt: skip
    return query_id


def test_reading_a_hit_query_is_audited_and_another_users_is_a_logged_denial(
    client: TestClient, node: Node, admin: Principal, analyst: Principal, dea: Principal
) -> None:
    add_partner(node, admin)
    query_id = _sent_query(node, "ana")
    ana = bearer(node, analyst)
    assert client.get(f"/api/v1/hits/queries/{query_id}", headers=ana).status_code == 200
    assert client.get("/api/v1/hits/queries", headers=ana).status_code == 200
    read = entries(node, "hits.read", "ana")
    assert [(e["target"], e["partner"]) for e in read] == [(query_id, "mx-node")]
    assert entries(node, "hits.list", "ana")[0]["ids"] == [query_id]
    theirs = client.get(f"/api/v1/hits/queries/{query_id}", headers=bearer(node, dea))
    assert theirs.status_code == 404
    assert [e["target"] for e in entries(node, "hits.denied", "dan")] == [query_id]
    sign_in(client, "ana")
    assert client.get(f"/hits/queries/{query_id}").status_code == 200
    assert len(entries(node, "hits.read", "ana")) == 2


def test_an_import_probing_a_hidden_records_id_is_a_logged_denial(
    client: TestClient, node: Node, analyst: Principal, dea: Principal
) -> None:
    """Importing an object under the id of a record one may not see is refused (403): the
    refusal confirms the id is in use, so it is a refused read like a 404 and is logged."""
    hidden = store(node, analyst, "CBP only", agencies=frozenset({"CBP"}))
    probe = incident("Probe") | {"id": hidden, "modified": "2099-01-01T00:00:00.000Z"}
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [probe]}
    refused = client.post("/api/v1/bundles", json=bundle, headers=bearer(node, dea))
    assert refused.status_code == 403, refused.text
    assert [(e["target"], e["count"]) for e in entries(node, "record.denied", "dan")] == [
        (hidden, 1)
    ]


def test_a_refused_read_is_answered_while_an_import_holds_the_write_lock(
    client: TestClient, node: Node, dea: Principal
) -> None:
    """An import holds the node's write lock for its whole transaction (minutes for millions
    of objects, PostgreSQL; on SQLite every writer takes turns anyway). Counting a refused
    read waited for that lock: a guessed id hung until the import committed, while the
    searches and pages it does not refuse go on."""
    import threading

    from puente.db import lock_writes

    if node.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes writers take turns: no lock to share")
    headers = bearer(node, dea)
    answered: list[int] = []
    with node.db.session() as importing:
        lock_writes(importing)  # as an import does, until it commits
        asking = threading.Thread(
            target=lambda: answered.append(
                client.get(f"/api/v1/records/{guess()}", headers=headers).status_code
            ),
            daemon=True,
        )
        asking.start()
        asking.join(10)
        waited = asking.is_alive()
    asking.join(30)
    assert not waited, "a refused read waited for the import's write lock"
    assert answered == [404]
