"""The `puente` command, run as an operator runs it (Typer's runner, in this process)."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.support.cli import run
from tests.support.markers import SHARED_DATA, needs_shared_data

ICS = SHARED_DATA / "stix" / "ics-attack-18.1.json"


def test_init_refuses_an_unknown_country_and_names_it(tmp_path: Path) -> None:
    code, output = run(
        "init",
        "--node-id",
        "ca-1",
        "--country",
        "CAN",
        "--data-dir",
        str(tmp_path / "x"),
        "--admin-password",
        "admin-password-1",
    )
    assert code == 1
    assert "/country: The country must be USA or MEX, not CAN." in output


def test_init_twice_in_the_same_directory_is_refused(home: Path) -> None:
    code, output = run(
        "init", "--node-id", "us-test", "--country", "USA", "--admin-password", "admin-password-1"
    )
    assert code == 1
    assert "A node already exists" in output


def test_init_prints_a_random_admin_password_once(tmp_path: Path) -> None:
    code, output = run(
        "init", "--node-id", "us-2", "--country", "USA", "--data-dir", str(tmp_path / "n")
    )
    assert code == 0
    assert "Administrator admin, password " in output


def test_user_add_reports_each_bad_field(home: Path) -> None:
    code, output = run(
        "user", "add", "Bad Name", "--agency", "XYZ", "--role", "boss", "--password", "short"
    )
    assert code == 1
    assert "/username" in output
    assert "/password: A password needs at least 10 characters." in output
    assert "/agency: Unknown agency XYZ." in output
    assert "/roles/0: Unknown role boss" in output


def test_user_add_refuses_an_agency_of_the_other_country(home: Path) -> None:
    code, output = run(
        "user", "add", "fer", "--agency", "FGR", "--role", "analyst", "--password", "analyst-pass-1"
    )
    assert code == 1
    assert "belongs to another country's node" in output


def test_an_analyst_cannot_add_users(home: Path) -> None:
    assert (
        run(
            "user",
            "add",
            "ana",
            "--agency",
            "CBP",
            "--role",
            "analyst",
            "--password",
            "analyst-pass-1",
        )[0]
        == 0
    )
    code, output = run(
        "user",
        "add",
        "bob",
        "--agency",
        "CBP",
        "--role",
        "analyst",
        "--password",
        "analyst-pass-1",
        "--as",
        "ana",
    )
    assert code == 1
    assert "Your role does not allow this action (accounts.admin)." in output


def test_token_is_printed_once_and_works(home: Path) -> None:
    run(
        "user", "add", "ana", "--agency", "CBP", "--role", "analyst", "--password", "analyst-pass-1"
    )
    code, output = run("token", "create", "ana", "--days", "5")
    assert code == 0
    token = output.strip().splitlines()[-1]
    assert token.startswith("pte_")
    from puente.accounts import service as accounts
    from puente.node import open_node

    node = open_node(home)
    try:
        with node.db.session() as session:
            assert accounts.user_for_token(session, token).username == "ana"
    finally:
        node.close()


@needs_shared_data
def test_import_then_export_through_the_gate(home: Path, tmp_path: Path) -> None:
    run(
        "user", "add", "ana", "--agency", "CBP", "--role", "analyst", "--password", "analyst-pass-1"
    )
    run(
        "user", "add", "dan", "--agency", "DEA", "--role", "analyst", "--password", "analyst-pass-1"
    )
    code, output = run("import", "stix", str(ICS), "--tlp", "AMBER+STRICT", "--as", "ana")
    assert code == 0, output
    assert "Imported 1826 objects" in output
    out = tmp_path / "ana.json"
    assert run("export", "stix", "--as", "ana", "-o", str(out))[0] == 0
    ana_ids = {o["id"] for o in orjson.loads(out.read_bytes())["objects"]}
    assert "x-mitre-matrix--575f48f4-8897-4468-897b-48bb364af6c7" in ana_ids
    out_dea = tmp_path / "dan.json"
    assert run("export", "stix", "--as", "dan", "-o", str(out_dea))[0] == 0
    dea_ids = {o["id"] for o in orjson.loads(out_dea.read_bytes())["objects"]}
    # AMBER+STRICT stays within CBP: DEA gets only the definitions every export carries.
    assert not dea_ids & {o["id"] for o in orjson.loads(ICS.read_bytes())["objects"]}
    assert len(ana_ids) - len(dea_ids) == 1826
    assert run("audit", "verify")[0] == 0


def test_import_of_a_malformed_file_stores_nothing(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "bundle", "objects": [{"type": "identity",', encoding="utf-8")
    code, output = run("import", "stix", str(bad))
    assert code == 1
    assert "Malformed JSON at line 1" in output
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"type": "bundle", "objects": [{"name": "Peña"}]}'.encode("latin-1"))
    code, output = run("import", "stix", str(latin))
    assert code == 1
    assert "not valid UTF-8" in output


def test_import_reports_where_each_object_is_wrong(home: Path, tmp_path: Path) -> None:
    bundle = {
        "type": "bundle",
        "id": "bundle--0b1c4a3e-8f5d-4a8b-9c3e-2d1f0a6b7c8d",
        "objects": [
            {
                "type": "identity",
                "spec_version": "2.1",
                "id": "identity--not-a-uuid",
                "created": "2025-01-01T00:00:00Z",
                "modified": "2025-01-01T00:00:00Z",
                "name": "x",
            },
            {
                "type": "identity",
                "spec_version": "2.1",
                "id": "identity--5a3c2b1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0",
                "created": "yesterday",
                "modified": "2025-01-01T00:00:00Z",
                "name": "y",
            },
        ],
    }
    path = tmp_path / "b.json"
    path.write_bytes(orjson.dumps(bundle))
    code, output = run("import", "stix", str(path))
    assert code == 1
    assert "/objects/0/id" in output
    assert "/objects/1/created" in output


def test_audit_verify_fails_on_a_tampered_chain(home: Path) -> None:
    from sqlalchemy import update

    from puente.audit.models import AuditEntry
    from puente.node import open_node

    node = open_node(home)
    try:
        with node.db.session() as session:
            session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(actor="mallory"))
    finally:
        node.close()
    code, output = run("audit", "verify")
    assert code == 1
    assert "Audit chain BROKEN" in output


def test_messages_follow_the_operators_language(tmp_path: Path) -> None:
    code, output = run(
        "audit", "verify", "--data-dir", str(tmp_path / "none"), env={"PUENTE_LANG": "es"}
    )
    assert code == 1
    assert "puente init" in output
    assert "No node is configured" not in output


def test_import_stores_named_recipients_qualified_and_names_an_unknown_node(
    home: Path, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from puente.node import open_node
    from puente.policy.markings import MARKINGS_EXTENSION, TLP_MARKING_IDS
    from puente.records.models import Record

    def bundle(name: str, recipients: list[str]) -> Path:
        obj = {
            "type": "incident", "spec_version": "2.1",
            "id": "incident--6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "name": "Sellado",
            "created": "2026-03-01T12:00:00.000Z", "modified": "2026-03-01T12:00:00.000Z",
            "object_marking_refs": [TLP_MARKING_IDS["RED"]],
            "extensions": {MARKINGS_EXTENSION: {"extension_type": "property-extension",
                                                "rel_to": ["USA"], "recipients": recipients}},
        }  # fmt: skip
        path = tmp_path / name
        path.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{obj['id'][10:]}",
                                       "objects": [obj]}))  # fmt: skip
        return path

    code, output = run("import", "stix", str(bundle("bad.json", ["ana", "fer@nowhere"])))
    assert code == 1
    assert f"/objects/0/extensions/{MARKINGS_EXTENSION}/recipients/1" in output
    assert "fer@nowhere names a node unknown here" in output
    code, output = run("import", "stix", str(bundle("good.json", ["ana", "fer@mex"])))
    assert code == 0, output
    node = open_node(home)
    with node.db.session() as session:
        stored = session.execute(select(Record.recipients)).scalar_one()
    node.close()
    assert stored == ",ana@USA,fer@MEX,"


def test_import_never_lowers_the_tlp_an_object_carries(home: Path, tmp_path: Path) -> None:
    """`--tlp` marks objects without Puente's markings; an object from another tool that
    carries a standard TLP:RED marking keeps RED, not the GREEN asked for the rest."""
    run(
        "user", "add", "ana", "--agency", "CBP", "--role", "analyst", "--password", "analyst-pass-1"
    )
    red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    marked = {"type": "incident", "spec_version": "2.1",
              "id": "incident--2a7f0c61-5b3e-4d0a-8c1f-6e9d2b4a7c01",
              "created": "2026-01-05T10:00:00.000Z", "modified": "2026-01-05T10:00:00.000Z",
              "name": "Fuente en rojo", "object_marking_refs": [red]}  # fmt: skip
    bundle = tmp_path / "feed.json"
    bundle.write_bytes(orjson.dumps({"type": "bundle", "id": "bundle--2a7f0c61-5b3e-4d0a-8c1f-6e9d2b4a7c02",
                                     "objects": [marked]}))  # fmt: skip
    code, output = run("import", "stix", str(bundle), "--tlp", "GREEN", "--rel-to", "USA",
                       "--rel-to", "MEX", "--as", "ana")  # fmt: skip
    assert code == 0, output
    out = tmp_path / "ana.json"
    assert run("export", "stix", "--as", "ana", "-o", str(out))[0] == 0
    (stored,) = [o for o in orjson.loads(out.read_bytes())["objects"] if o["id"] == marked["id"]]
    assert stored["object_marking_refs"][0] == red
