"""Where an import's rows go: straight to SQLite's cursor, or through PostgreSQL's COPY.

On SQLite the rows go to the DBAPI cursor of the session's own transaction, with primary keys
assigned here: the transaction began with ``BEGIN IMMEDIATE`` (see :mod:`puente.db`), so no
other writer can take the same keys, and no ``RETURNING`` round trip is needed to link
references. On PostgreSQL they go through ``COPY ... FROM STDIN`` on the session's own
connection (so in its transaction), with keys taken from the table's sequence in one query
per chunk; stored versions are looked up with one ``stix_id = ANY(...)`` query per chunk.

Each writer remembers the keys it gave (as ranges: a chunk's keys are consecutive), so the
import can tell a version stored earlier in the same import from one stored before it without
keeping every object's id.
"""

from __future__ import annotations

import bisect
import contextlib
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from sqlalchemy import Table, insert
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.orm import Session

from puente.records.models import Record, RecordRef

if TYPE_CHECKING:
    from puente.records.ingest import Pending

# PostgreSQL: how much of a large import's search text the text index (migration 0025, a GIN
# index) gathers in its pending list before merging it into the index, and the memory that
# merge sorts in. The server's defaults (4 MB each) merge every few thousand rows, each merge
# visiting most of the index's keys again; sixteen times fewer merges cost the server about
# an eighth less per object (bench/ingest_pg.py, 10^6 objects). The import merges what is
# left before it ends, so the pending list never outlives it (every search reads that list
# in full; a later writer would otherwise pay for merging it).
GIN_PENDING_LIMIT = "64MB"
TEXT_INDEX = "ix_records_search_trgm"
LOOKUP_BATCH = 500  # ids per "stix_id IN (...)": well under every SQLite build's variable limit
SQLITE_CACHE_KIB = 32768  # page cache while importing: keeps the indexes of ~10^5 rows hot

RECORDS = cast(Table, Record.__table__)
RECORD_REFS = cast(Table, RecordRef.__table__)

# The columns an import writes, in the order of the tuples the SQLite writer builds.
COLUMNS = (
    "pk", "stix_id", "type", "kind", "modified_key", "created_key", "date_added", "is_current",
    "revoked", "recalled", "owner_node", "owner_country", "received", "originating_agency",
    "created_by", "tlp", "rel_to", "agencies", "handling", "handling_text", "searchable_by",
    "reliability", "credibility", "recipients", "name", "search_text", "content", "content_hash",
)  # fmt: skip
if tuple(RECORDS.c.keys()) != COLUMNS:
    raise RuntimeError("writers.COLUMNS must list the columns of records, in their order")


class Stored(NamedTuple):
    """What the import needs to know about a version already in the database."""

    pk: int
    stix_id: str
    modified_key: str
    content_hash: str
    is_current: bool
    received: bool
    originating_agency: str
    owner_node: str
    revoked: bool


class Keys:
    """The primary keys one import gave its rows, kept as sorted ranges."""

    def __init__(self) -> None:
        self.ranges: list[list[int]] = []  # [first, last], ascending, not touching

    def add(self, keys: Iterable[int]) -> None:
        ranges = self.ranges
        for key in keys:
            if ranges and ranges[-1][1] + 1 == key:
                ranges[-1][1] = key
            elif ranges and key <= ranges[-1][1]:
                self._insert(key)
            else:
                ranges.append([key, key])

    def _insert(self, key: int) -> None:
        """A key below the last range (keys taken out of order): the rare, slower path."""
        index = bisect.bisect_right(self.ranges, [key, key])
        self.ranges.insert(index, [key, key])
        merged: list[list[int]] = []
        for first, last in self.ranges:
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self.ranges = merged

    def __contains__(self, key: int) -> bool:
        index = bisect.bisect_right(self.ranges, [key, float("inf")]) - 1
        return index >= 0 and self.ranges[index][0] <= key <= self.ranges[index][1]


class Writer(Protocol):
    keys: Keys

    def stored_versions(self, ids: list[str]) -> list[Stored]: ...

    def look_up(self, ids: list[str]) -> Callable[[], list[Stored]]:
        """The stored versions of these ids (:meth:`stored_versions`), as a call that gives
        them: read after every row inserted so far, while the caller goes on."""
        ...

    def insert(self, rows: list[Pending], constants: dict[str, Any]) -> None: ...

    def flush(self) -> None: ...

    def bulk(self) -> None:
        """A large import follows: maintain the indexes in larger batches where that helps."""

    def settle(self) -> None:
        """The import is complete: leave the indexes as a small write would have."""

    def close(self) -> None: ...


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's transaction:
    with ``COPY`` on PostgreSQL (a Core insert of many rows spends most of its time building
    the statement in Python there), with a Core insert elsewhere."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    unknown = [name for name in names if name not in table.c]
    if unknown:
        raise KeyError(f"{table.name} has no column {unknown[0]}")
    driver = connection.connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"  # names checked above
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[name] for name in names])


