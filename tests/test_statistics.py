"""The node keeps its planner statistics itself (autovacuum may be off): a bulk write leaves
the tables it wrote analyzed, in its own transaction; small writes add up to one ANALYZE."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from puente.errors import InvalidInput
from puente.node import Node
from puente.policy.roles import Principal
from puente.records import service
from puente.statistics import refresh_statistics
from tests.support.databases import planner_rows

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def people(count: int) -> list[dict[str, Any]]:
    return [person(index) for index in range(count)]


def person(index: int) -> dict[str, Any]:
    return {
        "type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}",
        "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
        "name": f"Persona {index}", "identity_class": "individual",
        "object_marking_refs": [GREEN],
    }  # fmt: skip


def test_an_import_leaves_what_it_wrote_analyzed(node: Node, analyst: Principal) -> None:
    assert planner_rows(node, "records") in (None, 0.0)  # a new node: nothing to plan with

    with node.db.session() as session:
        service.import_objects(session, node.settings, analyst, people(120))

    assert planner_rows(node, "records") == 120


def test_a_refused_import_leaves_the_statistics_as_they_were(
    node: Node, analyst: Principal
) -> None:
    before = planner_rows(node, "records")
    objects = people(120)
    objects[-1]["modified"] = "later"
    with pytest.raises(InvalidInput), node.db.session() as session:
        service.import_objects(session, node.settings, analyst, objects)

    assert planner_rows(node, "records") == before


def test_a_small_write_to_an_analyzed_table_does_not_analyze_it_again(
    node: Node, analyst: Principal
) -> None:
    with node.db.session() as session:
        service.import_objects(session, node.settings, analyst, people(300))
    with node.db.session() as session:  # under a tenth of the table and 50 rows
        service.import_objects(session, node.settings, analyst, people(20))
        assert refresh_statistics(session, {"records": 0}) == []
    assert planner_rows(node, "records") == 300

    with node.db.session() as session:  # a large write is analyzed as it commits
        service.import_objects(session, node.settings, analyst, people(100))
    assert planner_rows(node, "records") == 420
