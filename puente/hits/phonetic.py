"""Phonetic codes for names, spec version 1 (docs/match-keys.md, "Phonetic codes").

Two codes per word: a Spanish-aware one, written here because no maintained library encodes
Mexican Spanish spelling (b/v, s/z/c, ll/y, silent h, j/g/x as in Ximénez and Jiménez), and
English Metaphone from jellyfish for names written the English way on the other side.
"""

from __future__ import annotations

import jellyfish

VOWELS = frozenset("AEIOU")
_FRONT = frozenset("EI")


def spanish(word: str) -> str:
    """The Spanish code of one folded word (A–Z): each sound written one way.

    Spanish spells its vowels as it says them, so they stay; the consonants written several
    ways become one letter each. ``GONZALEZ`` and ``GONSALES`` → ``GONSALES``; ``HERNANDEZ``
    and ``ERNANDES`` → ``ERNANDES``; ``VILLALOBOS`` and ``BILLALOBOS`` → ``BIYALOBOS``;
    ``GARCIA`` → ``GARSIA`` but ``GARZA`` → ``GARSA``. A symbol repeated next to itself counts
    once (``RR``, ``SS``).
    """
    symbols: list[str] = []
    i, n = 0, len(word)
    while i < n:
        c = word[i]
        nxt = word[i + 1] if i + 1 < n else ""
        step = 1
        if c in VOWELS:
            out = c
        elif c == "H":
            out = ""  # silent, CH handled at C
        elif c == "C":
            if nxt == "H":
                out, step = "C", 2
            elif nxt in _FRONT:
                out = "S"
            elif nxt == "C":
                out, step = "KS", 2
            else:
                out = "K"
        elif c == "Q":
            out, step = "K", 2 if nxt == "U" else 1
        elif c == "G":
            if nxt in _FRONT:
                out = "J"
            elif nxt == "U" and i + 2 < n and word[i + 2] in _FRONT:
                out, step = "G", 2  # GUE, GUI: the U is silent
            else:
                out = "G"
        elif c in "JX":
            out = "J"  # Ximénez and Jiménez, Mexía and Mejía
        elif c in "ZS":
            out = "S"
        elif c in "VBW":
            out = "B"
        elif c == "L":
            out, step = ("Y", 2) if nxt == "L" else ("L", 1)
        elif c == "Y":
            out = "Y" if nxt in VOWELS else "I"
        elif c == "N":
            out = "M" if nxt in ("B", "P", "V") else "N"
        elif c == "P":
            out, step = ("F", 2) if nxt == "H" else ("P", 1)
        elif c == "T":
            out, step = ("T", 2) if nxt == "H" else ("T", 1)
        elif c == "K":
            out = "K"
        elif c.isalpha():
            out = c
        else:
            out = ""
        for symbol in out:
            if not symbols or symbols[-1] != symbol:
                symbols.append(symbol)
        i += step
    return "".join(symbols)


def english(word: str) -> str:
    """English Metaphone (jellyfish) of one folded word."""
    return str(jellyfish.metaphone(word))
