"""Two real nodes on loopback: Mexico pulls from the United States, with receipts."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import orjson
from sqlalchemy import select

from puente.node import open_node
from puente.policy.markings import MARKINGS_EXTENSION, TLP_MARKING_IDS
from puente.records.models import Record
from puente.sharing.models import Acknowledgement, Receipt
from tests.support.audit import erase_checkpoints, rewrite
from tests.support.servers import Pair, free_port, import_objects, puente, start_server

TLP = TLP_MARKING_IDS

# "1 receipt verifies." or "All 3 receipts verify."
VERIFIED = re.compile(r"\breceipts? verif(y|ies)\b")


def incident(
    name: str, tlp: str, rel_to: list[str], agencies: list[str] | None = None
) -> dict[str, object]:
    markings: dict[str, object] = {"extension_type": "property-extension", "rel_to": rel_to,
                                   "handling": "H0"}  # fmt: skip
    if agencies:
        markings["agencies"] = agencies
    return {
        "type": "incident", "spec_version": "2.1", "id": f"incident--{uuid.uuid4()}",
        "created": "2026-01-05T10:00:00.000Z", "modified": "2026-01-05T10:00:00.000Z",
        "name": name, "object_marking_refs": [TLP[tlp]], "extensions": {MARKINGS_EXTENSION: markings},
    }  # fmt: skip


def _held(data_dir: Path) -> dict[str, str]:
    node = open_node(data_dir)
    try:
        with node.db.session() as session:
            rows = session.execute(
                select(Record.stix_id, Record.content_hash).where(Record.received.is_(True))
            ).all()
    finally:
        node.close()
    return dict(rows)


def test_mexico_pulls_exactly_what_the_gate_releases_and_both_keep_receipts(
    pair: Pair, tmp_path: Path
) -> None:
    shared = [incident(f"Compartido {n}", "GREEN", ["MEX", "USA"]) for n in range(30)]
    for_fgr = incident("Para la FGR", "AMBER", ["MEX", "USA"], ["CBP", "FGR"])
    kept = [
        incident("Solo EUA", "GREEN", ["USA"]),
        incident("Rojo", "RED", ["MEX", "USA"]),
        incident("Solo agencias de EUA", "AMBER", ["MEX", "USA"], ["CBP", "DEA"]),
    ]
    import_objects(pair.us, [*shared, for_fgr, *kept], tmp_path)

    first = puente("sync", "us-node", data_dir=pair.mx)
    assert "31 stored" in first.stdout, first.stdout
    held = _held(pair.mx)
    assert set(held) == {str(o["id"]) for o in [*shared, for_fgr]}
    # Verbatim: the content hashes are the sender's.
    node = open_node(pair.us)
    try:
        with node.db.session() as session:
            sender = dict(session.execute(select(Record.stix_id, Record.content_hash)).all())
            held_receipts = session.execute(select(Receipt)).scalars().all()
            acknowledged = len(session.execute(select(Acknowledgement)).scalars().all())
    finally:
        node.close()
    assert all(sender[i] == h for i, h in held.items())
    assert [r.direction for r in held_receipts] == ["held"]
    assert acknowledged == 31

    again = puente("sync", "us-node", data_dir=pair.mx)
    assert "0 stored" in again.stdout
    assert _held(pair.mx) == held
    assert VERIFIED.search(puente("receipts", "verify", data_dir=pair.mx).stdout)
    assert VERIFIED.search(puente("receipts", "verify", data_dir=pair.us).stdout)

    # New records after the first sync: only they come over.
    later = [incident(f"Nuevo {n}", "GREEN", ["MEX", "USA"]) for n in range(3)]
    import_objects(pair.us, later, tmp_path)
    third = puente("sync", "us-node", data_dir=pair.mx)
    assert "3 stored" in third.stdout
    assert len(_held(pair.mx)) == 34


def test_a_sync_with_the_partner_down_fails_clearly_and_catches_up_later(
    pair: Pair, tmp_path: Path
) -> None:
    import_objects(pair.us, [incident("Uno", "GREEN", ["MEX", "USA"])], tmp_path)
    node = open_node(pair.mx)
    try:
        with node.db.session() as session:
            from puente.sharing.models import Partner

            partner = session.execute(select(Partner)).scalar_one()
            partner.base_url = "http://127.0.0.1:9"  # nothing listens there
    finally:
        node.close()
    down = puente("sync", "us-node", data_dir=pair.mx, check=False)
    assert down.returncode == 1
    assert "Could not sync with us-node" in down.stderr
    node = open_node(pair.mx)
    try:
        with node.db.session() as session:
            partner = session.execute(select(Partner)).scalar_one()
            assert partner.failures == 1
            assert partner.next_attempt_at is not None
            partner.base_url = pair.us_url
    finally:
        node.close()
    back = puente("sync", "us-node", data_dir=pair.mx)
    assert "1 stored" in back.stdout


def _set_sync(data_dir: Path, **values: int) -> None:
    import tomllib

    import tomli_w

    path = data_dir / "puente.toml"
    settings = tomllib.loads(path.read_text())
    settings.setdefault("sync", {}).update(values)
    path.write_text(tomli_w.dumps(settings))


def _received_count(data_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(data_dir / "puente.db", timeout=30) as db:
        return int(db.execute("SELECT count(*) FROM records WHERE received = 1").fetchone()[0])


def test_a_receiver_killed_mid_sync_resumes_with_no_gap_and_no_duplicate(
    pair: Pair, tmp_path: Path
) -> None:
    import subprocess
    import sys
    import time

    count = 20_000
    objects = [incident(f"Lote {n}", "GREEN", ["MEX", "USA"]) for n in range(count)]
    import_objects(pair.us, objects, tmp_path)
    _set_sync(pair.mx, page_size=500)
    sync_run = subprocess.Popen(
        [sys.executable, "-m", "puente", "sync", "us-node", "--data-dir", str(pair.mx)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _received_count(pair.mx) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    sync_run.kill()  # SIGKILL: no cleanup at all, mid-page or between pages
    sync_run.wait()
    partial = _received_count(pair.mx)
    assert 0 < partial < count, "the sync was not interrupted part way"

    # The lease the killed run held has to run out before another run may take the partner.
    node = open_node(pair.mx)
    try:
        with node.db.session() as session:
            from puente.sharing.models import Partner

            session.execute(select(Partner)).scalar_one().lease_until = None
    finally:
        node.close()
    resumed = puente("sync", "us-node", data_dir=pair.mx)
    assert "Synced with us-node" in resumed.stdout
    held = _held(pair.mx)
    assert len(held) == count == _received_count(pair.mx)  # no gap, no duplicate
    node = open_node(pair.us)
    try:
        with node.db.session() as session:
            sender = dict(session.execute(select(Record.stix_id, Record.content_hash)).all())
    finally:
        node.close()
    assert all(sender[stix_id] == digest for stix_id, digest in held.items())
    assert VERIFIED.search(puente("receipts", "verify", data_dir=pair.mx).stdout)
    assert VERIFIED.search(puente("receipts", "verify", data_dir=pair.us).stdout)


def test_puente_serve_pulls_from_partners_on_its_schedule(pair: Pair, tmp_path: Path) -> None:
    import time

    import_objects(pair.us, [incident("Programado", "GREEN", ["MEX", "USA"])], tmp_path)
    _set_sync(pair.mx, interval_seconds=5)
    server = start_server(pair.mx, free_port())
    try:
        deadline = time.monotonic() + 60
        while _received_count(pair.mx) == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert _received_count(pair.mx) == 1


def test_a_recall_purges_the_partners_copy_and_comes_back_acknowledged(
    pair: Pair, tmp_path: Path
) -> None:
    mistake, fine = (
        incident("Enviado por error", "GREEN", ["MEX", "USA"]),
        incident("Correcto", "GREEN", ["MEX", "USA"]),
    )
    import_objects(pair.us, [mistake, fine], tmp_path)
    puente("sync", "us-node", data_dir=pair.mx)
    before = _held(pair.mx)

    # Mexico's node is not syncing when the recall is made: it learns of it at its next pull.
    recalled = puente("recall", str(mistake["id"]), "--reason", "Contains a source's name",
                      data_dir=pair.us)  # fmt: skip
    assert "Pending acknowledgement from: mx-node" in recalled.stdout
    assert "pending" in puente("recalls", data_dir=pair.us).stdout

    puente("sync", "us-node", data_dir=pair.mx)
    node = open_node(pair.mx)
    try:
        with node.db.session() as session:
            row = session.execute(
                select(Record).where(Record.stix_id == str(mistake["id"]))
            ).scalar_one()
            other = session.execute(
                select(Record).where(Record.stix_id == str(fine["id"]))
            ).scalar_one()
    finally:
        node.close()
    content = orjson.loads(row.content)
    assert "Enviado por error" not in row.content
    assert "name" not in content
    assert content["x_puente_recalled"]["reason"] == "Contains a source's name"
    assert row.recalled
    assert row.content_hash == before[str(mistake["id"])]  # proof of what had been received
    assert other.name == "Correcto"
    listed = puente("recalls", data_dir=pair.us).stdout
    assert "acknowledged" in listed
    assert "pending" not in listed
    assert VERIFIED.search(puente("receipts", "verify", data_dir=pair.us).stdout)
    assert VERIFIED.search(puente("receipts", "verify", data_dir=pair.mx).stdout)

    # A recall whose signature was tampered with no longer verifies.
    node = open_node(pair.us)
    try:
        with node.db.session() as session:
            from puente.sharing.models import RecallNotice

            notice = session.execute(select(RecallNotice)).scalar_one()
            notice.body = notice.body.replace("source", "sauce")
    finally:
        node.close()
    tampered = puente("receipts", "verify", data_dir=pair.us, check=False)
    assert tampered.returncode == 1
    assert "the recall's signature does not verify" in " ".join(tampered.stderr.split())


def test_a_tampered_receipt_fails_verification(pair: Pair, tmp_path: Path) -> None:
    import_objects(pair.us, [incident("Uno", "GREEN", ["MEX", "USA"])], tmp_path)
    puente("sync", "us-node", data_dir=pair.mx)
    node = open_node(pair.us)
    try:
        with node.db.session() as session:
            receipt = session.execute(select(Receipt)).scalar_one()
            body = orjson.loads(receipt.body)
            body["object_count"] = 2
            receipt.body = orjson.dumps(body).decode()
    finally:
        node.close()
    result = puente("receipts", "verify", data_dir=pair.us, check=False)
    assert result.returncode == 1
    assert "the signature does not verify" in " ".join(result.stderr.split())


def test_the_partner_holds_mexicos_audit_checkpoints_and_they_show_a_rewrite(
    pair: Pair, tmp_path: Path
) -> None:
    """Mexico signs a checkpoint of its audit chain; its next sync posts it to the United
    States, which keeps it. Someone who can write Mexico's database and files then rewrites
    an early entry, recomputes the chain and erases Mexico's copies: verification at home
    cannot tell, the copy the United States hands back can."""
    signed = puente("audit", "checkpoint", data_dir=pair.mx).stdout
    assert "Checkpoint signed at entry" in signed
    puente("sync", "us-node", data_dir=pair.mx)
    copy = tmp_path / "mx-checkpoints-held-by-us.jsonl"
    puente("partner", "checkpoints", "mx-node", "--out", str(copy), data_dir=pair.us)
    held = copy.read_text(encoding="utf-8").splitlines()
    assert held == (pair.mx / "audit-checkpoints.jsonl").read_text(encoding="utf-8").splitlines()
    assert puente("audit", "verify", "--partner-copy", str(copy), data_dir=pair.mx).returncode == 0

    node = open_node(pair.mx)
    try:
        rewrite(node, 1)
        erase_checkpoints(node)
    finally:
        node.close()
    alone = puente("audit", "verify", data_dir=pair.mx)
    assert "No signed checkpoint pins this chain yet" in alone.stdout
    checked = puente("audit", "verify", "--partner-copy", str(copy), data_dir=pair.mx,
                     check=False)  # fmt: skip
    assert checked.returncode == 1
    assert "the chain was rewritten" in checked.stderr
    assert "partners' copies: 1" in checked.stdout
