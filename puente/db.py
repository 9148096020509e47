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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Integer,
    MetaData,
    String,
    Text,
    any_,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ClauseElement, TextClause
from sqlalchemy.sql.selectable import GenerativeSelect

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


# A node's queries are short and many: compiling one with LLVM (PostgreSQL's JIT, on past a
# cost of 100,000, which a search of a 10M-record node passes) cost 10 to 650 ms, more than
# most queries take to run.
SESSION_OPTIONS = "-c jit=off"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         connect_args={"options": SESSION_OPTIONS})  # fmt: skip


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


class ReadFence(Base):
    """The primary's WAL position after a reader's last write (a user's or a partner's): the
    replica serves that reader only once it has replayed that far (:class:`Replica`).

    On PostgreSQL the table is UNLOGGED (migration 0024): a fence costs no WAL and no fsync,
    is never replicated (a standby cannot read it; only the primary is asked), and is emptied
    by a crash of the primary, when a reader may, for at most the replica's lag bound, read
    the replica without waiting for their last write. SQLite nodes never use it."""

    __tablename__ = "read_fences"

    reader: Mapped[str] = mapped_column(String(100), primary_key=True)
    lsn: Mapped[int] = mapped_column(BigInteger)


# A statement given as text that only reads: a plain SELECT (or WITH … SELECT) that neither
# locks rows nor writes, nor calls a function known to write.
_READ_TEXT = re.compile(r"\s*(SELECT|WITH|VALUES|TABLE|SHOW)\b", re.IGNORECASE)
_WRITE_TEXT = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|FOR\s+(NO\s+KEY\s+)?UPDATE|FOR\s+(KEY\s+)?SHARE"
    r"|NEXTVAL|SETVAL|PG_ADVISORY\w*|PG_WAL_REPLAY_\w+)\b",
    re.IGNORECASE,
)


def writes_or_locks(clause: ClauseElement | None) -> bool:
    """Whether a statement must run on the primary: it writes, or it locks rows (``SELECT …
    FOR UPDATE``, as :func:`lock_writes` and the audit chain take). ``None`` is a session's
    ``connection()`` asked for without a statement (Core reads, e.g. a TAXII page): the
    connection of the unit of work's reads, primary as soon as anything wrote or locked."""
    if clause is None:
        return False
    if isinstance(clause, UpdateBase):
        return True
    if isinstance(clause, GenerativeSelect):
        return clause._for_update_arg is not None
    if isinstance(clause, TextClause):
        return not _READ_TEXT.match(clause.text) or bool(_WRITE_TEXT.search(clause.text))
    return bool(getattr(clause, "is_dml", False))


@dataclass(frozen=True)
class ReplicaOptions:
    """How a replica is used (:class:`puente.config.Replica`, repeated here: the kernel's
    db does not read settings)."""

    max_lag_seconds: float = 10.0
    check_seconds: float = 1.0
    connect_timeout_seconds: int = 2


@dataclass(frozen=True)
class ReplicaState:
    """What the last check of the replica found."""

    state: str = "unknown"  # ok, down, lagging, not-a-standby
    replay_lsn: int = 0
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    paused: bool = False
    problem: str = ""
    checked_at: float = 0.0  # time.monotonic()


@dataclass
class ReplicaCounts:
    """Units of work since the process started, by where their reads went."""

    replica: int = 0  # read from the replica
    fenced: int = 0  # from the primary: the reader's own last write had not reached the replica
    fallbacks: int = 0  # from the primary: the replica was down or lagged past the bound
    reasons: dict[str, int] = field(default_factory=dict)  # fallbacks by state


def _lsn(value: object) -> int:
    return int(value) if value is not None else 0  # type: ignore[call-overload]


# Which database a server holds: a standby of this node's database is one of the same
# cluster (the system identifier pg_basebackup copies) under the same name. WAL positions are
# the cluster's, so a standby of another cluster, or another database of this one (a second
# node on the same server), could otherwise pass every check.
_PRIMARY_LSN = text(
    "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint,"
    " current_database(), (SELECT system_identifier FROM pg_control_system())::text"
)
_REPLICA_STATE = text(
    "SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint,"
    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,"
    " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END,"
    " current_database(), (SELECT system_identifier FROM pg_control_system())::text"
)
_FENCE = text(
    "INSERT INTO read_fences (reader, lsn)"
    " VALUES (:reader, (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint)"
    " ON CONFLICT (reader) DO UPDATE SET lsn = GREATEST(read_fences.lsn, excluded.lsn)"
)


