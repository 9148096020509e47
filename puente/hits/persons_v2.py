"""A person's match keys, spec version 2 (docs/match-keys.md, "Persons, version 2").

Version 1's keys were precise on real names but missed one true match in ten: a digit of the
date of birth off, another real date of birth, a moniker for the given names, a year of birth
without the maternal surname, a nickname it did not know, a typo at the start of a surname.
Version 2 keeps version 1's keys of a name and a full date (in its own version) and adds:

- every date of birth a record or a query gives;
- a date with one part left out (year, month or day) only with stronger names: both surnames
  and the first given name, or one surname and every given name (two or more);
- a date with one digit unknown, with one surname and the first given name, only when
  neither is among the commonest names of either country (names_v2.COMMON_*): for those,
  a digit's worth of tolerance would answer with too many strangers;
- monikers ("EL SAPO") and one-word aliases as given names with the person's surnames, on
  both sides; articles are never names; a one-letter given name is an initial, and meets the
  full names it may stand for (and other initials) but two full names never meet by it;
- both surnames as one word however a record writes them (two fields, hyphenated, fused):
  with the date, the loose dates and the year; a record's single word may be both surnames
  fused, and is asked for as such without ever meeting a single surname of the other side;
- a year of birth with one surname when every given name is known (two or more);
- a surname's code less one of its first three symbols, with the first given name and the
  date: it survives a typo at the start of the surname, which changes the code and its
  first symbols (version 1's initial-name-dob) both.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence

from puente.errors import N_
from puente.hits import phonetic
from puente.hits.documents import add_document_keys
from puente.hits.keys import Keys
from puente.hits.names_v2 import (
    ARTICLES,
    COMMON_GIVEN,
    COMMON_SURNAMES,
    PersonName,
    parse,
    parse_full,
)
from puente.hits.persons import birth_date, swapped
from puente.hits.text import name_tokens

VERSION = 2
EDITED = 3  # the first symbols of a surname's code, each left out in turn (edits)
MIN_EDITED_CODE = 4  # a shorter code less a symbol is too common a pair of letters
MAX_GIVEN_COMBINATIONS = 8  # readings of "every given name" (ambiguous nicknames multiply)

# A name's codes are asked for again for each date, surname and key type: computed once per
# word (an index build makes millions of keys from a few thousand distinct names).
_spanish = functools.lru_cache(maxsize=16_384)(phonetic.spanish)
_english = functools.lru_cache(maxsize=16_384)(phonetic.english)


def one_digit_off(iso: str) -> list[str]:
    """The date with each digit in turn unknown, but the century's two ("19?4-03-12" ...
    "1984-03-1?"): a typo there gives a year no record holds (1084, 2984). A date one digit
    off, a typo on either side, shares one of them."""
    return [iso[:i] + "?" + iso[i + 1 :] for i, c in enumerate(iso) if c.isdigit() and i >= 2]


def relaxed(iso: str) -> tuple[str, str, str]:
    """The date with its year, month or day left out: "*-03-12", "1984-*-12", "1984-03-*"."""
    year, month, day = iso.split("-")
    return f"*-{month}-{day}", f"{year}-*-{day}", f"{year}-{month}-*"


def _surname_candidates(name: PersonName) -> list[str]:
    found = [*name.surnames, *name.fused]
    if name.paternal and name.paternal not in found:
        found.append(name.paternal)
    return list(dict.fromkeys(found))


def _both_surnames(name: PersonName, query: bool) -> list[tuple[str, str]]:
    """Both surnames as one word: (its code, the suffix of the key types it is asked under).

    A single surname word may be both fused ("GARCIALOPEZ") or one surname ("GARCIA"). Two
    sides must never meet by a single surname each, so a record's surnames known to be two
    go under the plain types, and a record's single word under the types ending "-oneword";
    a query asks its two surnames under both, and its single word under the plain ones only.
    """
    known = [(_spanish(s), "") for s in name.fused]
    single = [_spanish(s) for s in name.surnames[:1]]
    if name.fused or len(name.surnames) != 1 or name.maternal:
        single = []
    if not query:
        return list(dict.fromkeys([*known, *((code, "-oneword") for code in single)]))
    return list(dict.fromkeys(
        [*known, *((code, "-oneword") for code, _ in known), *((code, "") for code in single)]
    ))  # fmt: skip


def _every_given(name: PersonName) -> list[str]:
    """Every given name's code joined ("JOSE+LUIS"): one per reading, when two or more."""
    if len(name.given) < 2:
        return []
    readings = itertools.islice(itertools.product(*name.given), MAX_GIVEN_COMBINATIONS)
    return list(dict.fromkeys("+".join(_spanish(g) for g in r) for r in readings))


def edits(code: str) -> list[str]:
    """A surname's code and the code less one of its first symbols (the typo-prone start that
    the code's first symbols cannot stand for): two codes one typo apart there share one."""
    if len(code) < MIN_EDITED_CODE:
        return [code]
    return list(dict.fromkeys([code, *(code[:i] + code[i + 1 :] for i in range(EDITED))]))


