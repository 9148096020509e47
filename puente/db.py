"""Database engine, sessions and migrations (SQLAlchemy 2, Alembic).

SQLite is the embedded default (WAL mode, foreign keys on); PostgreSQL is production.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from puente.errors import Busy

# The largest key a row may have on every backend (an Integer column: 32 bits on PostgreSQL,
# 64 on SQLite): a number past it in a request is refused as input, not overflowed in the
# driver or the database.
MAX_KEY = 2**31 - 1
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Read pages straight from the OS cache: a search scanning 10^5 rows is 4x faster.
    cursor.execute("PRAGMA mmap_size=268435456")
    # LIKE is case-sensitive on PostgreSQL; the gate's SQL prefilter must read the same here.
    cursor.execute("PRAGMA case_sensitive_like=ON")
    # The Checkpointer below copies the write-ahead log into the database, off the request
    # path; a commit no longer does it itself (it cost a fifth of a short import).
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Take the write lock at BEGIN: the audit chain must be appended by one writer at a time.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


log = logging.getLogger(__name__)


class Checkpointer:
    """Copies SQLite's write-ahead log into the database file on a thread of its own.

    By default the connection that commits past 1,000 pages of log checkpoints at once, in the
    request or import that happened to commit. Here every commit only wakes this thread,
    which waits a moment for a burst of commits to end, then checkpoints PASSIVE (it never
    blocks readers or writers) on its own connection. SQLite does that work without Python's
    global lock, so on a machine with two cores it overlaps the next request. A burst longer
    than ``burst_seconds`` is checkpointed as it goes. The thread also wakes every
    ``idle_seconds``, and the last checkpoint runs at :meth:`stop`.
    """

    def __init__(
        self,
        path: str,
        settle_seconds: float = 0.2,
        idle_seconds: float = 30,
        burst_seconds: float = 2.0,
    ) -> None:
        self.path = path
        self.settle_seconds = settle_seconds
        self.burst_seconds = burst_seconds
        self.idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            while not self._stopping:
                self._wake.wait(self.idle_seconds)
                if self._stopping:
                    break
                self._wake.clear()
                # A burst of commits (an import in envelopes) ends with one checkpoint; a long
                # one (a sync storing page after page) is checkpointed every few seconds, or
                # the log grows without bound and every read of the burst slows down.
                burst_ends = time.monotonic() + self.burst_seconds
                while (
                    self._wake.wait(self.settle_seconds)
                    and not self._stopping
                    and time.monotonic() < burst_ends
                ):
                    self._wake.clear()
                self.checkpoint(connection)
            self.checkpoint(connection)
        finally:
            connection.close()

    @staticmethod
    def checkpoint(connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # a busy or locked database: the next wake retries
            log.warning("WAL checkpoint failed: %s", error)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join()


class Database:
    """One node's database: an engine, a session factory and, on SQLite, a checkpointer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.checkpointer: Checkpointer | None = None
        path = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and path and path != ":memory:":
            self.checkpointer = Checkpointer(path)
            event.listen(self.engine, "commit", lambda _connection: self._committed())

    def _committed(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.committed()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.checkpointer is not None:
            with contextlib.suppress(RuntimeError):  # disposed twice
                self.checkpointer.stop()
            self.checkpointer = None


# The key of the node's write lock (a PostgreSQL advisory lock: no row, no table).
WRITE_LOCK_KEY = 0x50_75_65_6E  # "Puen"
AUDIT_LOCKED_IN = "audit_locked_in"  # session.info: the transaction that appended to the chain


def lock_writes(session: Session) -> None:
    """Take the node's write lock until the transaction ends. Taken before reading what a write
    depends on (the codes a plan already holds, the latest date a record was added), two
    concurrent writes cannot both read the same thing and act on it. SQLite's BEGIN IMMEDIATE
    already makes writers take turns.

    It is not the audit chain's head row, which every audited read locks too: an import holds
    this lock for its whole transaction (minutes at ten million objects), and analysts' searches
    and partners' pulls, which append to the chain, go on meanwhile. A transaction that has
    appended to the chain already never waits for this lock (it could wait on an import that
    waits on its audit head): it takes the lock if it is free, or is refused as busy."""
    if session.get_bind().dialect.name == "sqlite":
        return
    transaction = session.get_transaction()
    if transaction is None or session.info.get(AUDIT_LOCKED_IN) is not transaction:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
        return
    taken = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
    if not taken.scalar():
        raise Busy()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("puente") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


MIGRATION_FILE = re.compile(r"([0-9]{4})_[a-z0-9_]+\.py")


@cache
def schema_head() -> str:
    """The newest migration's revision, from the names of the files in
    puente/migrations/versions (``0014_source_fiscal_years.py``: each is named for its
    revision, as :func:`new_revision` writes it; tests/test_migrations.py holds Alembic to
    the same answer). Knowing it lets a node open without loading Alembic when nothing is
    pending."""
    folder = resources.files("puente") / "migrations" / "versions"
    revisions = [m.group(1) for f in folder.iterdir() if (m := MIGRATION_FILE.fullmatch(f.name))]
    return max(revisions)


def schema_is_current(engine: Engine) -> bool:
    """Whether the database already stands at :func:`schema_head`."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            revisions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return [row[0] for row in revisions] == [schema_head()]


def upgrade(url: str) -> None:
    """Apply every pending migration (``puente db upgrade``; also run at start)."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def new_revision(message: str, folder: Path | None = None) -> Path:
    """Write the next migration (``puente db revision``), from a clone of Puente: Alembic's
    autogenerate compares the models with a scratch database at the newest schema, and the
    new file is named for its revision (the next number) in puente/migrations/versions, or in
    ``folder``. Read it before committing it: autogenerate misses renames and data moves."""
    import tempfile

    from alembic import command

    revision = f"{int(schema_head()) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.db'}"
        upgrade(url)
        config = alembic_config(url)
        if folder is not None:
            versions = resources.files("puente") / "migrations" / "versions"
            config.set_main_option("version_locations", f"{versions} {folder}")
        script = command.revision(config, message=message, autogenerate=True, rev_id=revision,
                                  version_path=str(folder) if folder else None)  # fmt: skip
    if script is None or isinstance(script, list):  # one head, one new script: never several
        raise RuntimeError("Alembic wrote no single migration")
    return Path(script.path)
