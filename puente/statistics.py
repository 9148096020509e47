"""The node keeps its own planner statistics: it does not rely on autovacuum, which an operator
may turn off, nor on anyone running ANALYZE by hand.

After a bulk write (an import, a sync run, a large envelope) the writer calls
:func:`refresh_statistics` with how many rows it wrote to which tables, in its own
transaction: the tables that changed enough since their statistics were taken are analyzed
there and then, so the statistics commit (or roll back) with the rows. "Enough" is
autovacuum's own rule, 50 rows plus a tenth of the table, counting what earlier writes left
unanalyzed, so many small writes add up to one ANALYZE and a large table is not analyzed for
every envelope.

* PostgreSQL: ``ANALYZE table`` (it samples a fixed number of rows, so it costs about the same
  at any size). A table is stale when it was never analyzed (``reltuples`` is -1) or when the
  rows written now plus ``n_mod_since_analyze`` pass the threshold.
* SQLite: ``ANALYZE table`` under an ``analysis_limit`` (approximate statistics, read from a
  bounded part of each index), when the table has no ``sqlite_stat1`` rows or has grown past
  the threshold since they were written (its size read as ``max(rowid)``, one index probe).
  :func:`optimize_on_close` runs ``PRAGMA optimize`` as each pooled connection closes, as
  SQLite's documentation asks of applications.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Mapping

from sqlalchemy import Engine, bindparam, event, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

BASE_THRESHOLD = 50  # autovacuum_analyze_threshold's default
SCALE_FACTOR = 0.1  # autovacuum_analyze_scale_factor's default
# During a long run of writes: a table smaller than this plans well enough from the
# statistics of its first rows (what the run analyzed first) until the run ends.
RUN_BASE = 10_000
QUICK_TARGET = 10  # PostgreSQL's default_statistics_target for a quick pass (default 100)
SQLITE_ANALYSIS_LIMIT = 1000  # index rows ANALYZE reads per index on SQLite (approximate stats)


def refresh_statistics(
    session: Session,
    written: Mapping[str, int],
    scale: float = SCALE_FACTOR,
    base: int = BASE_THRESHOLD,
    quick: bool = False,
) -> list[str]:
    """Analyze those of the tables ``written`` (name → rows written now) whose statistics this
    write made stale, in the session's transaction; the names of the tables analyzed.

    ``scale`` is the part of a table that must have changed, beyond ``base`` rows: a long run
    of writes (a sync, page after page) passes 1.0 and :data:`RUN_BASE` as it goes, analyzing
    each time a table doubles once past that size, and the usual tenth when it ends; ``quick``
    (for those passes) samples a tenth of the usual rows on PostgreSQL (a statistics target of
    :data:`QUICK_TARGET`), ten times cheaper, until the run's last ANALYZE."""
    tables = sorted(name for name in written if name.isidentifier())
    if not tables:
        return []
    if session.get_bind().dialect.name == "sqlite":
        stale = _stale_sqlite(session, tables, written, scale, base)
        if stale:
            _analyze_sqlite(session, stale)
    else:
        stale = _stale_postgresql(session, tables, written, scale, base)
        if stale:
            _analyze_postgresql(session, stale, quick)
    if stale:
        log.info("analyzed %s", ", ".join(stale))
    return stale


def _threshold(rows: float, scale: float, base: int) -> float:
    return base + scale * max(rows, 0.0)


def _stale_postgresql(
    session: Session, tables: list[str], written: Mapping[str, int], scale: float, base: int
) -> list[str]:
    found = session.execute(
        text(
            "SELECT c.relname, c.reltuples, coalesce(s.n_mod_since_analyze, 0) "
            "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.relkind IN ('r', 'p') AND c.relname = ANY(:tables) "
            "AND c.relnamespace = to_regnamespace(current_schema())::oid"
        ),
        {"tables": tables},
    ).all()
    return sorted(
        name
        for name, reltuples, modified in found
        if reltuples < 0 or written[name] + modified > _threshold(reltuples, scale, base)
    )


def _stale_sqlite(
    session: Session, tables: list[str], written: Mapping[str, int], scale: float, base: int
) -> list[str]:
    analyzed: dict[str, int] = {}
    has_stat = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    ).first()
    if has_stat is not None:
        for table, stat in session.execute(
            text("SELECT tbl, stat FROM sqlite_stat1 WHERE tbl IN :tables").bindparams(
                bindparam("tables", expanding=True)
            ),
            {"tables": tables},
        ).all():
            rows = int((stat or "0").split()[0]) if (stat or "").split() else 0
            analyzed[table] = max(analyzed.get(table, 0), rows)
    stale = []
    for table in tables:
        if written[table] <= 0 and table in analyzed:
            continue
        # The names were checked by the caller (identifiers): never input.
        size = session.execute(text(f'SELECT max(rowid) FROM "{table}"')).scalar() or 0  # noqa: S608
        if table not in analyzed:
            if size > 0:
                stale.append(table)
        elif size - analyzed[table] > _threshold(analyzed[table], scale, base):
            stale.append(table)
    return stale


def _analyze_postgresql(session: Session, tables: list[str], quick: bool) -> None:
    target = session.execute(text("SHOW default_statistics_target")).scalar_one()
    if quick:
        session.execute(text("SELECT set_config('default_statistics_target', :v, true)"),
                        {"v": str(QUICK_TARGET)})  # fmt: skip
    try:
        for table in tables:
            # Names known to the catalog (and identifiers): never input.
            session.execute(text(f'ANALYZE "{table}"'))
    finally:
        if quick:
            session.execute(text("SELECT set_config('default_statistics_target', :v, true)"),
                            {"v": str(target)})  # fmt: skip


def _analyze_sqlite(session: Session, tables: list[str]) -> None:
    limit = session.execute(text("PRAGMA analysis_limit")).scalar() or 0
    session.execute(text(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}"))
    try:
        for table in tables:
            session.execute(text(f'ANALYZE "{table}"'))
    finally:
        session.execute(text(f"PRAGMA analysis_limit = {int(limit)}"))


def optimize_on_close(engine: Engine) -> None:
    """On SQLite, run ``PRAGMA optimize`` as each of the engine's connections closes (SQLite's
    advice to applications: it analyzes what that connection's queries showed would gain)."""
    if engine.dialect.name != "sqlite":
        return

    def optimize(dbapi_connection: object, _record: object) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            with contextlib.suppress(sqlite3.Error):
                dbapi_connection.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
                dbapi_connection.execute("PRAGMA optimize")

    if not any(getattr(listener, "puente_optimize", False)
               for listener in engine.pool.dispatch.close):  # fmt: skip
        optimize.puente_optimize = True  # type: ignore[attr-defined]
        event.listen(engine, "close", optimize)
