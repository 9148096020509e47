"""The Spanish code hears what Mexican spelling varies; English Metaphone sits beside it."""

from __future__ import annotations

import pytest

from puente.hits.phonetic import english, spanish


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("GONZALEZ", "GONSALES"), ("HERNANDEZ", "ERNANDES"), ("JIMENEZ", "XIMENEZ"),
        ("MEJIA", "MEXIA"), ("VILLALOBOS", "BILLALOBOS"), ("YBARRA", "IBARRA"),
        ("QUINTERO", "KINTERO"), ("CHAVEZ", "CHABES"), ("SAMBRANO", "ZANBRANO"),
        ("GUERRERO", "GUERERO"), ("CERVANTES", "SERVANTES"), ("ALVAREZ", "ALBARES"),
    ],
)  # fmt: skip
def test_spellings_of_one_name_share_the_spanish_code(one: str, other: str) -> None:
    assert spanish(one) == spanish(other)


@pytest.mark.parametrize(("one", "other"), [("GARCIA", "GARZA"), ("LOPEZ", "LOZANO"),
                                            ("RUIZ", "RIOS"), ("JUAN", "JUANA")])  # fmt: skip
def test_different_names_keep_different_codes(one: str, other: str) -> None:
    assert spanish(one) != spanish(other)


def test_english_metaphone_comes_from_jellyfish() -> None:
    assert english("SMITH") == english("SMYTH")
    assert english("THOMPSON") != spanish("THOMPSON")


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("HERNANDEZ", "ERNANDES"), ("CHAVEZ", "CABES"), ("CERVANTES", "SERBANTES"),
        ("SERVANTES", "SERBANTES"), ("QUINTERO", "KINTERO"), ("KINTERO", "KINTERO"),
        ("XIMENEZ", "JIMENES"), ("JIMENEZ", "JIMENES"), ("MEXIA", "MEJIA"),
        ("GUERRERO", "GERERO"), ("VILLALOBOS", "BIYALOBOS"), ("YBARRA", "IBARA"),
        ("IBARRA", "IBARA"), ("SANBRANO", "SAMBRANO"), ("GARCIA", "GARSIA"), ("GARZA", "GARSA"),
    ],
)  # fmt: skip
def test_the_examples_in_the_spec(word: str, code: str) -> None:
    assert spanish(word) == code  # docs/match-keys.md, "Phonetic codes"
