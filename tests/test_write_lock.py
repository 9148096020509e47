"""The node's write lock (puente.db.lock_writes) against reads that append to the audit chain.

An import holds the write lock for its whole transaction: minutes for millions of objects.
Analysts' searches and partners' pulls append to the audit chain as they read; on PostgreSQL
they must go on meanwhile, and a transaction that has appended already must never wait for
the lock (it could wait on an import waiting on its audit head): it is refused as busy.
SQLite's BEGIN IMMEDIATE makes every writer take turns: there is nothing to check there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from puente.audit import service as audit
from puente.db import lock_writes
from puente.errors import Busy
from puente.node import Node
from puente.policy.roles import Principal
from puente.policy.schemas import MarkingsIn
from puente.records import service
from puente.records.service import SearchQuery
from tests.support.records import SAMPLE_FIELDS


@pytest.fixture
def on_postgresql(node: Node) -> None:
    if node.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes writers take turns: no lock to share")


def _in_thread(work: Callable[[], object], seconds: float = 10) -> object:
    """Run ``work`` in another thread; what it returned, or fail if it is still waiting."""
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    return outcome[0]


def test_a_search_goes_on_while_an_import_holds_the_write_lock(
    node: Node, analyst: Principal, on_postgresql: None
) -> None:
    with node.db.session() as session:
        markings = MarkingsIn(tlp="GREEN").to_markings("USA")
        service.create(session, node.settings, analyst, "person", SAMPLE_FIELDS["person"], markings)
    with node.db.session() as importing:
        lock_writes(importing)  # as an import does, until it commits

        def search() -> int:
            with node.db.session() as session:
                return len(service.search(session, analyst, SearchQuery(text="nunez")).items)

        assert _in_thread(search) == 1


def test_a_transaction_that_audited_already_is_refused_not_made_to_wait(
    node: Node, analyst: Principal, on_postgresql: None
) -> None:
    with node.db.session() as importing:
        lock_writes(importing)

        def audit_then_write() -> str:
            with node.db.session() as session:
                audit.append(session, analyst.username, "record.search")
                try:
                    lock_writes(session)
                except Busy as busy:
                    return busy.kind
                return "took the lock"

        assert _in_thread(audit_then_write) == "busy"
    # Once the import has committed, the same transaction takes the lock.
    with node.db.session() as session:
        audit.append(session, analyst.username, "record.search")
        lock_writes(session)
