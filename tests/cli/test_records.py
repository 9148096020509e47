"""`puente import stix` of a bundle with a hostile object: refused by name, no traceback."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.hostile import HOSTILE, HOSTILE_AT, incident


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_the_command_line_import_names_the_field(home: Path, tmp_path: Path, hostile: str) -> None:
    bad = incident()
    HOSTILE[hostile](bad)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                   "objects": [incident(), bad]}))  # fmt: skip
    code, output = run("import", "stix", str(path), "--as", "admin")
    assert code != 0
    assert "/objects/1" + HOSTILE_AT[hostile] in output, output
    assert "Traceback" not in output


def _person(index: int, modified: str = "2025-01-01T00:00:00.000Z") -> dict[str, object]:
    return {
        "type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
        "created": "2025-01-01T00:00:00.000Z", "modified": modified,
        "name": f"Persona {index}", "identity_class": "individual",
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    }  # fmt: skip


def _limit_bundles_to(home: Path, limit: int) -> None:
    config = home / "puente.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("max_bundle_objects = 250000",
                                   f"max_bundle_objects = {limit}"), encoding="utf-8")  # fmt: skip


def _stored(home: Path) -> int:
    from sqlalchemy import func, select

    from puente.node import open_node
    from puente.records.models import Record

    node = open_node(home)
    try:
        with node.db.session() as session:
            return session.execute(select(func.count()).select_from(Record)).scalar_one()
    finally:
        node.close()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 4 objects, and every file streamed: a big file in miniature."""
    from puente.cli import records as cli_records
    from puente.records import ingest

    monkeypatch.setattr(ingest, "CHUNK", 4)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_CPUS", 1)  # the worker process, as on a big node
    monkeypatch.setattr(cli_records, "WHOLE_FILE_LIMIT", 0)


def test_a_file_larger_than_the_bundle_limit_streams_whole(
    home: Path, tmp_path: Path, small_chunks: None
) -> None:
    _limit_bundles_to(home, 5)  # what a request's body may hold; a file on disk is not bound
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                "objects": [_person(i) for i in range(23)]}))  # fmt: skip

    code, output = run("import", "stix", str(path), "--as", "admin")

    assert code == 0, output
    assert "Imported 23 objects" in output
    assert _stored(home) == 23


def test_an_invalid_object_late_in_a_stream_stores_nothing(
    home: Path, tmp_path: Path, small_chunks: None
) -> None:
    objects = [_person(i) for i in range(30)]
    objects[26]["modified"] = "yesterday"  # in the seventh chunk: six are written by then
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                "objects": objects}))  # fmt: skip

    code, output = run("import", "stix", str(path), "--as", "admin")

    assert code != 0
    assert "/objects/26/modified" in output, output
    assert _stored(home) == 0


def test_an_object_repeated_chunks_apart_stores_nothing(
    home: Path, tmp_path: Path, small_chunks: None
) -> None:
    objects = [_person(i) for i in range(12)]
    objects.append(dict(objects[1]))  # the same version again, three chunks later
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                "objects": objects}))  # fmt: skip

    code, output = run("import", "stix", str(path), "--as", "admin")

    assert code != 0
    assert "appears twice in the bundle" in output, output
    assert "/objects/12/id" in output, output
    assert _stored(home) == 0


def test_a_streamed_file_that_is_not_a_bundle_stores_nothing(
    home: Path, tmp_path: Path, small_chunks: None
) -> None:
    """The same file, small enough to parse whole, is refused ("type": "bundle" expected)."""
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"type": "report", "id": f"report--{uuid.uuid4()}",
                                "name": "bundle", "objects": [_person(i) for i in range(9)]}))  # fmt: skip

    code, output = run("import", "stix", str(path), "--as", "admin")

    assert code != 0, output
    assert "Expected a STIX bundle" in output, output
    assert _stored(home) == 0


@pytest.mark.parametrize(("kind", "imported"), [("bundle", True), ("report", False)])
def test_a_streamed_file_is_judged_by_its_type_even_after_the_objects(
    home: Path, tmp_path: Path, small_chunks: None, kind: str, imported: bool
) -> None:
    """Keys sorted (id, objects, spec_version, type): the type comes after every object."""
    path = tmp_path / "sorted.json"
    body = {"type": kind, "id": f"{kind}--{uuid.uuid4()}", "spec_version": "2.1",
            "objects": [_person(i) for i in range(9)]}  # fmt: skip
    path.write_text(json.dumps(body, sort_keys=True))

    code, output = run("import", "stix", str(path), "--as", "admin")

    assert (code == 0) is imported, output
    assert _stored(home) == (9 if imported else 0)
    if not imported:
        assert "Expected a STIX bundle" in output, output


def test_an_import_waits_between_chunks_while_people_are_answered(
    home: Path, tmp_path: Path, small_chunks: None
) -> None:
    """People first: each chunk of a command-line import waits (up to limits.bulk_wait_ms)
    while a server worker answers a person; nothing waits on a node nobody is using."""
    import time

    from puente.activity import board_path
    from tests.support.activity import person_in_flight

    config = home / "puente.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "bulk_wait_ms = 500", "bulk_wait_ms = 300"),
        encoding="utf-8")  # fmt: skip
    path = tmp_path / "bundle.json"

    def imported(first: int) -> float:
        path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                    "objects": [_person(first + i) for i in range(12)]}))  # fmt: skip
        started = time.monotonic()
        code, output = run("import", "stix", str(path), "--as", "admin")
        assert code == 0, output
        return time.monotonic() - started

    with person_in_flight(board_path(home)):
        busy = imported(0)  # three chunks of four, each after a wait of 300 ms
    quiet = imported(100)
    assert busy >= 0.9
    assert quiet < busy - 0.6
    assert _stored(home) == 24
