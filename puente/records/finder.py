"""Finding current records by their words, newest first, in time that does not grow with the store.

A search is "these words, these filters, newest first, one page". Two plans answer it well,
for different words, and a database planner cannot tell beforehand which one a word needs:

* a **common** word (garcia, smith) is on many records: walking the records newest first and
  testing each fills the page after a few hundred rows; asking the text index instead finds
  every record with the word and sorts them all;
* a **rare** or absent word is on few records: the walk reads the whole store to find them;
  the text index (PostgreSQL: a pg_trgm GIN index; see migration 0024) finds them at once.

So :func:`newest` does both, in that order: it tests the newest :data:`WINDOW` candidates
(the rows that pass the filters, ignoring the words), and only if the page is not full there
asks the text index for the rest, below the window. Each step is bounded: the walk by the
window, the index step by the records that have the words. The order (pk descending) and the
keyset (``after``) are the same for both steps, so a page is exactly the one a single query
would give.

Words match as before, anywhere in the record's search text (accents and case folded, see
:mod:`puente.records.text`), and each also by its other Spanish and English forms
(:func:`puente.records.text.word_forms`: armas finds arma, firearms finds firearm), as the
start of a word.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from puente.records.models import Record
from puente.records.text import fold, word_forms

MAX_WORDS = 8
# Candidates tested newest first before the text index is asked: a word on at least one in
# WINDOW / page-size of them fills the page in the walk.
WINDOW = 2000


def word_conditions(text: str) -> list[ColumnElement[bool]]:
    """One condition per searched word (at most :data:`MAX_WORDS`); all must hold."""
    conditions: list[ColumnElement[bool]] = []
    for word in fold(text).split()[:MAX_WORDS]:
        # search_text is stored with a space before every word (text.search_text), so
        # " form" is a form at the start of a word.
        forms = [Record.search_text.contains(" " + f, autoescape=True) for f in word_forms(word)]
        conditions.append(or_(Record.search_text.contains(word, autoescape=True), *forms))
    return conditions


def newest(
    session: Session,
    filters: Sequence[ColumnElement[bool]],
    words: Sequence[ColumnElement[bool]],
    gate: Sequence[ColumnElement[bool]],
    after: int | None,
    count: int,
) -> list[Record]:
    """Up to ``count`` records below ``after`` (a pk) that meet every condition, newest first.

    ``filters`` are conditions on the row's own columns (is_current, kind, TLP ...) that
    define the candidates; ``words`` the word conditions; ``gate`` the reader's visibility.
    """
    base = [*filters, *gate]
    if after is not None:
        base.append(Record.pk < after)

    def query(*more: ColumnElement[bool]) -> Select[tuple[Record]]:
        return select(Record).where(*base, *words, *more).order_by(Record.pk.desc())

    if not words:
        return list(session.execute(query().limit(count)).scalars())
    # The pk of the WINDOW-th newest candidate: the walk stops there.
    window = select(Record.pk).where(*filters).order_by(Record.pk.desc())
    if after is not None:
        window = window.where(Record.pk < after)
    boundary = session.execute(window.offset(WINDOW - 1).limit(1)).scalar()
    if boundary is None:  # fewer candidates than the window: one walk holds them all
        return list(session.execute(query().limit(count)).scalars())
    found = list(session.execute(query(Record.pk >= boundary).limit(count)).scalars())
    if len(found) >= count:
        return found
    # Below the window, by the text index: ordered by an expression no index provides, so
    # the planner cannot fall back to walking the pk index (slow for rare and absent words).
    rest = (
        select(Record)
        .where(*base, *words, Record.pk < boundary)
        .order_by((Record.pk + 0).desc())
        .limit(count - len(found))
    )
    return found + list(session.execute(rest).scalars())