class Replica:
    """A PostgreSQL streaming replica of the node's database, and whether it may be read.

    **What goes where.** A unit of work opened with ``replica_reads`` (a request that only
    reads: GET and HEAD) authenticates on the primary (a revoked token or a closed session is
    refused at once; a new one works at once), then :meth:`Database.route_reads` decides once
    whether its reads go to the replica. From then on :class:`RoutingSession` sends each read
    there, and the first write, flush or row lock (and everything after it, in that unit of
    work) to the primary: a search's audit entry, which locks the chain's head, is appended
    on the primary after the search read the replica. Every other unit of work (POST and the
    other methods, the command line, the jobs) reads and writes the primary only, so nothing
    is ever written from what a lagging replica showed.

    **Lag: a reader sees their own writes.** After a request that may have written commits,
    the primary's WAL position is stored as the caller's fence (:class:`ReadFence`, by user
    or partner: every worker process and server reads the same fence, on the primary). A
    later read by that caller goes to the replica only if the replica has replayed at least
    that far (``pg_last_wal_replay_lsn()``), checked afresh when the last check had not
    seen it; otherwise to the primary (counted as ``fenced``). Others' writes reach a reader
    within the lag bound. The audit entries and bookkeeping that reads themselves write
    (last seen, last used) set no fence: a search does not send its author's next search to
    the primary.

    **A replica that is down or behind.** Its state is checked at most every
    ``check_seconds``: the primary's WAL position, the replica's replay position and the age
    of the last transaction it replayed. The lag is 0 when it has replayed all the primary
    wrote, else the shorter of that age and the time since a check last found it caught up.
    Down (it refuses connections or a connection to it breaks), lagging past
    ``max_lag_seconds``, or not a standby of this database (promoted, or a standby of another
    cluster or of another database of this one): reads go to the primary, counted
    as ``fallbacks``, logged once when the state changes and once when it recovers.
    """

    def __init__(self, url: str, primary: Engine, options: ReplicaOptions) -> None:
        self.url = url
        self.primary = primary
        self.options = options
        self.engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=10,
            connect_args={
                "connect_timeout": options.connect_timeout_seconds,
                "options": SESSION_OPTIONS,
            },
        )
        event.listen(self.engine, "handle_error", self._on_error)
        self.counts = ReplicaCounts()
        self._state = ReplicaState()
        self._caught_up_at: float | None = None
        self._probe_lock = threading.Lock()
        self._count_lock = threading.Lock()

    @property
    def state(self) -> ReplicaState:
        return self._state

    def check(self, not_before: float = 0.0) -> ReplicaState:
        """The replica's state, checked now unless a check made at or after ``not_before``
        (time.monotonic()) is known."""
        known = self._state.checked_at > 0
        if known and self._state.checked_at >= not_before:
            return self._state
        # One check at a time; while one runs (it may wait connect_timeout_seconds for a
        # replica that does not answer), other requests go by the last state known.
        if not self._probe_lock.acquire(blocking=not known):
            return self._state
        try:
            if self._state.checked_at < not_before or not self._state.checked_at:
                self._set(self._probe())
            return self._state
        finally:
            self._probe_lock.release()

    def _probe(self) -> ReplicaState:
        moment = time.monotonic()
        with self.primary.connect() as connection:
            head, *primary = connection.execute(_PRIMARY_LSN).one()
        head = _lsn(head)
        try:
            with self.engine.connect() as connection:
                standby, replayed, age, paused, *replica = connection.execute(_REPLICA_STATE).one()
        except DBAPIError as error:
            return ReplicaState("down", problem=_first_line(error), checked_at=moment)
        if not standby:
            return ReplicaState("not-a-standby", problem="pg_is_in_recovery() is false",
                                checked_at=moment)  # fmt: skip
        if replica != primary:
            problem = (f"database {replica[0]} of cluster {replica[1]}, not {primary[0]} of "
                       f"cluster {primary[1]}")  # fmt: skip
            return ReplicaState("not-a-standby", problem=problem, checked_at=moment)
        replayed = _lsn(replayed)
        if replayed >= head:
            self._caught_up_at = moment
            return ReplicaState("ok", replayed, 0.0, 0, bool(paused), checked_at=moment)
        lag = float("inf") if age is None else max(float(age), 0.0)
        if self._caught_up_at is not None:
            lag = min(lag, moment - self._caught_up_at)
        state = "ok" if lag <= self.options.max_lag_seconds else "lagging"
        problem = "" if state == "ok" else f"{lag:.1f} s behind"
        return ReplicaState(state, replayed, lag, head - replayed, bool(paused), problem, moment)

    def _set(self, new: ReplicaState) -> None:
        old, self._state = self._state, new
        if new.state != old.state or (new.state != "ok" and old.checked_at == 0):
            if new.state == "ok":
                if old.state != "unknown":
                    log.warning("read replica %s is back: reads go to it again", _safe(self.url))
            else:
                log.warning("read replica %s is %s (%s): reads go to the primary",
                            _safe(self.url), new.state, new.problem)  # fmt: skip

    def _on_error(self, context: ExceptionContext) -> None:
        if context.is_disconnect:  # the replica went away under a query: stop routing to it
            problem = _first_line(context.original_exception)
            self._set(replace(self._state, state="down", problem=problem,
                              checked_at=time.monotonic()))  # fmt: skip

    def serves(self, fence: int) -> bool:
        """Whether a unit of work whose reader's fence is ``fence`` reads from the replica;
        counted either way."""
        state = self.check(time.monotonic() - self.options.check_seconds)
        if state.state == "ok" and state.replay_lsn < fence:
            state = self.check(time.monotonic())  # the last check may predate the catch-up
        if state.state != "ok":
            self._count("fallbacks", state.state)
            return False
        if state.replay_lsn < fence:
            self._count("fenced")
            return False
        self._count("replica")
        return True

    def failed(self, error: BaseException) -> None:
        """A unit of work could not open its connection to the replica."""
        self._set(replace(self._state, state="down", problem=_first_line(error),
                          checked_at=time.monotonic()))  # fmt: skip
        self._count("fallbacks", "down")
        with self._count_lock:
            self.counts.replica -= 1  # counted as served by the replica when routed

    def _count(self, name: str, reason: str = "") -> None:
        with self._count_lock:
            setattr(self.counts, name, getattr(self.counts, name) + 1)
            if reason:
                self.counts.reasons[reason] = self.counts.reasons.get(reason, 0) + 1

    def fence(self, session: Session, reader: str) -> int:
        """The reader's fence, read in the unit of work on the primary (0: none)."""
        found = session.execute(select(ReadFence.lsn).where(ReadFence.reader == reader))
        return _lsn(found.scalar())

    def remember_write(self, reader: str) -> None:
        """Set the reader's fence to the primary's WAL position, after their write committed."""
        with self.primary.connect() as connection:
            connection.execute(_FENCE, {"reader": reader[:100]})
            connection.commit()

    def describe(self) -> dict[str, object]:
        """The replica for an operator: where it is, its state, lag and the counts."""
        state = self._state
        return {
            "url": _safe(self.url),
            "state": state.state,
            "lag_seconds": None if state.lag_seconds is None else round(state.lag_seconds, 3),
            "lag_bytes": state.lag_bytes,
            "replay_paused": state.paused,
            "problem": state.problem,
            "max_lag_seconds": self.options.max_lag_seconds,
            "reads_on_replica": self.counts.replica,
            "reads_on_primary_for_own_writes": self.counts.fenced,
            "fallbacks": self.counts.fallbacks,
            "fallbacks_by_state": dict(self.counts.reasons),
        }

    def status(self) -> dict[str, object]:
        """:meth:`describe`, checked first unless the last check is recent."""
        self.check(time.monotonic() - self.options.check_seconds)
        return self.describe()

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return (str(original).strip().splitlines() or [type(original).__name__])[0][:300]