def writer_for(session: Session) -> Writer:
    """The fastest writer for the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return SqliteWriter(session)
    if dialect == "postgresql":
        return PostgresWriter(session)
    raise TypeError(f"Puente stores records in SQLite or PostgreSQL, not {dialect}")


class SqliteWriter:
    """Rows through the DBAPI cursor of the session's transaction (see the module docstring)."""

    insert_record = str(insert(RECORDS).compile(dialect=sqlite_dialect()))
    insert_ref = str(
        insert(RECORD_REFS).compile(
            dialect=sqlite_dialect(), column_keys=["record_pk", "source_id", "prop", "target_id"]
        )
    )

    def __init__(self, session: Session) -> None:
        driver = session.connection().connection.driver_connection
        if not isinstance(driver, sqlite3.Connection):
            raise TypeError(f"expected a sqlite3 connection, not {type(driver).__name__}")
        self.cursor = driver.cursor()
        self.saved_cache_size = self._number("PRAGMA cache_size")
        self.cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        self.next_pk = self._number("SELECT coalesce(max(pk), 0) FROM records") + 1
        self.keys = Keys()

    def _number(self, sql: str) -> int:
        self.cursor.execute(sql)
        return int(self.cursor.fetchall()[0][0])

    def stored_versions(self, ids: list[str]) -> list[Stored]:
        found: list[Stored] = []
        names = ", ".join(Stored._fields)
        for start in range(0, len(ids), LOOKUP_BATCH):
            batch = ids[start : start + LOOKUP_BATCH]
            marks = ", ".join("?" * len(batch))
            # Only constant names and placeholders are interpolated, never input.
            sql = f"SELECT {names} FROM records WHERE stix_id IN ({marks})"  # noqa: S608
            self.cursor.execute(sql, batch)
            found.extend(Stored._make(row) for row in self.cursor.fetchall())
        return found

    def look_up(self, ids: list[str]) -> Callable[[], list[Stored]]:
        return lambda: self.stored_versions(ids)  # read when asked: this writer inserts at once

    def insert(self, rows: list[Pending], constants: dict[str, Any]) -> None:
        recalled, owner_node, owner_country, received, created_by = (
            constants[name]
            for name in ("recalled", "owner_node", "owner_country", "received", "created_by")
        )
        first = self.next_pk
        self.next_pk += len(rows)
        self.keys.add(range(first, self.next_pk))
        for pk, row in enumerate(rows, first):
            row.pk = pk
        # Generators, not lists: each row's tuple lives only while SQLite reads it.
        self.cursor.executemany(
            self.insert_record,
            (
                (
                    pk, row.stix_id, row.type, row.kind, row.modified_key, row.created_key,
                    row.date_added, row.is_current, row.revoked, recalled, owner_node,
                    owner_country, received, row.originating_agency, created_by,
                    *row.marked.columns, row.name, row.search_text, row.content,
                    row.content_hash,
                )
                for pk, row in enumerate(rows, first)
            ),
        )  # fmt: skip
        self.cursor.executemany(
            self.insert_ref,
            (
                (pk, row.stix_id, prop, target)
                for pk, row in enumerate(rows, first)
                for prop, target in row.refs
            ),
        )

    def flush(self) -> None:
        pass

    def bulk(self) -> None:
        pass  # SQLite's text index (FTS5) is kept by triggers, row by row

    def settle(self) -> None:
        pass

    def close(self) -> None:
        # Also after a failed import: the pooled connection goes back with its usual cache.
        with contextlib.suppress(sqlite3.Error):
            self.cursor.execute(f"PRAGMA cache_size = {self.saved_cache_size}")
            self.cursor.close()


