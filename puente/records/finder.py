"""Finding current records by their words, newest first, in time that does not grow with the store.

A search is "these words, these filters, newest first, one page". Two plans answer it well,
for different words, and a database planner cannot tell beforehand which one a word needs:

* a **common** word (garcia, smith) is on many records: walking the records newest first and
  testing each fills the page after a few hundred rows; asking the text index instead finds
  every record with the word and sorts them all;
* a **rare** or absent word is on few records: the walk reads the whole store to find them;
  the text index (PostgreSQL: a pg_trgm GIN index; SQLite: an FTS5 trigram table; see
  migration 0025) finds them at once.

So :func:`newest` does both, in that order: it tests the newest :data:`WINDOW` candidates
(the rows that pass the filters, ignoring the words); if the words were there but the page is
not full, as many more as the rate it found them at says the page needs (up to :data:`WIDER`
windows); and only then asks the text index for the rest, below the walk. Each step is
bounded: the walk by its windows, the index step by the records that have the words, which
is few for a word the walk did not find often. The order (pk descending) and the keyset
(``after``) are the same for both steps, so a page is exactly the one a single query would
give.

Words match anywhere in the record's search text (accents and case folded, see
:mod:`puente.records.text`), words of one or two letters at the start of a word only, and
each also by its other Spanish and English forms
(:func:`puente.records.text.word_forms`: armas finds arma, firearms finds firearm), as the
start of a word.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    column,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session

from puente.records.models import TEXT_TABLE, Record
from puente.records.text import fold, word_forms

MAX_WORDS = 8
# Candidates tested newest first before the text index is asked: a word on at least one in
# WINDOW / page-size of them fills the page in the walk. A word found there but not often
# enough walks on as far as its rate there says it must (in up to WALKS steps, WIDER windows
# in all) before the index is asked for the rest: the index step reads every record that has
# the word, too many for a word that common.
WINDOW = 2000
WIDER = 10
WALKS = 4
TRIGRAM = 3
TEXT = table(TEXT_TABLE, column("rowid"))


class Words(NamedTuple):
    """The searched words as SQL: one condition per word (all must hold), the same conditions
    on an expression no index serves (for the walk: see :func:`newest`), and the same as an
    FTS5 query for SQLite's text index ("" when no word is long enough to ask it)."""

    conditions: list[ColumnElement[bool]]
    tested: list[ColumnElement[bool]]
    fts_query: str


def words(text: str) -> Words:
    """The words of ``text`` (at most :data:`MAX_WORDS`), each also in its other forms."""
    conditions: list[ColumnElement[bool]] = []
    tested: list[ColumnElement[bool]] = []
    groups: list[str] = []
    # The same text, as an expression: PostgreSQL, which cannot tell how many rows have a
    # word, would otherwise answer the walk from the trigram index too (every record with the
    # word, sorted), which is the slow plan for a common word.
    unindexed = Record.search_text.concat("")
    for word in fold(text).split()[:MAX_WORDS]:
        # search_text is stored with a space before every word (text.search_text), so
        # " form" is a form at the start of a word.
        # A word shorter than a trigram matches at the start of a word only (" wu"): as a
        # substring anywhere it has no trigram for an index to look up, so a search for it
        # alone read every record (seconds at 10M); and it matched inside most names ("ez").
        short = len(word) < TRIGRAM
        patterns = [" " + word if short else word, *(" " + form for form in word_forms(word))]
        exact = or_(*(unindexed.contains(p, autoescape=True) for p in patterns))
        tested.append(exact)
        core = _core(patterns)
        if core:
            conditions.append(and_(Record.search_text.contains(core, autoescape=True), exact))
        else:
            conditions.append(or_(*(Record.search_text.contains(p, autoescape=True)
                                    for p in patterns)))  # fmt: skip
        if all(len(p) >= TRIGRAM for p in patterns):  # shorter strings have no trigram
            groups.append("(" + " OR ".join(_trigrams(p) for p in patterns) + ")")
    return Words(conditions, tested, " AND ".join(groups))


def _core(patterns: list[str]) -> str:
    """One string every pattern of a word contains, for the text index to look up alone
    ("canal" for "canales" or " canal"); "" if there is none.

    The index is asked for that string only, and the exact patterns tested on the rows it
    gives: asked for each pattern, PostgreSQL looked up the trigrams of each, and those of a
    form at the start of a word ("  c", " ca" for " canal") are on millions of records (a
    two-word name took 100 ms instead of 30 at 10M)."""
    shortest = min(patterns, key=len)
    core = shortest.lstrip(" ") if len(shortest.lstrip(" ")) >= TRIGRAM else shortest
    if len(patterns) == 1 and core == shortest:
        return ""  # the pattern itself: nothing to gain
    return core if all(core in pattern for pattern in patterns) else ""