def _safe(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


ROUTE = "puente.route"


class _Route:
    """Where one unit of work's reads go (a :class:`RoutingSession`'s ``info[ROUTE]``)."""

    __slots__ = ("decided", "opened", "reading", "replica", "served")

    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        self.decided = False  # route_reads has run
        self.reading = False  # reads go to the replica now
        self.opened = False  # the replica's connection has joined the transaction
        self.served = "primary"  # where the reads went: "replica" once one did


class RoutingSession(Session):
    """A session that reads from the replica and writes to the primary, in one unit of work
    (SQLAlchemy's documented partitioning pattern: a ``get_bind`` override).

    Without a route in ``info`` (every unit of work but a reading request's, and every one on
    a node without a replica) it is a plain session on the primary. With one that reads
    from the replica: a flush, a write or a row lock turns it to the primary for the rest of
    the unit of work (:func:`writes_or_locks`). The replica's connection is opened the first
    time a read goes there; a replica refusing it sends the reads to the primary."""

    def get_bind(
        self,
        mapper: Any = None,
        *,
        clause: ClauseElement | None = None,
        bind: Any = None,
        **kw: Any,
    ) -> Any:
        route: _Route | None = self.info.get(ROUTE)
        if route is not None and route.reading and bind is None:
            if self._flushing or writes_or_locks(clause):
                route.reading = False
            elif route.opened or self._open_replica(route):
                return route.replica.engine
        return super().get_bind(mapper, clause=clause, bind=bind, **kw)

    def _open_replica(self, route: _Route) -> bool:
        try:
            self.connection(bind_arguments={"bind": route.replica.engine})
        except DBAPIError as error:
            route.reading = False
            route.replica.failed(error)
            return False
        route.opened = True
        route.served = "replica"
        return True


def served_by(session: Session) -> str:
    """Where this unit of work's reads went: "replica" or "primary"."""
    route: _Route | None = session.info.get(ROUTE)
    return route.served if route is not None else "primary"


class Database:
    """One node's database: an engine, a session factory and, on SQLite, a checkpointer; on
    PostgreSQL, optionally a read :class:`Replica`."""

    def __init__(
        self, url: str, replica_url: str = "", replica_options: ReplicaOptions | None = None
    ) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, class_=RoutingSession, expire_on_commit=False)
        self.checkpointer: Checkpointer | None = None
        self.replica: Replica | None = None
        path = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and path and path != ":memory:":
            self.checkpointer = Checkpointer(path)
            event.listen(self.engine, "commit", lambda _connection: self._committed())
        if replica_url and self.engine.dialect.name == "postgresql":
            self.replica = Replica(replica_url, self.engine, replica_options or ReplicaOptions())

    def _committed(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.committed()

    @contextmanager
    def session(self, replica_reads: bool = False) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error.

        ``replica_reads`` (a request that only reads): its reads may go to the replica once
        :meth:`route_reads` says so; until then, and without a replica, all is the primary."""
        with self.sessions() as session, session.begin():
            if replica_reads and self.replica is not None:
                session.info[ROUTE] = _Route(self.replica)
            yield session

    def route_reads(self, session: Session, reader: str | None) -> None:
        """Decide, once, where the rest of this unit of work reads: the replica, if the unit
        of work may read it, the replica is up and close enough, and it has replayed the
        reader's last write (``reader``: "user:7", "partner:mx-fgr-1"; None: nobody known).
        What the caller wrote so far (authentication's bookkeeping) is flushed to the
        primary first and does not keep the reads there."""
        route: _Route | None = session.info.get(ROUTE)
        if route is None or route.decided:
            return
        route.decided = True
        session.flush()
        fence = route.replica.fence(session, reader) if reader else 0
        route.reading = route.replica.serves(fence)

    def remember_write(self, reader: str | None) -> None:
        """After a unit of work that may have written committed: the reader's next reads wait
        for the replica to replay it (nothing without a replica)."""
        if self.replica is not None and reader:
            self.replica.remember_write(reader)

    def describe(self) -> dict[str, object]:
        """For an operator (``puente node status``, ``/healthz``): the database, and the
        replica's state, lag and this process's counts of where reads went."""
        return {
            "backend": self.engine.dialect.name,
            "database": _safe(self.url),
            "replica": None if self.replica is None else self.replica.status(),
        }

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()
        if self.checkpointer is not None:
            with contextlib.suppress(RuntimeError):  # disposed twice
                self.checkpointer.stop()
            self.checkpointer = None


# The key of the node's write lock (a PostgreSQL advisory lock: no row, no table).
WRITE_LOCK_KEY = 0x50_75_65_6E  # "Puen"
# The key of the refused reads' counters (puente.audit.denials): counting a refused read must
# not wait for an import, which holds the write lock for its whole transaction.
DENIALS_LOCK_KEY = 0x50_75_64_6E  # "Pudn"
AUDIT_LOCKED_IN = "audit_locked_in"  # session.info: the transaction that appended to the chain


def lock_writes(session: Session, key: int = WRITE_LOCK_KEY) -> None:
    """Take the node's write lock (or another advisory lock: ``key``) until the transaction
    ends. Taken before reading what a write
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
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        return
    taken = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key})
    if not taken.scalar():
        raise Busy()