class PostgresWriter:
    """Rows through ``COPY`` on the session's psycopg connection (see the module docstring).

    A chunk's ``COPY`` runs on a thread of its own while the import prepares the next chunk:
    the server inserts the rows and maintains the indexes meanwhile; so does the lookup of the
    next chunk's stored versions (:meth:`look_up`), in turn after that ``COPY``, so that it
    sees its rows. Every other use of the connection (the caller's own statements after
    :meth:`flush`) waits for them first, so the connection is never used by two threads at
    once.
    """

    record_columns = ", ".join(COLUMNS)
    # Only constant names are interpolated, never input.
    # The ids travel as one text, split by the server: a STIX id (checked before it gets
    # here) holds no comma, and psycopg would build the array in Python.
    lookup = (
        f"SELECT {', '.join(Stored._fields)} FROM records "  # noqa: S608
        "WHERE stix_id = ANY(string_to_array(%s, ','))"
    )
    copy_records = f"COPY records ({record_columns}) FROM STDIN"
    copy_refs = "COPY record_refs (record_pk, source_id, prop, target_id) FROM STDIN"

    def __init__(self, session: Session) -> None:
        import psycopg  # only a PostgreSQL node needs it

        driver = session.connection().connection.driver_connection
        if not isinstance(driver, psycopg.Connection):
            raise TypeError(f"expected a psycopg connection, not {type(driver).__name__}")
        self.cursor: psycopg.Cursor[tuple[Any, ...]] = driver.cursor()
        self.cursor.execute("SELECT pg_get_serial_sequence('records', 'pk')")
        found = self.cursor.fetchone()
        if found is None or not found[0]:
            raise RuntimeError("records.pk has no sequence")
        self.sequence: str = found[0]
        self.keys = Keys()
        self.pool: ThreadPoolExecutor | None = None
        self.pending: list[Future[Any]] = []  # in the order the thread runs them
        self.batched_index: str | None = None  # the text index, while it merges in batches

    def bulk(self) -> None:
        """Let the text index gather a large import's entries in a longer pending list.

        Only where this role owns the index (or it would not be let merge it at the end:
        gin_clean_pending_list is for the owner, like VACUUM) and only until the transaction
        ends (SET LOCAL): a rolled-back import leaves the server's settings as they were."""
        self.flush()
        self.cursor.execute(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = to_regclass(%s) "
            "AND pg_has_role(c.relowner, 'USAGE')",
            (TEXT_INDEX,),
        )
        found = self.cursor.fetchone()
        if found is None:  # no text index (no pg_trgm), or not this role's to merge
            return
        self.batched_index = found[0]
        # Constant values, never input: SET takes no parameters.
        self.cursor.execute(f"SET LOCAL gin_pending_list_limit = '{GIN_PENDING_LIMIT}'")
        self.cursor.execute(f"SET LOCAL work_mem = '{GIN_PENDING_LIMIT}'")

    def settle(self) -> None:
        """Merge the text index's pending list, and give the rest of the transaction the
        server's settings back."""
        self.flush()
        if self.batched_index is None:
            return
        self.cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", (self.batched_index,))
        self.cursor.execute("SET LOCAL gin_pending_list_limit TO DEFAULT")
        self.cursor.execute("SET LOCAL work_mem TO DEFAULT")
        self.batched_index = None

    def flush(self) -> None:
        """Wait for what the thread was given; raise the first thing it raised."""
        pending, self.pending = self.pending, []
        for done in pending:
            done.result()

    def _submit(self, work: Callable[..., Any], *args: Any) -> Future[Any]:
        if self.pool is None:
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="puente-copy")
        self.pending = [done for done in self.pending if not done.done() or done.exception()]
        future = self.pool.submit(work, *args)
        self.pending.append(future)
        return future

    def stored_versions(self, ids: list[str]) -> list[Stored]:
        self.flush()
        return self._stored_versions(ids)

    def look_up(self, ids: list[str]) -> Callable[[], list[Stored]]:
        future = self._submit(self._stored_versions, ids)

        def answer() -> list[Stored]:
            self.flush()  # what the thread ran before the lookup raised first, if anything
            found: list[Stored] = future.result()
            return found

        return answer

    def _stored_versions(self, ids: list[str]) -> list[Stored]:
        if not ids:  # an empty bundle: "".count(",") is not -1
            return []
        joined = ",".join(ids)
        if joined.count(",") != len(ids) - 1:
            raise ValueError("a STIX id holds a comma")
        self.cursor.execute(self.lookup, (joined,))
        return [Stored._make(row) for row in self.cursor.fetchall()]

    def insert(self, rows: list[Pending], constants: dict[str, Any]) -> None:
        self.flush()
        self._submit(self._copy, rows, constants)

    def _copy(self, rows: list[Pending], constants: dict[str, Any]) -> None:
        recalled, owner_node, owner_country, received, created_by = (
            constants[name]
            for name in ("recalled", "owner_node", "owner_country", "received", "created_by")
        )
        cursor = self.cursor
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", (self.sequence, len(rows)))
        pks = [row[0] for row in cursor.fetchall()]
        self.keys.add(pks)
        with cursor.copy(self.copy_records) as copy:
            write = copy.write_row
            for pk, row in zip(pks, rows, strict=True):
                row.pk = pk
                write((
                    pk, row.stix_id, row.type, row.kind, row.modified_key, row.created_key,
                    row.date_added, row.is_current, row.revoked, recalled, owner_node,
                    owner_country, received, row.originating_agency, created_by,
                    *row.marked.columns, row.name, row.search_text, row.content,
                    row.content_hash,
                ))  # fmt: skip
        if any(row.refs for row in rows):
            with cursor.copy(self.copy_refs) as copy:
                write = copy.write_row
                for pk, row in zip(pks, rows, strict=True):
                    for prop, target in row.refs:
                        write((pk, row.stix_id, prop, target))

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self.pool is not None:
                self.pool.shutdown()
            with contextlib.suppress(Exception):
                self.cursor.close()
