"""A person's match keys, spec version 2 (docs/match-keys.md, "Persons, version 2")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from puente.hits import persons
from puente.hits.keys import Keys

VERSION = 2


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
    """The keys of a person; ``query`` adds the query-side variants."""
    # Interim: the rules of version 1 under version 2's name, until version 2's land.
    first = persons.person_keys(
        given_names, paternal_surname, maternal_surname, aliases=aliases,
        date_of_birth=dates_of_birth[0] if dates_of_birth else "", documents=documents,
        query=query,
    )  # fmt: skip
    return Keys({replace(k, version=VERSION) for k in first.keys}, first.warnings, VERSION)
