"""Signed checkpoints of the audit chain: what whoever can write the database does to the
chain, and what `puente audit verify` then says.

The intruder works as in tests/audit/test_service.py, with plain SQL on the tables; but this
one also recomputes every hash after a change, and rewinds the head after deleting the newest
entries, so the chain's own links hold. Only a signed checkpoint kept out of the database's
reach shows what was done.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from puente.audit import checkpoints
from puente.audit import service as audit
from puente.audit.models import AuditCheckpoint, AuditEntry
from puente.errors import Conflict
from puente.node import Node
from puente.policy.roles import Principal
from puente.web.app import create_app
from tests.support.audit import last_seq, rewind, rewrite, sql
from tests.support.cli import run
from tests.support.nodes import token_headers
from tests.support.pages import page, sign_in


def _append(node: Node, count: int, actor: str = "ana") -> None:
    with node.db.session() as session:
        for index in range(count):
            audit.append(session, actor, "test.event", f"target-{index}",
                         marking="TLP:AMBER · REL TO USA · H0", details={"index": index})  # fmt: skip


def puente(node: Node, *args: str, lang: str = "en") -> tuple[int, str]:
    return run(*args, "--data-dir", str(node.settings.data_dir), env={"PUENTE_LANG": lang})


def checkpoint(node: Node, who: str = "otto") -> str:
    code, output = puente(node, "audit", "checkpoint", "--as", who)
    assert code == 0, output
    return output


@pytest.fixture
def pinned(node: Node, auditor: Principal) -> int:
    """Twenty entries, then a checkpoint taken with `puente audit checkpoint`; the sequence
    number it pins."""
    _append(node, 20)
    pinned = last_seq(node)
    checkpoint(node)
    return pinned


def test_a_checkpoint_is_signed_and_kept_in_the_file_and_the_database(
    node: Node, pinned: int
) -> None:
    lines = node.settings.checkpoint_path.read_text(encoding="utf-8").splitlines()
    assert node.settings.checkpoint_path.parent == node.settings.key_path.parent
    assert len(lines) == 1
    made = checkpoints.parse(orjson.loads(lines[0]))
    assert made is not None
    assert (made.node_id, made.seq) == ("us-node", pinned)
    with node.db.session() as session:
        assert made.head_hash == session.get(AuditEntry, pinned).hash  # type: ignore[union-attr]
        row = checkpoints.newest_row(session)
        assert row is not None
        assert row.body == lines[0]
        assert (
            session.execute(
                select(AuditEntry.action).where(AuditEntry.seq == pinned + 1)
            ).scalar_one()
            == "audit.checkpoint"
        )
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 0, output
    assert "Signed checkpoints: 1 (checkpoint file: 1; database: 1; partners' copies: 0)" in output
    assert f"Entries 1 to {pinned} are pinned by a signed checkpoint" in output


def test_deleting_the_newest_five_entries_and_rewinding_the_head_is_detected(
    node: Node, pinned: int
) -> None:
    rewind(node, 5 + 1)  # the five newest it pins, and the checkpoint's own entry
    # The chain's own links and head hold: without the checkpoint this verified "intact".
    with node.db.session() as session:
        assert session.execute(text("SELECT seq FROM audit_head")).scalar_one() == pinned - 5
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 1, output
    assert f"Entry {pinned}: a signed checkpoint pins this entry, but the chain ends before it: " \
           "entries deleted" in output  # fmt: skip
    assert "Audit chain BROKEN: 1 problem" in output


def test_an_edited_entry_with_every_later_hash_recomputed_is_detected(
    node: Node, pinned: int
) -> None:
    rewrite(node, 3)
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 1, output
    assert f"Entry {pinned}: differs from what the signed checkpoint of this entry pins: the " \
           "chain was rewritten" in output  # fmt: skip


def test_the_file_still_shows_a_rewrite_when_the_database_copy_is_deleted(
    node: Node, pinned: int
) -> None:
    sql(node, "DELETE FROM audit_checkpoints")
    rewrite(node, 7)
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 1, output
    assert "the chain was rewritten" in output
    assert "(checkpoint file: 1; database: 0;" in output
    assert "the database lacks" in output  # a note on the deleted row


def test_a_deleted_checkpoint_file_is_detected_from_the_database_copy(
    node: Node, pinned: int
) -> None:
    node.settings.checkpoint_path.unlink()
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 1, output
    assert "the checkpoint file is missing, yet the database holds checkpoints" in output


def test_a_cut_checkpoint_file_is_detected_from_the_database_copy(node: Node, pinned: int) -> None:
    _append(node, 3)
    checkpoint(node)
    path = node.settings.checkpoint_path
    first = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(first + "\n", encoding="utf-8")
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 1, output
    assert "the checkpoint file lacks: the file was cut or replaced" in output


def test_a_checkpoint_written_to_another_hosts_file_is_not_looked_for_here(
    node: Node, pinned: int
) -> None:
    """Servers on two hosts share the database; each keeps its own file."""
    with node.db.session() as session:
        head = session.get(AuditEntry, pinned)
        assert head is not None
        other = checkpoints.sign(node.settings.key_path, "us-node", pinned, head.hash,
                                 "2026-01-01T00:00:00.000Z", "another-hosts-file")  # fmt: skip
        session.add(AuditCheckpoint(seq=other.seq, head_hash=other.head_hash, at=other.at,
                                    body=other.line))  # fmt: skip
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 0, output
    assert "Signed checkpoints: 1 (checkpoint file: 1; database: 2;" in output
    rewrite(node, 1)  # it still pins the chain
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 1
    assert "the chain was rewritten" in output


def _forge(line: str, **changes: object) -> str:
    body = orjson.loads(line)
    body.update(changes)
    return orjson.dumps(body).decode()


def test_a_forged_checkpoint_line_is_detected(node: Node, pinned: int) -> None:
    """The intruder rewrites the chain, then appends a checkpoint of the new head: copying an
    old signature onto it, or signing it with a key of their own."""
    rewrite(node, 4)
    path = node.settings.checkpoint_path
    line = path.read_text(encoding="utf-8").splitlines()[0]
    with node.db.session() as session:
        new_hash = session.get(AuditEntry, pinned).hash  # type: ignore[union-attr]
    copied = _forge(line, head_hash=new_hash, seq=pinned)
    own_key = Ed25519PrivateKey.generate()
    key_file = path.parent / "mallory.pem"
    key_file.write_bytes(own_key.private_bytes(serialization.Encoding.PEM,
                         serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    signed = checkpoints.sign(key_file, "us-node", pinned, new_hash, "2026-01-01T00:00:00.000Z")
    with path.open("a", encoding="utf-8") as out:
        out.write(copied + "\n" + signed.line + "\n" + "not a checkpoint\n")
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 1, output
    forged = "the checkpoint file holds a checkpoint of this entry whose signature does not " \
             "verify: forged or altered"  # fmt: skip
    assert output.count(f"Entry {pinned}: {forged}") == 2
    assert "the checkpoint file has lines that are not checkpoints" in output
    # The genuine checkpoint still shows the rewrite the forged ones were meant to hide.
    assert "the chain was rewritten" in output


def test_a_forged_database_row_is_detected(node: Node, pinned: int) -> None:
    with node.db.session() as session:
        body = session.execute(text("SELECT body FROM audit_checkpoints")).scalar_one()
    sql(node, "UPDATE audit_checkpoints SET body = :body", body=_forge(body, seq=pinned - 2))
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 1, output
    assert f"Entry {pinned - 2}: the database holds a checkpoint of this entry whose " \
           "signature does not verify" in output  # fmt: skip


def test_verify_says_what_it_cannot_detect(node: Node, pinned: int) -> None:
    _append(node, 4)
    last = last_seq(node)
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 0, output
    assert "What this check cannot detect:" in output
    assert f"Entries {pinned + 1} to {last} came after the newest checkpoint" in output
    assert "No copy held by a partner was checked" in output
    assert "Whoever holds this node's signing key can sign checkpoints" in output
    # The entries after the newest checkpoint are indeed not pinned: their rewrite passes.
    rewind(node, 2)
    assert puente(node, "audit", "verify", "--as", "otto")[0] == 0


def test_verify_speaks_spanish(node: Node, pinned: int) -> None:
    rewind(node, 6)
    code, output = puente(node, "audit", "verify", "--as", "otto", lang="es")
    assert code == 1, output
    assert "Puntos de control firmados: 1" in output
    assert "Lo que esta verificación no puede detectar:" in output
    assert "the chain ends before it" not in output


def test_a_node_without_checkpoints_says_its_chain_is_not_pinned(
    node: Node, auditor: Principal
) -> None:
    rewrite(node, 2)
    code, output = puente(node, "audit", "verify", "--as", "otto")
    assert code == 0, output  # nothing can show it: and verify says so
    assert "No signed checkpoint pins this chain yet" in output


def test_no_checkpoint_is_signed_over_a_chain_that_no_longer_holds(node: Node, pinned: int) -> None:
    rewrite(node, 5)
    code, output = puente(node, "audit", "checkpoint", "--as", "otto")
    assert code == 1
    assert f"The audit chain does not hold after the last checkpoint (at entry {pinned})" in output
    assert len(node.settings.checkpoint_path.read_text(encoding="utf-8").splitlines()) == 1


def test_only_auditors_and_admins_sign_checkpoints(node: Node, analyst: Principal) -> None:
    code, output = puente(node, "audit", "checkpoint", "--as", "ana")
    assert code == 1
    assert "audit.read" in output
    assert not node.settings.checkpoint_path.exists()
    assert puente(node, "audit", "checkpoint", "--as", "admin")[0] == 0


def test_checkpoints_are_signed_when_due(node: Node, auditor: Principal) -> None:
    settings = node.settings.model_copy(deep=True)
    settings.audit.checkpoint_every_entries = 10
    settings.audit.checkpoint_every_minutes = 30
    with node.db.session() as session:
        first = audit.checkpoint_if_due(session, settings)  # none yet, and entries: due
    assert first is not None
    with node.db.session() as session:
        assert audit.checkpoint_if_due(session, settings) is None  # only its own entry since
    _append(node, 9)
    with node.db.session() as session:
        assert audit.checkpoint_if_due(session, settings) is None
    _append(node, 1)
    with node.db.session() as session:
        by_count = audit.checkpoint_if_due(session, settings)
    assert by_count is not None
    assert by_count.seq == first.seq + 11
    _append(node, 1)
    later = datetime.now(UTC) + timedelta(minutes=31)
    with node.db.session() as session:
        assert audit.checkpoint_if_due(session, settings) is None
        by_time = audit.checkpoint_if_due(session, settings, later)
    assert by_time is not None
    assert by_time.seq == by_count.seq + 2
    lines = settings.checkpoint_path.read_text(encoding="utf-8").splitlines()
    assert [orjson.loads(line)["seq"] for line in lines] == [first.seq, by_count.seq, by_time.seq]


def test_a_failed_checkpoint_leaves_no_row(node: Node, pinned: int, auditor: Principal) -> None:
    rewrite(node, 2)
    with node.db.session() as session, pytest.raises(Conflict):
        audit.checkpoint(session, node.settings, auditor)
    with node.db.session() as session:
        assert session.execute(text("SELECT count(*) FROM audit_checkpoints")).scalar_one() == 1


# -- the REST API and the page ---------------------------------------------------------------


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


def test_the_api_checks_the_checkpoints_too(node: Node, pinned: int, client: TestClient) -> None:
    headers = token_headers(node, "ida", "INL", "auditor")
    body = client.get("/api/v1/audit/verify", headers=headers).json()
    assert body["ok"] is True
    assert (body["checkpoints"], body["covered"]) == (1, pinned)
    assert body["copies"] == {"file": 1, "database": 1, "partner": 0}
    assert any("No copy held by a partner" in limit for limit in body["cannot_detect"])
    rewind(node, 8)
    body = client.get("/api/v1/audit/verify", headers=headers).json()
    assert body["ok"] is False
    assert [b["seq"] for b in body["breaks"]] == [pinned]
    assert "the chain ends before it" in body["breaks"][0]["problem"]
    spanish = client.get("/api/v1/audit/verify", headers={**headers, "Accept-Language": "es"})
    assert "la cadena termina antes" in spanish.json()["breaks"][0]["problem"]
    assert any("socio" in limit for limit in spanish.json()["cannot_detect"])


def test_the_verify_page_shows_the_checkpoints_and_the_limits(
    node: Node, pinned: int, client: TestClient
) -> None:
    sign_in(client, "otto")
    rewrite(node, 6)
    shown = page(client.get("/audit/verify").text)
    assert "The audit chain is broken." in shown.one(id="verify-result").text()
    assert "the chain was rewritten" in shown.one(id="verify-result").text()
    assert "Entries 1 to" in shown.one(id="verify-checkpoints").text()
    assert "No copy held by a partner was checked" in shown.one(id="verify-limits").text()
