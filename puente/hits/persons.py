"""A person's match keys, spec version 1 (docs/match-keys.md, "Persons").

Name keys pair one surname with one given name (each in its canonical form) and the date of
birth, in the Spanish phonetic code and again in English Metaphone: a dropped maternal
surname, surnames swapped or hyphenated, a second given name left out or a nickname still
meet one of them. Both surnames together with the date of birth cover a misspelt given name;
both surnames, the first given name and the birth year reach a record or a query that knows
only the year. A query also tries the date with day and month swapped (02/03 read as 3
February or 2 March).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date

from puente.errors import N_
from puente.hits import phonetic
from puente.hits.documents import add_document_keys
from puente.hits.keys import Keys
from puente.hits.names import PersonName, parse, parse_full
from puente.hits.text import fold

ARTICLES = frozenset({"EL", "LA", "LOS", "LAS", "THE"})


def birth_date(text: str) -> tuple[str, str]:
    """(full ISO date or "", year or "") of a date of birth as records hold it."""
    value = text.strip()[:10]
    if len(value) == 4 and value.isascii() and value.isdigit():
        return "", value
    try:
        return date.fromisoformat(value).isoformat(), value[:4]
    except ValueError:
        return "", ""


def swapped(iso: str) -> str:
    """The date with day and month swapped, when that is another valid date."""
    year, month, day = iso.split("-")
    if day == month or int(day) > 12:
        return ""
    return f"{year}-{day}-{month}"


def _surname_candidates(name: PersonName) -> list[str]:
    found = [*name.surnames, *name.fused]  # "Garcialopez", "Cisnerosdelagarza"
    if name.paternal and name.paternal not in found:
        found.append(name.paternal)  # "García-López" written as one word
    return list(dict.fromkeys(found))


def _year_types(full_date: bool, query: bool) -> tuple[str, ...]:
    """Which birth-year keys a side emits: the year reaches only where a full date cannot.

    A record holds ``names-year`` (and ``names-yearonly`` when the year is all it knows); a
    query with a full date asks ``names-yearonly``, a query with only the year ``names-year``.
    Two full dates never meet by the year alone: the same names in the same year are common.
    """
    if query:
        return ("person.names-yearonly",) if full_date else ("person.names-year",)
    return ("person.names-year",) if full_date else ("person.names-year", "person.names-yearonly")


def _name_keys(
    keys: Keys, name: PersonName, dates: Sequence[str], year: str, year_types: tuple[str, ...]
) -> None:
    if not name.has_names:
        return
    givens = list(dict.fromkeys(form for forms in name.given for form in forms))
    surnames = _surname_candidates(name)
    for day in dates:
        for surname, given in itertools.product(surnames, givens):
            keys.add("person.name-dob", phonetic.spanish(surname), phonetic.spanish(given), day)
            # A misspelt word of the two still leaves the first two sounds of it.
            keys.add("person.name-dob-en", phonetic.english(surname),
                     phonetic.english(given), day)  # fmt: skip
            surname_code, given_code = phonetic.spanish(surname), phonetic.spanish(given)
            keys.add("person.name-initial-dob", surname_code, given_code[:2], day)
            keys.add("person.initial-name-dob", surname_code[:2], given_code, day)
        for first, second in itertools.combinations(name.surnames, 2):
            pair = sorted((phonetic.spanish(first), phonetic.spanish(second)))
            keys.add("person.surnames-dob", *pair, day)
    if year and name.paternal and name.maternal:
        pair = sorted((phonetic.spanish(name.paternal), phonetic.spanish(name.maternal)))
        for given in name.given[0]:
            for key_type in year_types:
                keys.add(key_type, *pair, phonetic.spanish(given), year)


def _alias_keys(
    keys: Keys, alias: str, dates: Sequence[str], year: str, year_types: tuple[str, ...]
) -> None:
    words = [w for w in fold(alias).split() if w not in ARTICLES]
    if len(words) >= 2:
        _name_keys(keys, parse_full(" ".join(words)), dates, year, year_types)
    elif words:
        for day in dates:  # a moniker alone is too common to match without the date
            keys.add("person.alias-dob", phonetic.spanish(words[0]), day)


def person_keys(
    given_names: str,
    paternal_surname: str,
    maternal_surname: str = "",
    *,
    aliases: Iterable[str] = (),
    date_of_birth: str = "",
    documents: Iterable[str] = (),
    query: bool = False,
) -> Keys:
    """The keys of a person; ``query`` adds the query-side variants."""
    keys = Keys()
    full, year = birth_date(date_of_birth)
    if date_of_birth.strip() and not year:
        keys.warn(N_("{value} is not a date of birth (YYYY-MM-DD or YYYY)."), date_of_birth)
    dates = [full] if full else []
    if full and query and (other := swapped(full)):
        dates.append(other)
    year_types = _year_types(bool(full), query)
    name = parse(given_names, paternal_surname, maternal_surname)
    _name_keys(keys, name, dates, year, year_types)
    for alias in aliases:
        _alias_keys(keys, alias, dates, year, year_types)
    add_document_keys(keys, documents)
    return keys