_Row = TypeVar("_Row")


def get_or_add(
    session: Session, model: type[_Row], key: Any, make: Callable[[], _Row], *, lock: bool = False
) -> _Row:
    """The row of ``model`` whose primary key is ``key``, added (made by ``make``) if there is
    none; one another transaction adds at the same moment is taken, not a unique violation.
    ``lock``: the row is held until the transaction ends and read as last committed."""
    while True:
        row = session.get(model, key, with_for_update=lock or None, populate_existing=lock)
        if row is not None:
            return row
        try:
            with session.begin_nested():
                row = make()
                session.add(row)
        except IntegrityError:  # another transaction added it first: theirs is the one
            continue
        return row


# Values per IN (...) where each value is a parameter: well under every backend's limit.
IN_BATCH = 500


def batches(session: Session, values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """``values`` in the groups :func:`one_of` takes: all at once on PostgreSQL (one array
    parameter), IN_BATCH at a time elsewhere (one parameter each)."""
    size = len(values) if session.get_bind().dialect.name == "postgresql" else IN_BATCH
    for start in range(0, len(values), max(size, 1)):
        yield values[start : start + size]


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` (values: text or integers). On PostgreSQL as ``column =
    ANY(ARRAY(SELECT json_array_elements_text(:values)))``: one parameter, a JSON array, so
    the statement's text is the same for any number of values (psycopg converts it once and
    prepares it, the server plans it once) where IN (...) makes a new statement with a
    parameter per value; JSON because psycopg writes a list as an array literal in Python,
    a millisecond for a page of a thousand ids, and orjson in a tenth of that. The planner
    still probes the column's index with the array (= ANY), as for a literal list."""
    condition: ColumnElement[bool]
    if session.get_bind().dialect.name != "postgresql":
        condition = column.in_(list(values))
        return condition
    try:
        listed = orjson.dumps(list(values)).decode()
    except TypeError:  # text JSON cannot carry (a lone surrogate): the array, as psycopg writes it
        condition = column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return condition
    # Compared as text or bigint: a cast to the column's own VARCHAR(n) would cut a longer value
    # to fit, and it could then match another.
    element = BigInteger() if isinstance(column.type, Integer) else Text()
    found = func.json_array_elements_text(cast(bindparam(None, listed, type_=Text), JSON))
    condition = column == any_(func.array(select(cast(found, element)).scalar_subquery()))
    return condition


_LZ4: dict[str, bool] = {}  # database URL -> whether its server compresses with lz4


def compress_fast(session: Session) -> None:
    """Until the transaction ends, compress long values (TOAST) with lz4 where the PostgreSQL
    server has it, rather than its default pglz: a signed receipt of a thousand versions
    (150 kB) costs pglz 6 ms to compress, lz4 under one, and lz4's is no larger. Only the
    compression of what this transaction writes changes: values already stored are read as
    they were written, and a server without lz4 goes on with pglz."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    key = str(bind.engine.url)
    if key not in _LZ4:
        found = session.execute(
            text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            )
        ).scalar()
        _LZ4[key] = bool(found)
    if _LZ4[key]:
        session.execute(text("SET LOCAL default_toast_compression = lz4"))


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