def _trigrams(pattern: str) -> str:
    """An FTS5 query for the records whose text holds every trigram of ``pattern``: what the
    trigram index can answer without positions (it keeps none: smaller, and quicker to write
    on every import). Some records it gives lack the pattern itself; the LIKE conditions
    beside it drop them."""
    grams = dict.fromkeys(pattern[i : i + TRIGRAM] for i in range(len(pattern) - TRIGRAM + 1))
    return "(" + " AND ".join(f'"{gram}"' for gram in grams) + ")"


def _below_by_index(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    boundary: int,
    found: Words,
    count: int,
) -> Select[Record]:
    """The query for rows below ``boundary`` meeting ``conditions`` (the words' among them)
    that asks the text index first, newest first.

    SQLite: the FTS5 table (migration 0025) hands its matches out newest first (descending
    rowid, which is the pk), so the page ends as soon as it is full, however many records
    have the words. PostgreSQL: the word conditions themselves are served by the pg_trgm
    index, as a bitmap; the order is an expression no index provides, so that the planner
    cannot choose to walk the pk index instead (slow for rare and absent words)."""
    if session.get_bind().dialect.name == "sqlite" and found.fts_query:
        match = literal_column(TEXT_TABLE).op("MATCH")(bindparam("fts_query", found.fts_query))
        return (
            select(Record)
            .select_from(TEXT)
            .join(Record, Record.pk == TEXT.c.rowid)
            .where(match, TEXT.c.rowid < boundary, *conditions)
            .order_by(TEXT.c.rowid.desc())
            .limit(count)
        )
    return select(Record).where(*conditions).order_by((Record.pk + 0).desc()).limit(count)


def newest(
    session: Session,
    indexed: Sequence[ColumnElement[bool]],
    filters: Sequence[ColumnElement[bool]],
    found: Words,
    gate: Sequence[ColumnElement[bool]],
    after: int | None,
    count: int,
) -> list[Record]:
    """Up to ``count`` records below ``after`` (a pk) that meet every condition, newest first.

    ``indexed`` and ``filters`` are conditions on the row's own columns that define the
    candidates, ``indexed`` those an index answers without reading the rows (is_current,
    kind, TLP): the windows are counted in them. ``found`` are the searched words, ``gate``
    the reader's visibility.
    """
    base = [*indexed, *filters, *gate]
    if after is not None:
        base.append(Record.pk < after)
    text = found.conditions

    def query(*more: ColumnElement[bool]) -> Select[Record]:
        return select(Record).where(*base, *found.tested, *more).order_by(Record.pk.desc())

    if not text:
        return list(session.execute(query().limit(count)).scalars())
    rows: list[Record] = []
    start = after
    window = WINDOW
    walked_so_far = 0
    for walk in range(1, WALKS + 1):
        # The pk of the window-th newest candidate below ``start``: the walk stops there.
        edge = select(Record.pk).where(*indexed).order_by(Record.pk.desc())
        if start is not None:
            edge = edge.where(Record.pk < start)
        boundary = session.execute(edge.offset(window - 1).limit(1)).scalar()
        if boundary is None:  # fewer candidates than the window: the walk holds them all
            more = [] if start is None else [Record.pk < start]
            return rows + list(session.execute(query(*more).limit(count - len(rows))).scalars())
        walked = [Record.pk >= boundary] + ([] if start is None else [Record.pk < start])
        rows += session.execute(query(*walked).limit(count - len(rows))).scalars()
        if len(rows) >= count:
            return rows
        start = boundary
        walked_so_far += window
        # How far the walk would have to go on, at the rate it found the words so far: on, if
        # that is not far; else to the text index, which reads every record with the words
        # (few, for a word that rare). A walk that fell a row or two short walks on rather
        # than ask the index for them: for a common word that read every record with it
        # (57,000 rows, 650 ms at 10M) to find the row that says a next page exists.
        # SQLite's text index hands its matches out newest first and stops when the page is
        # full: it is always the way on there.
        if not rows or walk == WALKS or (session.get_bind().dialect.name == "sqlite"
                                         and found.fts_query):  # fmt: skip
            break
        rate = len(rows) / walked_so_far
        window = max(math.ceil((count - len(rows)) * 1.5 / rate), WINDOW // 4)
        if walked_so_far + window > WINDOW * WIDER:
            break
    # Below the walk, by the text index.
    assert start is not None  # the first window had a boundary
    below = [*base, *text, Record.pk < start]
    rest = _below_by_index(session, below, start, found, count - len(rows))
    return rows + list(session.execute(rest).scalars())
