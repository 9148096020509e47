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
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from sqlalchemy import Table, insert
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.orm import Session

from puente.records.models import Record, RecordRef

if TYPE_CHECKING:
    from puente.records.ingest import Pending

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

    def insert(self, rows: list[Pending], constants: dict[str, Any]) -> None: ...

    def flush(self) -> None: ...

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

    def insert(self, rows: list[Pending], constants: dict[str, Any]) -> None:
        recalled, owner_node, owner_country, received, created_by = (
            constants[name]
            for name in ("recalled", "owner_node", "owner_country", "received", "created_by")
        )
        first = self.next_pk
        self.next_pk += len(rows)
        self.keys.add(range(first, self.next_pk))
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

    def close(self) -> None:
        # Also after a failed import: the pooled connection goes back with its usual cache.
        with contextlib.suppress(sqlite3.Error):
            self.cursor.execute(f"PRAGMA cache_size = {self.saved_cache_size}")
            self.cursor.close()


class PostgresWriter:
    """Rows through ``COPY`` on the session's psycopg connection (see the module docstring).

    A chunk's ``COPY`` runs on a thread of its own while the import prepares the next chunk:
    the server inserts the rows and maintains the indexes meanwhile. Every other use of the
    connection (a lookup, the next chunk, the caller's own statements after :meth:`flush`)
    waits for it first, so the connection is never used by two threads at once.
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
        self.pending: Future[None] | None = None

    def flush(self) -> None:
        """Wait for the chunk being written; raise what writing it raised."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def stored_versions(self, ids: list[str]) -> list[Stored]:
        self.flush()
        joined = ",".join(ids)
        if joined.count(",") != len(ids) - 1:
            raise ValueError("a STIX id holds a comma")
        self.cursor.execute(self.lookup, (joined,))
        return [Stored._make(row) for row in self.cursor.fetchall()]

    def insert(self, rows: list[Pending], constants: dict[str, Any]) -> None:
        self.flush()
        if self.pool is None:
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="puente-copy")
        self.pending = self.pool.submit(self._copy, rows, constants)

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
