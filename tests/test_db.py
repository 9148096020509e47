"""The SQLite checkpointer: off the request path, and never starved by a long burst."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import select

from puente.db import Checkpointer, batches, one_of
from puente.node import Node
from puente.sharing.models import TaxiiCollection


class Recording(Checkpointer):
    def __init__(self, path: str, **timing: float) -> None:
        self.moments: list[float] = []
        super().__init__(path, **timing)

    def checkpoint(self, connection: sqlite3.Connection) -> None:  # type: ignore[override]
        self.moments.append(time.monotonic())
        super().checkpoint(connection)


def _commits(path: Path, checkpointer: Checkpointer, seconds: float) -> float:
    """Commit a row every 50 ms for ``seconds``, telling the checkpointer; when it ended."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        db.execute("INSERT INTO t VALUES (1)")
        db.commit()
        checkpointer.committed()
        time.sleep(0.05)
    db.close()
    return time.monotonic()


def test_a_short_burst_of_commits_ends_with_one_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "short.db"
    checkpointer = Recording(str(path), settle_seconds=0.2, idle_seconds=60, burst_seconds=5)
    ended = _commits(path, checkpointer, 0.5)
    time.sleep(0.6)
    checkpointer.stop()
    during = [m for m in checkpointer.moments if m < ended]
    assert during == []  # nothing while the commits came
    assert len(checkpointer.moments) == 2  # once after the burst, once at stop


def test_a_long_burst_is_checkpointed_while_it_lasts(tmp_path: Path) -> None:
    # A sync commits a page every ~100 ms for minutes: waiting for it to end would let the
    # write-ahead log grow with everything it stores.
    path = tmp_path / "long.db"
    checkpointer = Recording(str(path), settle_seconds=0.2, idle_seconds=60, burst_seconds=0.4)
    ended = _commits(path, checkpointer, 2.0)
    checkpointer.stop()
    during = [m for m in checkpointer.moments if m < ended]
    assert len(during) >= 3


# -- the read replica's routing (the replica itself: tests/functional/test_replica.py) --------


def test_writes_and_row_locks_go_to_the_primary_plain_reads_may_not() -> None:
    from sqlalchemy import delete, insert, select, text, update

    from puente.audit.models import AuditHead
    from puente.db import writes_or_locks

    head = AuditHead.__table__
    assert not writes_or_locks(select(AuditHead))
    assert not writes_or_locks(select(AuditHead).union(select(AuditHead)))
    assert not writes_or_locks(None)  # a session's connection(), asked for without a statement
    assert not writes_or_locks(text("SELECT id FROM audit_head"))
    assert not writes_or_locks(text("  with x as (select 1) select * from x"))
    for writing in (
        select(AuditHead).with_for_update(),
        select(AuditHead).with_for_update(read=True),
        insert(head),
        update(head).values(seq=1),
        delete(head),
        text("SELECT id FROM audit_head WHERE id = 1 FOR UPDATE"),
        text("select 1 for no key update"),
        text("SELECT * FROM t FOR SHARE"),
        text("WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved"),
        text("INSERT INTO t VALUES (1)"),
        text("SELECT nextval('s')"),
        text("SELECT pg_advisory_xact_lock(1)"),
        text("VACUUM ANALYZE records"),
    ):
        assert writes_or_locks(writing), writing


def test_a_sqlite_node_ignores_a_replica(tmp_path: Path) -> None:
    from sqlalchemy import text

    from puente.config import validate_settings
    from puente.node import open_database

    settings = validate_settings({
        "node_id": "us-node", "country": "USA", "display_name": "US", "data_dir": str(tmp_path),
        "database_replica_url": "postgresql+psycopg://root@127.0.0.1:1/nowhere",
    })  # fmt: skip
    assert settings.resolved_replica_url == ""
    database = open_database(settings)
    try:
        assert database.replica is None
        assert database.describe()["replica"] is None
        with database.session(replica_reads=True) as session:
            database.route_reads(session, "user:1")  # nothing to decide: no replica
            assert session.execute(text("SELECT 1")).scalar() == 1
        database.remember_write("user:1")  # nothing to remember
    finally:
        database.dispose()


# -- one_of: a list of values as one parameter on PostgreSQL ------------------------------------


def test_one_of_matches_exactly_the_values_listed(node: Node) -> None:
    # On PostgreSQL the values travel as one JSON array: a value longer than the column, or
    # with quotes and backslashes, must match nothing rather than something like it.
    wide = "x" * 200  # the width of taxii_collections.name
    with node.db.session() as session:
        session.add_all([TaxiiCollection(name=wide, id="1"), TaxiiCollection(name='a"b\\c', id="2"),
                         TaxiiCollection(name="plain", id="3")])  # fmt: skip
    with node.db.session() as session:

        def named(values: list[str]) -> list[str]:
            chosen = one_of(session, TaxiiCollection.name, values)
            return sorted(session.execute(select(TaxiiCollection.name).where(chosen)).scalars())

        assert named([wide + "y", "plai", "plain ", 'a"b', "b\\c"]) == []
        assert named([wide, 'a"b\\c', "absent"]) == sorted([wide, 'a"b\\c'])
        assert named([]) == []
        many = [f"name-{n}" for n in range(1200)] + ["plain"]
        assert [v for batch in batches(session, many) for v in named(list(batch))] == ["plain"]
