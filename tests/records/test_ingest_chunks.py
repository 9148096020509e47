"""The bulk import works the same whatever the chunk boundaries, on SQLite and PostgreSQL,
whether this process prepares the objects or a worker process does (the command line's).

Chunks are made tiny here so that versions, references and a late problem fall in different
chunks, as they do in a real 100,000-object bundle.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from puente.audit.models import AuditEntry
from puente.errors import InvalidInput
from puente.node import Node
from puente.policy.markings import MARKINGS_EXTENSION
from puente.policy.roles import Principal
from puente.records import events, ingest, marking, service
from puente.records.models import Record, RecordRef

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


@pytest.fixture(autouse=True, params=["in process", "worker process"])
def tiny_chunks(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    monkeypatch.setattr(ingest, "CHUNK", 2)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_CPUS", 1)  # a worker even on a small machine
    monkeypatch.setattr(Parallel, "on", request.param == "worker process")


class Parallel:
    on = False


def person(name: str, modified: str = "2025-01-01T00:00:00.000Z", **extra: Any) -> dict[str, Any]:
    return {
        "type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
        "created": "2025-01-01T00:00:00.000Z", "modified": modified, "name": name,
        "identity_class": "individual", "object_marking_refs": [GREEN], **extra,
    }  # fmt: skip


def link(source: str, target: str) -> dict[str, Any]:
    return {
        "type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
        "created": "2025-01-02T00:00:00.000Z", "modified": "2025-01-02T00:00:00.000Z",
        "relationship_type": "related-to", "source_ref": source, "target_ref": target,
        "object_marking_refs": [GREEN],
    }  # fmt: skip


def import_(node: Node, who: Principal, objects: list[dict[str, Any]]) -> ingest.IngestResult:
    with node.db.session() as session:
        return service.import_objects(session, node.settings, who, objects, parallel=Parallel.on)


def count(node: Node, table: type[Record] | type[RecordRef] | type[AuditEntry]) -> int:
    with node.db.session() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_versions_in_different_chunks_leave_the_newest_current(
    node: Node, analyst: Principal
) -> None:
    first = person("Rosa Elena Vázquez", "2025-01-01T00:00:00.000Z")
    third = {**first, "name": "Rosa Elena Vázquez Soto", "modified": "2025-03-01T00:00:00.000Z"}
    second = {**first, "name": "Rosa E. Vázquez", "modified": "2025-02-01T00:00:00.000Z"}
    others = [person("Ana Torres"), person("Luis Peña")]

    result = import_(node, analyst, [first, *others, third, second])

    assert result.stored == 5
    with node.db.session() as session:
        versions = service.versions(session, analyst, first["id"])
        current = service.get(session, analyst, first["id"])
    assert [v.modified for v in versions] == [
        "2025-03-01T00:00:00.000000Z", "2025-02-01T00:00:00.000000Z",
        "2025-01-01T00:00:00.000000Z",
    ]  # fmt: skip
    assert [v.is_current for v in versions] == [True, False, False]
    assert current.name == "Rosa Elena Vázquez Soto"


def test_a_later_import_supersedes_the_stored_version(node: Node, analyst: Principal) -> None:
    old = person("Jorge Ibarra")
    import_(node, analyst, [old, person("Marta Ruiz")])
    new = {**old, "name": "Jorge Ibarra Luna", "modified": "2025-05-05T00:00:00.000Z"}

    result = import_(node, analyst, [person("Otro"), new])

    assert (result.stored, result.superseded) == (2, 1)
    with node.db.session() as session:
        assert service.get(session, analyst, old["id"]).name == "Jorge Ibarra Luna"


def test_a_problem_in_the_last_chunk_stores_nothing_of_the_first(
    node: Node, analyst: Principal
) -> None:
    objects = [person(f"Persona {n}") for n in range(5)]
    objects.append({**person("Sin fecha"), "created": "yesterday"})
    records, audit_entries = count(node, Record), count(node, AuditEntry)

    with pytest.raises(InvalidInput) as refused:
        import_(node, analyst, objects)

    assert [p.pointer for p in refused.value.problems] == ["/objects/5/created"]
    assert (count(node, Record), count(node, AuditEntry)) == (records, audit_entries)


def test_references_across_chunks_link_the_right_records(node: Node, analyst: Principal) -> None:
    a, b, c = person("Alicia"), person("Bruno"), person("Carmen")
    objects = [a, b, c, link(a["id"], b["id"]), person("Diego"), link(c["id"], a["id"])]

    import_(node, analyst, objects)

    with node.db.session() as session:
        related = {view.name for view in service.related(session, analyst, a["id"])}
    assert {"Bruno", "Carmen"} <= related
    assert count(node, RecordRef) == 4


def test_the_given_objects_are_not_changed(node: Node, analyst: Principal) -> None:
    objects = [person("Elena"), person("Félix"), link("identity--" + str(uuid.uuid4()),
                                                     "identity--" + str(uuid.uuid4()))]  # fmt: skip
    before = copy.deepcopy(objects)

    import_(node, analyst, objects)

    assert objects == before


def test_importing_the_same_bundle_again_stores_nothing_new(node: Node, analyst: Principal) -> None:
    objects = [person(f"Persona {n}") for n in range(5)]
    first = import_(node, analyst, objects)
    again = import_(node, analyst, objects)

    assert (first.stored, again.stored, again.unchanged) == (5, 0, 5)
    assert count(node, Record) == 5
    with node.db.session() as session:
        targets = session.execute(
            select(AuditEntry.target).where(AuditEntry.action == "records.import")
        ).scalars()
        assert list(targets) == ["5 objects", "0 objects"]


def test_records_created_after_an_import_get_their_own_keys(node: Node, analyst: Principal) -> None:
    import_(node, analyst, [person("Gabriela"), person("Héctor"), person("Inés")])
    with node.db.session() as session:
        created = service.create(session, node.settings, analyst, "organization",
                                 {"name": "Transportes Rápidos"}, marking.default_markings(
                                     node.settings, "organization"))  # fmt: skip
    assert count(node, Record) == 4
    with node.db.session() as session:
        assert service.get(session, analyst, created.stix_id).name == "Transportes Rápidos"


def test_an_object_repeated_chunks_apart_is_named(node: Node, analyst: Principal) -> None:
    objects = [person(f"Persona {n}") for n in range(5)]
    again = {**objects[1], "name": "Otra"}  # the same version, other content, chunks later

    with pytest.raises(InvalidInput) as refused:
        import_(node, analyst, [*objects, again])

    assert [(p.pointer, p.params) for p in refused.value.problems] == [
        ("/objects/5/id", {"id": objects[1]["id"]})
    ]
    assert count(node, Record) == 0


def test_every_problem_of_a_large_import_is_named_in_order(node: Node, analyst: Principal) -> None:
    objects = [person(f"Persona {n}") for n in range(9)]
    for index in (2, 5, 8):
        objects[index]["created"] = "yesterday"

    with pytest.raises(InvalidInput) as refused:
        import_(node, analyst, objects)

    assert [p.pointer for p in refused.value.problems] == [
        "/objects/2/created",
        "/objects/5/created",
        "/objects/8/created",
    ]
    assert count(node, Record) == 0


def test_a_large_reimport_tells_its_listeners_in_batches_of_what_it_stored(
    node: Node, analyst: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    originals = [person(f"Persona {n}") for n in range(6)]
    import_(node, analyst, originals)
    told: list[tuple[list[str], list[str]]] = []

    def listener(session: Session, _settings: object, _who: object, ids: list[str]) -> None:
        current = session.execute(
            select(Record.name).where(Record.stix_id.in_(ids), Record.is_current.is_(True))
        ).scalars()
        told.append((ids, sorted(current)))

    monkeypatch.setattr(events, "_listeners", [listener])
    monkeypatch.setattr(ingest, "SUPERSEDED_BATCH", 2)  # the ids never pile up
    renamed = [{**o, "name": o["name"] + " (v2)", "modified": "2025-06-01T00:00:00.000Z"}
               for o in originals]  # fmt: skip

    import_(node, analyst, renamed)

    assert sorted(stix_id for ids, _ in told for stix_id in ids) == sorted(
        o["id"] for o in originals
    )
    assert all(len(ids) <= 3 for ids, _ in told)
    # Each listener reads the new versions, already stored, as the current ones.
    assert all(names == sorted(n for n in names if n.endswith("(v2)")) for _, names in told)
    assert all(len(names) == len(ids) for ids, names in told)


def test_named_recipients_first_met_in_a_later_chunk_are_stored_qualified(
    node: Node, analyst: Principal
) -> None:
    # Reading who may be named waits for the chunk being written (PostgreSQL's COPY).
    named = person("Para Ana")
    named["extensions"] = {MARKINGS_EXTENSION: {
        "extension_type": "property-extension", "rel_to": ["USA"], "handling": "H0",
        "recipients": ["ana"],
    }}  # fmt: skip
    objects = [person("Uno"), person("Dos"), person("Tres"), named]

    import_(node, analyst, objects)

    with node.db.session() as session:
        stored = session.execute(
            select(Record.recipients).where(Record.stix_id == named["id"])
        ).scalar_one()
    assert stored == ",ana@USA,"


def test_a_large_import_leaves_its_records_searchable_by_text_and_no_pending_index_entries(
    node: Node, analyst: Principal
) -> None:
    # On PostgreSQL a large import lets the text index gather its entries in a longer list
    # before merging them (records.writers.GIN_PENDING_LIMIT): it must merge them all before
    # it ends, and leave the server's settings to the next transaction.
    names = ["Contrabando Nogales", "Ruta Sonoyta", "Bodega Altar", "Taller Caborca"]

    import_(node, analyst, [person(name) for name in names])

    with node.db.session() as session:
        found = service.search(session, analyst, service.SearchQuery(text="sonoyta"))
        assert [record.name for record in found.items] == ["Ruta Sonoyta"]
        if session.get_bind().dialect.name == "postgresql":
            index = session.execute(
                text("SELECT to_regclass('ix_records_search_trgm')::text")
            ).scalar_one()
            if index is not None:  # pg_trgm present (migration 0025)
                pending = session.execute(
                    text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"),
                    {"index": index},
                ).scalar_one()
                assert pending == 0
            as_configured = text(
                "SELECT setting = reset_val FROM pg_settings "
                "WHERE name IN ('gin_pending_list_limit', 'work_mem')"
            )
            assert session.execute(as_configured).scalars().all() == [True, True]
