"""Audit checkpoints across the border: Mexico's node posts the checkpoints it signs with its
receipts; the United States node checks and keeps them, and hands them back to Mexico's
auditors, whose chain they then pin even after everything on Mexico's side was rewritten."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.audit import checkpoints
from puente.audit import service as audit
from puente.audit.models import AuditEntry
from puente.sharing import sync
from puente.sharing.models import HeldCheckpoint, Partner
from tests.support.audit import erase_checkpoints, rewrite
from tests.support.cli import run
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import MX_SECRET, US_SECRET, add_user, admin_of


def _checkpoint(linked: Linked) -> checkpoints.Checkpoint:
    with linked.mx.db.session() as session:
        return audit.checkpoint(session, linked.mx.settings, admin_of(linked.mx))


def _held(linked: Linked) -> list[HeldCheckpoint]:
    with linked.us.db.session() as session:
        return list(session.execute(select(HeldCheckpoint).order_by(HeldCheckpoint.seq)).scalars())


def _inbox(
    linked: Linked, monkeypatch: pytest.MonkeyPatch, objects: list[dict[str, object]]
) -> dict[str, object]:
    """Post to the US node's inbox as Mexico's node signs in there."""
    us_app, _ = route_both_ways(linked, monkeypatch)
    client = TestClient(us_app, base_url="http://us.test")
    client.auth = httpx.BasicAuth("mx-node", US_SECRET)
    with linked.mx.db.session() as session:
        push_url = session.execute(select(Partner.push_url)).scalar_one()
    response = client.post(push_url, content=orjson.dumps({"objects": objects}),
                           headers={"Content-Type": "application/taxii+json;version=2.1"})  # fmt: skip
    assert response.status_code == 202, response.text
    body: dict[str, object] = response.json()
    return body


def test_the_partner_keeps_the_checkpoints_posted_with_the_receipts(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    route_both_ways(linked, monkeypatch)
    first = _checkpoint(linked)
    sync.sync(linked.mx, "us-node")
    held = _held(linked)
    assert [(h.id, h.seq, h.head_hash) for h in held] == [(first.id, first.seq, first.head_hash)]
    # Verbatim: the line Mexico's file holds, which its auditors verify against.
    own = linked.mx.settings.checkpoint_path.read_text(encoding="utf-8").splitlines()
    assert [h.body for h in held] == own
    # Posted once: later syncs post only the checkpoints signed since.
    sync.sync(linked.mx, "us-node")
    second = _checkpoint(linked)
    sync.sync(linked.mx, "us-node")
    assert [h.id for h in _held(linked)] == [first.id, second.id]
    with linked.us.db.session() as session:
        kept = session.execute(
            select(AuditEntry.actor, AuditEntry.target).where(
                AuditEntry.action == "sync.checkpoint"
            )
        ).all()
    assert kept == [("partner:mx-node", first.id), ("partner:mx-node", second.id)]
    with linked.mx.db.session() as session:
        refused = session.execute(
            select(AuditEntry).where(AuditEntry.action == "sync.post-refused")
        ).all()
    assert refused == []


def test_the_partner_refuses_a_checkpoint_that_does_not_verify(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    route_both_ways(linked, monkeypatch)
    sync.sync(linked.mx, "us-node")  # Mexico learns where the inbox is
    made = _checkpoint(linked)
    altered = {**made.body, "seq": made.seq - 1}
    foreign = {**made.body, "node_id": "us-node"}
    status = _inbox(linked, monkeypatch, [altered, foreign, {**made.body, "signature": "00" * 64}])
    assert status["failure_count"] == 3
    messages = [f["message"] for f in status["failures"]]  # type: ignore[attr-defined]
    assert "The checkpoint's signature does not verify with the partner's pinned key." in messages
    assert "The checkpoint names another node than the partner that posted it." in messages
    assert made.id not in {h.id for h in _held(linked)}
    assert _inbox(linked, monkeypatch, [made.body])["success_count"] == 1
    assert made.id in {h.id for h in _held(linked)}


def test_a_partner_that_signs_two_chains_is_caught_by_the_copy_held_here(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever holds Mexico's key may sign a checkpoint of a rewritten chain; the United
    States node already holds the first one for the same entry, and says so."""
    route_both_ways(linked, monkeypatch)
    sync.sync(linked.mx, "us-node")
    made = _checkpoint(linked)
    other = checkpoints.sign(linked.mx.settings.key_path, "mx-node", made.seq, "ab" * 32,
                             made.at)  # fmt: skip
    assert _inbox(linked, monkeypatch, [made.body, other.body])["success_count"] == 2
    with linked.us.db.session() as session:
        conflict = session.execute(
            select(AuditEntry).where(AuditEntry.action == "sync.checkpoint-conflict")
        ).scalar_one()
    assert conflict.target == other.id
    assert made.id in conflict.details


def test_the_partners_copy_shows_a_rewrite_that_erased_every_copy_at_home(
    linked: Linked, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    route_both_ways(linked, monkeypatch)
    add_user(linked.us, "otto", "INL", ["auditor"])
    add_user(linked.mx, "olga", "FGR", ["auditor"])
    _checkpoint(linked)
    sync.sync(linked.mx, "us-node")
    copy = tmp_path / "held-by-us.jsonl"
    code, output = run("partner", "checkpoints", "mx-node", "--out", str(copy), "--as", "otto",
                       "--data-dir", str(linked.us.settings.data_dir))  # fmt: skip
    assert code == 0, output
    assert "written to" in output
    # Someone with Mexico's database and files rewrites an early entry, recomputes the chain
    # and erases both of Mexico's copies of the checkpoints.
    rewrite(linked.mx, 2)
    erase_checkpoints(linked.mx)
    mx_dir = str(linked.mx.settings.data_dir)
    alone = run("audit", "verify", "--as", "olga", "--data-dir", mx_dir)
    assert alone[0] == 0, alone[1]  # nothing at home can show it, and verify says so
    assert "No signed checkpoint pins this chain yet" in alone[1]
    code, output = run("audit", "verify", "--as", "olga", "--partner-copy", str(copy),
                       "--data-dir", mx_dir)  # fmt: skip
    assert code == 1, output
    assert "partners' copies: " in output
    assert "the chain was rewritten" in output
    assert "the partner holds a checkpoint of this entry that this node's copies lack" in output
    assert "No copy held by a partner was checked" not in output


def test_only_auditors_and_admins_export_a_partners_checkpoints(linked: Linked) -> None:
    add_user(linked.us, "ana", "CBP", ["analyst"])
    code, output = run("partner", "checkpoints", "mx-node", "--as", "ana",
                       "--data-dir", str(linked.us.settings.data_dir))  # fmt: skip
    assert code == 1
    assert "audit.read" in output
    assert MX_SECRET not in output
