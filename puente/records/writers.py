"""Where an import's rows go: straight to SQLite's cursor, or through SQLAlchemy Core.

On SQLite the rows go to the DBAPI cursor of the session's own transaction, with primary keys
assigned here: the transaction began with ``BEGIN IMMEDIATE`` (see :mod:`puente.db`), so no
other writer can take the same keys, and no ``RETURNING`` round trip is needed to link
references. Elsewhere (PostgreSQL) SQLAlchemy Core inserts the rows, asking for the new keys
only when references need them.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from sqlalchemy import Table, insert, select
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
MARKING_COLUMNS = COLUMNS[15:24]
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


STORED_COLUMNS = [RECORDS.c[name] for name in Stored._fields]


class Writer(Protocol):
    def stored_versions(self, ids: list[str]) -> list[Stored]: ...

    def insert(self, rows: list[Pending], constants: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


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

    def close(self) -> None:
        # Also after a failed import: the pooled connection goes back with its usual cache.
        with contextlib.suppress(sqlite3.Error):
            self.cursor.execute(f"PRAGMA cache_size = {self.saved_cache_size}")
            self.cursor.close()


class CoreWriter:
    """Rows through SQLAlchemy Core: any backend (PostgreSQL in production)."""

    def __init__(self, session: Session) -> None:
        self.connection = session.connection()

    def stored_versions(self, ids: list[str]) -> list[Stored]:
        rows = self.connection.execute(
            select(*STORED_COLUMNS).where(RECORDS.c.stix_id.in_(ids))
        ).all()
        return [Stored._make(row) for row in rows]

    def insert(self, rows: list[Pending], constants: dict[str, Any]) -> None:
        values = [
            {
                "stix_id": row.stix_id, "type": row.type, "kind": row.kind,
                "modified_key": row.modified_key, "created_key": row.created_key,
                "date_added": row.date_added, "is_current": row.is_current,
                "revoked": row.revoked, "originating_agency": row.originating_agency,
                "name": row.name, "search_text": row.search_text, "content": row.content,
                "content_hash": row.content_hash,
                **constants, **dict(zip(MARKING_COLUMNS, row.marked.columns, strict=True)),
            }
            for row in rows
        ]  # fmt: skip
        if not any(row.refs for row in rows):
            self.connection.execute(insert(RECORDS), values)
            return
        pks = self.connection.execute(
            insert(RECORDS).returning(RECORDS.c.pk, sort_by_parameter_order=True), values
        ).scalars()
        links = [
            {"record_pk": pk, "source_id": row.stix_id, "prop": prop, "target_id": target}
            for pk, row in zip(pks, rows, strict=True)
            for prop, target in row.refs
        ]
        self.connection.execute(insert(RECORD_REFS), links)

    def close(self) -> None:
        pass
