"""One migrated template database per test session, copied for each test.

Migrating a database takes Alembic about 0.4 s; copying a migrated one takes milliseconds
(SQLite: a file copy; PostgreSQL: ``CREATE DATABASE … TEMPLATE …``). Set
``PUENTE_TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://root@127.0.0.1:5432/test``) to run
the suite on PostgreSQL: the template and each test's copy are databases of that server.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import sqlite3
import threading
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from puente.db import upgrade
from puente.node import Node

PG_URL = os.environ.get("PUENTE_TEST_DATABASE_URL", "")


def on_postgresql() -> bool:
    return bool(PG_URL)


def _execute(statement: str) -> None:
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _postgresql_url(database: str) -> str:
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def _new_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def sqlite_template(folder: Path) -> Path:
    """A SQLite file migrated to the newest schema, to copy from."""
    path = folder / "template.db"
    upgrade(f"sqlite:///{path}")
    # Fold the write-ahead log into the file, so the file alone is the whole database.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def sqlite_copy(template: Path, folder: Path, name: str = "puente.db") -> str:
    """A copy of a SQLite template for one test: its URL."""
    path = folder / name
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def postgresql_template() -> str:
    """A PostgreSQL database migrated to the newest schema, to copy from: its name."""
    name = _new_name("puente_template")
    _execute(f'CREATE DATABASE "{name}"')
    upgrade(_postgresql_url(name))
    return name


def postgresql_copy(template: str) -> str:
    """A copy of a PostgreSQL template for one test: its URL."""
    name = _new_name("puente_t")
    _execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _postgresql_url(name)


def postgresql_empty() -> str:
    name = _new_name("puente_t")
    _execute(f'CREATE DATABASE "{name}"')
    return _postgresql_url(name)


def _name_of(url_or_name: str) -> str | None:
    if url_or_name.startswith("sqlite") or url_or_name.endswith(".db"):
        return None  # a SQLite file goes with the test's folder
    return make_url(url_or_name).database if "://" in url_or_name else url_or_name


def _drop_now(name: str) -> None:
    # FORCE: a server a test started may still hold a connection as it shuts down.
    _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Dropper:
    """Drops the databases tests are done with on a thread of its own. DROP DATABASE waits for
    a checkpoint of the whole server (0.1 to 2 s each); in a test's teardown that wait was a
    fifth of the PostgreSQL suite's time. The tests never read a dropped database again, so
    the next test need not wait for it; the process waits for the last drop as it exits."""

    def __init__(self) -> None:
        self._names: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def put(self, name: str) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
            self._thread.start()
            atexit.register(self.finish)
        self._names.put(name)

    def _run(self) -> None:
        while (name := self._names.get()) is not None:
            try:
                _drop_now(name)
            except Exception as error:  # the next session's server still works; say which
                print(f"could not drop test database {name}: {error}")

    def finish(self) -> None:
        if self._thread is not None:
            self._names.put(None)
            self._thread.join()
            self._thread = None


_dropper = _Dropper()


def drop(url_or_name: str) -> None:
    """Drop a PostgreSQL database made here, in the background (see :class:`_Dropper`)."""
    if (name := _name_of(url_or_name)) is not None:
        _dropper.put(name)


def drop_now(url_or_name: str) -> None:
    """Drop a PostgreSQL database made here before returning (what depends on it goes next)."""
    if (name := _name_of(url_or_name)) is not None:
        _drop_now(name)


def drop_pending() -> None:
    """Wait until every database handed to :func:`drop` is gone."""
    _dropper.finish()


def planner_rows(node: Node, table: str) -> float | None:
    """How many rows the planner believes ``table`` of the node's database holds (its last
    statistics: pg_class.reltuples, sqlite_stat1); None if it has none."""
    with node.db.session() as session:
        if session.get_bind().dialect.name == "sqlite":
            if session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
                               ).first() is None:  # fmt: skip
                return None
            stats = session.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t"),
                                    {"t": table}).scalars().all()  # fmt: skip
            return max((float(stat.split()[0]) for stat in stats), default=None)
        reltuples = session.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}
        ).scalar_one()
        return None if reltuples < 0 else float(reltuples)
