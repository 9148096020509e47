"""Text normalization shared by storage and search: lowercase, accents folded.

Every imported object passes through :func:`search_text`, so both functions take the cheap
road when they can (ASCII text, the usual case) and give exactly the same answer as the
general one when they cannot.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Any

from puente.records.kinds import EXT_PERSON
from puente.records.relationships import EXT_RELATIONSHIP

_SPACES = re.compile(r"[^\w]+")
# Combining marks (what NFKD splits off letters such as ñ, é, ü), removed after decomposition.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff]+")


def _slow_fold(folded: str) -> str:
    return _SPACES.sub(" ", _COMBINING.sub("", unicodedata.normalize("NFKD", folded))).strip()


def _ascii_form(char: str) -> str | None:
    """What :func:`_slow_fold` makes of one character, spaces not collapsed, if that is ASCII."""
    decomposed = _COMBINING.sub("", unicodedata.normalize("NFKD", char))
    form = "".join(" " if _SPACES.match(c) else c for c in decomposed)
    return form if form.isascii() else None


# One translate table does the whole fold for text that ends up ASCII: punctuation to spaces,
# accented letters and compatibility forms to ASCII letters (é → e, ﬁ → fi). It covers Latin-1,
# Latin Extended-A and -B and general punctuation, what Spanish and English text uses; text
# with anything else in it (other scripts) takes the general road.
_TO_ASCII = {
    code: form
    for code in itertools.chain(range(0x250), range(0x2000, 0x2070))
    if (form := _ascii_form(chr(code))) is not None
}


def fold(text: str) -> str:
    """Lowercase, strip accents (ñ → n), collapse punctuation to single spaces."""
    folded = text.casefold()
    translated = folded.translate(_TO_ASCII)
    if translated.isascii():
        return " ".join(translated.split())
    return _slow_fold(folded)


SEARCHED_PROPS = (
    "name", "description", "abstract", "content", "vin", "plate_number", "serial_number",
    "manufacturer", "importer", "model", "make", "substance", "place", "recovery_place",
    "relationship_type", "contact_information", "city", "administrative_area",
)  # fmt: skip
_SCALARS = (str, int, float)
_SEARCHED = frozenset(SEARCHED_PROPS)
_RANK = {prop: rank for rank, prop in enumerate(SEARCHED_PROPS)}


def search_text(obj: dict[str, Any], limit: int = 4000) -> str:
    """The text a record is found by: names, aliases, descriptions and identifying numbers."""
    parts: list[str] = []
    # The searched properties the object has (usually one to three), in SEARCHED_PROPS order.
    for prop in sorted(_SEARCHED.intersection(obj), key=_RANK.__getitem__):
        value = obj[prop]
        if isinstance(value, _SCALARS):
            parts.append(value[:1000] if type(value) is str else str(value)[:1000])
    aliases = obj.get("aliases")
    if aliases and type(aliases) is list:  # a list of strings but on a custom property
        parts.extend(alias for alias in aliases if isinstance(alias, str))
    extensions = obj.get("extensions")
    relationship = extensions.get(EXT_RELATIONSHIP) if isinstance(extensions, dict) else None
    if isinstance(relationship, dict) and isinstance(relationship.get("relationship_type"), str):
        parts.append(relationship["relationship_type"])  # Puente's type, under related-to
    person = extensions.get(EXT_PERSON) if isinstance(extensions, dict) else None
    if isinstance(person, dict):
        for key in ("given_names", "paternal_surname", "maternal_surname"):
            if isinstance(person.get(key), str):
                parts.append(person[key])
        aliases = person.get("aliases")
        for alias in aliases if type(aliases) is list else ():
            if isinstance(alias, str):
                parts.append(alias)
        documents = person.get("documents")
        for doc in documents if type(documents) is list else ():
            if isinstance(doc, dict) and isinstance(doc.get("number"), str):
                parts.append(doc["number"])
    return " " + fold(" ".join(parts))[:limit] + " "


# -- word forms for search ---------------------------------------------------------------------

# (ending, replacement): a searched word's inflections in Spanish and English, reduced to what
# its other forms start with: plurals and English verb endings. "armas" -> "arma",
# "naciones" -> "nacion", "lapices" -> "lapiz", "firearms" -> "firearm", "cities" -> "city",
# "smuggling" -> "smuggl" (smuggle, smuggler), "seized" -> "seiz". The singular finds the
# plural already, as a substring. Deliberately small and predictable: a form is only ever a
# prefix the stored word must start with, so a rule that overreaches finds a few more
# records, never fewer; and each form is one more pattern for the text index to look up.
_FORM_RULES = (
    ("ces", "z"), ("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ed", ""),
)  # fmt: skip
MIN_FORM = 4  # a shorter prefix (arm, cas) matches too much to help


def word_forms(word: str) -> tuple[str, ...]:
    """The other forms a folded search word stands for, as prefixes a stored word may start
    with (the word itself also matches anywhere, as a substring). Letters only: numbers,
    plates and document numbers are matched as typed."""
    if not (word.isascii() and word.isalpha()):
        return ()
    forms: list[str] = []
    for ending, replacement in _FORM_RULES:
        if word.endswith(ending):
            form = word[: len(word) - len(ending)] + replacement
            if len(form) >= MIN_FORM and form != word and form not in forms:
                forms.append(form)
    # A prefix another form already starts with adds nothing: keep the shortest.
    return tuple(f for f in forms if not any(f != g and f.startswith(g) for g in forms))
