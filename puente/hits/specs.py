"""Which rules make a spec version's keys (docs/match-keys.md, "Versions").

Versions 1 and 2 differ for persons only: firearms and vehicles follow the same rules in both,
their keys carrying their version. A node answers and asks in every version of
``hits.spec_versions``; two nodes use the highest both know (puente.hits.transport).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from puente.hits import persons, persons_v2
from puente.hits.firearms import firearm_keys
from puente.hits.keys import LATEST, SPEC_VERSIONS, Keys
from puente.hits.vehicles import vehicle_keys

__all__ = ["LATEST", "SPEC_VERSIONS", "firearm_keys", "person_keys", "vehicle_keys"]


def _person_v1(
    given_names: str,
    paternal_surname: str,
    maternal_surname: str,
    *,
    aliases: Iterable[str],
    dates_of_birth: Sequence[str],
    documents: Iterable[str],
    query: bool,
) -> Keys:
    # Version 1 knows one date of birth: the first a record or a query gives.
    return persons.person_keys(
        given_names, paternal_surname, maternal_surname, aliases=aliases,
        date_of_birth=dates_of_birth[0] if dates_of_birth else "", documents=documents,
        query=query,
    )  # fmt: skip


PersonRules = Callable[..., Keys]
PERSON_RULES: dict[int, PersonRules] = {1: _person_v1, 2: persons_v2.person_keys}


def person_keys(
    version: int,
    given_names: str,
    paternal_surname: str,
    maternal_surname: str = "",
    *,
    aliases: Iterable[str] = (),
    dates_of_birth: Sequence[str] = (),
    documents: Iterable[str] = (),
    query: bool = False,
) -> Keys:
    """A person's keys in spec ``version``; ``query`` adds the query-side variants."""
    return PERSON_RULES[version](
        given_names, paternal_surname, maternal_surname, aliases=aliases,
        dates_of_birth=[d for d in dates_of_birth if d.strip()], documents=documents,
        query=query,
    )  # fmt: skip
