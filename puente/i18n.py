"""Translations: English and Spanish gettext catalogs read from the shipped ``.po`` files.

The ``.po`` files are the source of truth and are read directly with Babel, so there is no
compiled ``.mo`` to forget to rebuild.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from babel.messages.pofile import read_po
from pydantic import BaseModel, ConfigDict

from puente.errors import Label, Plural, Problem

LOCALES = ("en", "es")
DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class Text:
    """The same words in both languages (a plan element's title, an indicator's unit)."""

    en: str
    es: str

    def get(self, locale: str) -> str:
        return self.es if locale == "es" and self.es else self.en or self.es


class Bilingual(BaseModel):
    """:class:`Text` as API input and output."""

    model_config = ConfigDict(extra="forbid")

    en: str = ""
    es: str = ""


@dataclass(frozen=True)
class _Catalog:
    messages: dict[str, str]  # message id → translation
    plurals: dict[str, tuple[str, ...]]  # a plural message's singular id → its forms
    plural_index: Callable[[int], int]  # which form a count takes


def _english_form(count: int) -> int:
    return 0 if count == 1 else 1


@cache
def _catalog(locale: str) -> _Catalog:
    if locale == DEFAULT_LOCALE:  # English: the ids are the text
        return _Catalog({}, {}, _english_form)
    path = resources.files("puente") / "locale" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    messages, plurals = {}, {}
    for m in po:
        if not m.id or not m.string or m.fuzzy:
            continue
        if isinstance(m.id, tuple | list):
            forms = tuple(str(form) for form in m.string)
            if all(forms):
                plurals[str(m.id[0])] = forms
        else:
            messages[str(m.id)] = str(m.string)
    # The catalog's Plural-Forms rule ("n != 1" for Spanish), as gettext evaluates it.
    return _Catalog(messages, plurals, gettext.c2py(po.plural_expr))


def catalog(locale: str) -> dict[str, str]:
    """Message id → translation for ``locale`` (empty for English, whose ids are the text)."""
    return _catalog(locale).messages


def _text(locale: str, message: str, params: dict[str, Any]) -> str:
    found = _catalog(locale)
    count = params.get("count")
    if isinstance(message, Plural) and isinstance(count, int):
        index = found.plural_index(count)
        forms = found.plurals.get(message) or (str(message), message.plural)
        return forms[min(index, len(forms) - 1)]
    return found.messages.get(message, message)


def translate(locale: str, message: str, **params: Any) -> str:
    """``message`` in ``locale`` with ``params`` filled in. A parameter that is itself a
    problem (an error found inside a file, shown as "Line 3: ...") or a label is translated
    first; a :class:`~puente.errors.Plural` message takes the form its ``count`` calls for."""
    text = _text(locale if locale in LOCALES else DEFAULT_LOCALE, message, params)
    params = {k: _nested(locale, v) for k, v in params.items()}
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return message.format(**params)
    return text


def ngettext(locale: str, singular: str, plural: str, count: int, **params: Any) -> str:
    """The form of a message ``count`` calls for, in ``locale``, with ``count`` and ``params``
    filled in."""
    return translate(locale, Plural(singular, plural), count=count, **params)


def _nested(locale: str, value: Any) -> Any:
    if isinstance(value, Problem):
        return translate(locale, value.message, **value.params)
    if isinstance(value, Label):
        return translate(locale, value)
    return value


def negotiate(accept_language: str | None) -> str:
    """Pick a supported locale from an Accept-Language header (RFC 9110 §12.5.4)."""
    if not accept_language:
        return DEFAULT_LOCALE
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LOCALES and quality > 0:
            choices.append((-quality, position, primary))
    return sorted(choices)[0][2] if choices else DEFAULT_LOCALE


class Translator:
    """Bound to one locale; passed to templates as ``_``."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT_LOCALE

    def __call__(self, message: str, **params: Any) -> str:
        return translate(self.locale, message, **params)

    def plural(self, singular: str, plural: str, count: int, **params: Any) -> str:
        """For templates, as ``ngettext(singular, plural, count)``."""
        return ngettext(self.locale, singular, plural, count, **params)