class _Person:
    """The keys of one name (the person's, or an alias) with the person's dates."""

    def __init__(self, keys: Keys, full: Sequence[str], years: Sequence[tuple[str, bool]],
                 query: bool) -> None:  # fmt: skip
        self.keys, self.full, self.years, self.query = keys, full, years, query

    def name(self, name: PersonName, monikers: Sequence[str] = ()) -> None:
        if not name.surnames:
            return
        givens = list(dict.fromkeys([*(f for forms in name.given for f in forms), *monikers]))
        firsts = [_spanish(f) for f in (*(name.given[0] if name.given else ()),
                                                *monikers)]  # fmt: skip
        surnames = _surname_candidates(name)
        both = _both_surnames(name, self.query)
        every = _every_given(name)
        for day in self.full:
            self._exact(day, name, surnames, givens, both)
            if name.initial_only:
                continue  # the first given name is an initial: too little for a loose date
            for part, (fused, suffix), first in itertools.product(relaxed(day), both, firsts):
                self.keys.add(f"person.surnames-name-dobpart{suffix}", fused, first, part)
            for part, surname, givens_code in itertools.product(relaxed(day), surnames, every):
                self.keys.add("person.name-givens-dobpart", _spanish(surname),
                              givens_code, part)  # fmt: skip
        for year, only in self.years:
            for key_type in self._year_types(only):
                for (fused, suffix), first in itertools.product(both, firsts):
                    self.keys.add(key_type + suffix, fused, first, year)
                for surname, givens_code in itertools.product(surnames, every):
                    self.keys.add(key_type.replace("names-", "name-givens-"),
                                  _spanish(surname), givens_code, year)  # fmt: skip

    def _exact(self, day: str, name: PersonName, surnames: list[str], givens: list[str],
               both: list[tuple[str, str]]) -> None:  # fmt: skip
        add = self.keys.add
        for surname in surnames:
            code = _spanish(surname)
            for given in givens:
                given_code = _spanish(given)
                add("person.name-dob", code, given_code, day)
                add("person.name-dob-en", _english(surname), _english(given), day)
                add("person.initial-name-dob", code[:2], given_code, day)
                add("person.name-initial-dob", code, given_code[:2], day)
            for initial, key_type in itertools.product(name.initials, self._initial_types(name)):
                add(key_type, code, initial, day)
        first_forms = name.given[0] if name.given else ()
        firsts = [_spanish(f) for f in first_forms]
        for surname in name.surnames:
            code = _spanish(surname)
            for edited, first in itertools.product(edits(code), firsts):
                add("person.edited-name-dob", edited, first, day)
            for form in first_forms:
                if surname in COMMON_SURNAMES or form in COMMON_GIVEN:
                    continue  # common enough to flood a national index's answers
                for near in one_digit_off(day):
                    add("person.name-dob-digit", code, _spanish(form), near)
        for first, second in itertools.combinations(name.surnames, 2):
            add("person.surnames-dob",
                *sorted((_spanish(first), _spanish(second))), day)  # fmt: skip
        for fused, suffix in both:
            add(f"person.surnames-fused-dob{suffix}", fused, day)

    def _initial_types(self, name: PersonName) -> tuple[str, ...]:
        """A first given name written as its initial meets the full names it may stand for on
        the other side, and another initial; two full names never meet by their initials."""
        if name.initial_only:
            return ("person.initial-asked-dob" if self.query else "person.initial-held-dob",
                    "person.initials-dob")  # fmt: skip
        return ("person.initial-held-dob",) if self.query else ("person.initial-asked-dob",)

    def _year_types(self, only: bool) -> tuple[str, ...]:
        """A record holds names-year for every year, and names-yearonly for a year that is all
        it knows of a date; a query asks names-year with a year alone, names-yearonly with a
        full date. Two full dates never meet by the year alone."""
        if self.query:
            return ("person.names-year",) if only else ("person.names-yearonly",)
        return ("person.names-year", "person.names-yearonly") if only else ("person.names-year",)


def _dates(
    keys: Keys, dates_of_birth: Sequence[str], query: bool
) -> tuple[list[str], list[tuple[str, bool]]]:
    """The full dates (a query's with day and month swapped too) and the years (each with
    whether the year is all that is known) of every date of birth given."""
    full: list[str] = []
    years: list[tuple[str, bool]] = []
    for text in dates_of_birth:
        day, year = birth_date(text)
        if not year:
            keys.warn(N_("{value} is not a date of birth (YYYY-MM-DD or YYYY)."), text)
            continue
        if day:
            full.append(day)
            if query and (other := swapped(day)):
                full.append(other)
        years.append((year, not day))
    # A year known fully elsewhere is not "only" a year: the full date says more.
    known = {y for y, only in years if not only}
    years = [(y, only and y not in known) for y, only in years]
    return list(dict.fromkeys(full)), list(dict.fromkeys(years))


def _monikers(aliases: Iterable[str]) -> tuple[list[str], list[str]]:
    """One-word aliases (articles gone) and the aliases that are names."""
    monikers, full_names = [], []
    for alias in aliases:
        words = [w for parts in name_tokens(alias) for w in parts if w not in ARTICLES]
        if len(words) == 1 and len(words[0]) > 1:
            monikers.append(words[0])
        elif len(words) >= 2:
            full_names.append(" ".join(words))
    return monikers, full_names


def person_keys(
    given_names: str,
    paternal_surname: str,
    maternal_surname: str = "",
    *,
    aliases: Iterable[str] = (),
    dates_of_birth: Sequence[str] = (),
    documents: Iterable[str] = (),
    query: bool = False,
) -> Keys:
    """The keys of a person in version 2; ``query`` adds the query-side variants."""
    keys = Keys(version=VERSION)
    full, years = _dates(keys, dates_of_birth, query)
    person = _Person(keys, full, years, query)
    monikers, full_names = _monikers(aliases)
    person.name(parse(given_names, paternal_surname, maternal_surname), monikers)
    for day in full:  # a moniker alone is too common to match without the date
        for moniker in monikers:
            keys.add("person.alias-dob", _spanish(moniker), day)
    for text in full_names:
        person.name(parse_full(text))
    add_document_keys(keys, documents)
    return keys
