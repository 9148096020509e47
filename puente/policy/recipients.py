"""Named recipients, in their one stored form: ``username@CCC`` (DESIGN.md, "Records and
markings", the second rule after the decision table).

CCC is the ISO 3166-1 alpha-3 country of the node the user is on: one node per government. A
writer may name a user of its own node by username alone, and a user of any node as
``username@`` followed by the node's country (in any case) or its node id; the node stores
each name qualified by country. A node matches only ``username@<its own country>`` against
its users, so a partner's recipient is never this node's user of the same name, and the egress
gate keeps a record whose recipients are all on its own node from leaving it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from puente.errors import N_, Problem

# As puente.accounts names users: a username is the same on every node, only its country differs.
USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")
# What may follow the @: a country code or a node id (a slug; puente.config checks node ids).
QUALIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")

# A qualifier as written, lower-cased (a country code or a node id) → the country it names.
Directory = Mapping[str, str]


def directory(countries: Iterable[str], nodes: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The qualifiers a writer may use: each country, and each (node id, country) pair.

    A country code always names its country: a node whose id spells another country's code
    (a partner registered as ``usa``) never turns ``bob@USA`` into a user of its own. A node
    id listed twice keeps its first country: the writing node lists itself first, so a partner
    registered under this node's own id never takes its users."""
    listed = list(nodes)
    known: dict[str, str] = {}
    for node_id, country in listed:
        known.setdefault(node_id.lower(), country)
    for country in [*countries, *(country for _, country in listed)]:
        known[country.lower()] = country
    return known


def qualify_all(
    names: Iterable[str], home: str, known: Directory, pointer: str
) -> tuple[frozenset[str], list[Problem]]:
    """The stored form of the recipients a writer on a node of country ``home`` named, and a
    problem at ``pointer``/N for each name N that is not a recipient."""
    qualified: set[str] = set()
    problems: list[Problem] = []
    for index, written in enumerate(names):
        name = written.strip() if isinstance(written, str) else ""
        user, at, where = name.partition("@")
        if not USERNAME.fullmatch(user) or (at and not QUALIFIER.fullmatch(where)):
            problems.append(
                Problem(
                    N_(
                        "{value} is not a named recipient: write a username of this node, or "
                        "user@COUNTRY for a user of another node (such as gn.analista@MEX)."
                    ),
                    f"{pointer}/{index}",
                    {"value": str(written)},
                )
            )
            continue
        country = known.get(where.lower()) if at else home
        if country is None:
            problems.append(
                Problem(
                    N_(
                        "{value} names a node unknown here: after the @, write the user's "
                        "country ({countries}) or its node's id."
                    ),
                    f"{pointer}/{index}",
                    {"value": name, "countries": ", ".join(sorted(set(known.values())))},
                )
            )
            continue
        qualified.add(f"{user}@{country}")
    return frozenset(qualified), problems


def received_as(names: Iterable[str], owner: str, known: Directory) -> frozenset[str]:
    """A partner's recipients as this node stores them beside the partner's object (which
    stays as it came): a bare name is a user of the owner's node, a known qualifier becomes
    its country, and anything else is kept as written, where it can match no user here."""
    stored = set()
    for name in names:
        user, at, where = name.partition("@")
        country = (known.get(where.lower()) if at else owner) if USERNAME.fullmatch(user) else None
        stored.add(f"{user}@{country}" if country else name)
    return frozenset(stored)


def country_of(recipient: str) -> str:
    """The country a stored recipient's user is on ("" for a name stored before qualifying)."""
    return recipient.rpartition("@")[2] if "@" in recipient else ""
