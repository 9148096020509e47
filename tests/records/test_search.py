"""Search by words: accents, Spanish and English word forms, partial names, and pages that hold
the same records whichever of the finder's two steps (the newest-first walk, the text index)
found them."""

from __future__ import annotations

from typing import Any

import pytest

from puente.node import Node
from puente.policy.markings import Markings
from puente.policy.roles import Principal
from puente.policy.schemas import MarkingsIn
from puente.records import finder
from puente.records import service as records
from puente.records.text import word_forms
from tests.support.nodes import add_user


def marks(tlp: str = "AMBER", **more: Any) -> Markings:
    return MarkingsIn(tlp=tlp, **more).to_markings("USA")


def _incident(node: Node, who: Principal, name: str, tlp: str = "AMBER") -> str:
    with node.db.session() as session:
        made = records.create(session, node.settings, who, "incident", {"name": name}, marks(tlp))
    return made.stix_id


def _names(node: Node, who: Principal, text: str, **query: Any) -> list[str]:
    with node.db.session() as session:
        page = records.search(session, who, records.SearchQuery(text=text, limit=200, **query))
    return [v.name for v in page.items]


@pytest.fixture
def dea(node: Node) -> Principal:
    return add_user(node, "dan", "DEA", ["analyst"])


@pytest.fixture(params=["walk", "index"])
def step(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs twice: records found in the newest-first walk, and (a window of one
    candidate) found below it through the text index: pg_trgm on PostgreSQL, FTS5 on SQLite."""
    if request.param == "index":
        monkeypatch.setattr(finder, "WINDOW", 1)
        monkeypatch.setattr(finder, "WIDER", 1)
    return str(request.param)


def test_words_match_without_accents_or_case_in_both_languages(
    node: Node, analyst: Principal, step: str
) -> None:
    for name in ("Decomiso en Nogales", "María Hernández Núñez", "Seizure at Laredo", "Zeta"):
        _incident(node, analyst, name)
    assert _names(node, analyst, "HERNANDEZ") == ["María Hernández Núñez"]
    assert _names(node, analyst, "núñez maría") == ["María Hernández Núñez"]
    assert _names(node, analyst, "decomiso NOGALES") == ["Decomiso en Nogales"]
    assert _names(node, analyst, "laredo") == ["Seizure at Laredo"]
    assert _names(node, analyst, "nogales laredo") == []


def test_partial_names_match_at_the_start_and_inside_words(
    node: Node, analyst: Principal, step: str
) -> None:
    _incident(node, analyst, "José Hernández")
    _incident(node, analyst, "Hermosillo crossing")
    assert _names(node, analyst, "hern") == ["José Hernández"]
    assert _names(node, analyst, "nandez") == ["José Hernández"]
    assert sorted(_names(node, analyst, "her")) == ["Hermosillo crossing", "José Hernández"]


def test_words_of_one_or_two_letters_match_at_the_start_of_a_word(
    node: Node, analyst: Principal, step: str
) -> None:
    for name in ("Wu Chen", "Kawuma Ng", "José Hernández", "Ezequiel Li", "Ana Lizárraga"):
        _incident(node, analyst, name)
    assert _names(node, analyst, "wu") == ["Wu Chen"]  # not Kawuma
    assert _names(node, analyst, "ng") == ["Kawuma Ng"]
    assert _names(node, analyst, "ez") == ["Ezequiel Li"]  # not every Hernández
    assert _names(node, analyst, "LI") == ["Ana Lizárraga", "Ezequiel Li"]
    assert _names(node, analyst, "li ana") == ["Ana Lizárraga"]
    assert _names(node, analyst, "j hernandez") == ["José Hernández"]


def test_a_two_letter_word_is_looked_up_in_the_text_index() -> None:
    """Alone, a short word read every record when it matched anywhere (no trigram to look
    up): at the start of a word it has one (" wu"), which both text indexes can use."""
    assert finder.words("wu").fts_query == '((" wu"))'
    assert finder.words("wu chen").fts_query == '((" wu")) AND (("che" AND "hen"))'
    assert finder.words("j").fts_query == ""  # one letter: still none


def test_spanish_and_english_word_forms_find_each_other(
    node: Node, analyst: Principal, step: str
) -> None:
    for name in ("Arma larga asegurada", "Firearm recovered", "La nación", "Smuggler caught",
                 "Ciudades fronterizas", "Un lápiz"):  # fmt: skip
        _incident(node, analyst, name)
    assert _names(node, analyst, "armas") == ["Arma larga asegurada"]
    assert _names(node, analyst, "arma") == ["Arma larga asegurada"]
    assert _names(node, analyst, "firearms") == ["Firearm recovered"]
    assert _names(node, analyst, "firearm") == ["Firearm recovered"]
    assert _names(node, analyst, "naciones") == ["La nación"]
    assert _names(node, analyst, "smuggling") == ["Smuggler caught"]
    assert _names(node, analyst, "ciudad") == ["Ciudades fronterizas"]
    assert _names(node, analyst, "lapices") == ["Un lápiz"]
    assert _names(node, analyst, "aseguradas armas") == ["Arma larga asegurada"]
    assert _names(node, analyst, "seized firearms") == []
    assert _names(node, analyst, "recovered firearms") == ["Firearm recovered"]


def test_numbers_and_wildcards_are_matched_as_typed(
    node: Node, analyst: Principal, step: str
) -> None:
    _incident(node, analyst, "Load of 100 kg")
    _incident(node, analyst, "Plate ABC1234")
    assert _names(node, analyst, "100") == ["Load of 100 kg"]
    assert _names(node, analyst, "1_0") == []
    assert _names(node, analyst, "c123") == ["Plate ABC1234"]


def test_word_forms_are_prefixes_long_enough_to_mean_something() -> None:
    assert word_forms("armas") == ("arma",)
    assert word_forms("firearms") == ("firearm",)
    assert word_forms("naciones") == ("nacion",)
    assert word_forms("smuggling") == ("smuggl",)
    assert word_forms("arma") == ()  # "arm" would find every Armando
    assert word_forms("lovato") == ()  # no gender forms: names end in vowels too
    assert word_forms("ab1234") == ()  # numbers are not words


def test_pages_hold_every_match_once_newest_first_across_both_steps(
    node: Node, analyst: Principal, dea: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window smaller than a page: each page is part walk, part text index; the gate holds
    on both, and paging by ``after`` neither skips nor repeats a record."""
    monkeypatch.setattr(finder, "WINDOW", 4)
    monkeypatch.setattr(finder, "WIDER", 2)
    made = []
    for n in range(30):
        name = f"Garcia case {n}" if n % 3 else f"Other case {n}"
        restricted = marks(agencies=["CBP"]) if n % 5 == 0 else marks()
        with node.db.session() as session:
            made.append(
                records.create(
                    session, node.settings, analyst, "incident", {"name": name}, restricted
                ).name
            )
    for reader, expected in (
        (analyst, [m for m in reversed(made) if m.startswith("Garcia")]),
        (dea, [m for n, m in reversed(list(enumerate(made))) if m.startswith("Garcia")
               and n % 5]),
    ):  # fmt: skip
        seen: list[str] = []
        after = None
        while True:
            with node.db.session() as session:
                page = records.search(
                    session, reader, records.SearchQuery(text="garcia", limit=3, after=after)
                )
            assert len(page.items) <= 3
            seen.extend(v.name for v in page.items)
            if page.next_after is None:
                break
            after = page.next_after
        assert seen == expected


def test_a_new_version_replaces_the_old_words(node: Node, analyst: Principal, step: str) -> None:
    first = _incident(node, analyst, "Tunnel at Otay Mesa")
    _incident(node, analyst, "Unrelated")
    with node.db.session() as session:
        records.new_version(session, node.settings, analyst, first, {"name": "Túnel en Tijuana"},
                            marks())  # fmt: skip
    assert _names(node, analyst, "otay") == []
    assert _names(node, analyst, "tijuana") == ["Túnel en Tijuana"]
    with node.db.session() as session:
        records.revoke(session, node.settings, analyst, first)
    assert _names(node, analyst, "tijuana") == []
    assert _names(node, analyst, "tijuana", include_revoked=True) == ["Túnel en Tijuana"]


def test_filters_and_the_gate_apply_to_records_the_index_finds(
    node: Node, analyst: Principal, dea: Principal, step: str
) -> None:
    _incident(node, analyst, "Bodega Sonora green", "GREEN")
    _incident(node, analyst, "Bodega Sonora amber")
    with node.db.session() as session:
        records.create(session, node.settings, analyst, "incident", {"name": "Bodega Sonora cbp"},
                       marks(agencies=["CBP"]))  # fmt: skip
    assert _names(node, analyst, "bodega", tlp=("GREEN",)) == ["Bodega Sonora green"]
    assert sorted(_names(node, dea, "sonora")) == ["Bodega Sonora amber", "Bodega Sonora green"]
    assert _names(node, analyst, "bodega", kinds=("person",)) == []
