"""Match-key text normalization, spec version 1 (docs/match-keys.md, "Text").

Frozen with the spec: both nodes must fold the same text to the same letters, so this does
not share code with search's folding, which may change. Accents and the tilde go (Peña and
Pena are one surname across the border), case goes, and everything but letters, digits and
single spaces goes. Hyphens and apostrophes are kept apart by :func:`name_tokens`.
"""

from __future__ import annotations

import re
import unicodedata

_COMBINING = re.compile("[\u0300-\u036f]")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_NOT_ALNUM_OR_HYPHEN = re.compile(r"[^A-Z0-9-]+")


def _ascii_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return _COMBINING.sub("", decomposed).upper().replace("'", "").replace("’", "")


def fold(text: str) -> str:
    """Uppercase ASCII letters and digits, words separated by one space."""
    return " ".join(_NOT_ALNUM.sub(" ", _ascii_upper(text)).split())


def compact(text: str) -> str:
    """Letters and digits only: serial numbers, VINs, plates, document numbers."""
    return _NOT_ALNUM.sub("", _ascii_upper(text))


def name_tokens(text: str) -> list[list[str]]:
    """Words of a name, each a list of its hyphenated parts: "García-López" → [[GARCIA, LOPEZ]]."""
    words = _NOT_ALNUM_OR_HYPHEN.sub(" ", _ascii_upper(text)).split()
    return [parts for word in words if (parts := [p for p in word.split("-") if p])]
