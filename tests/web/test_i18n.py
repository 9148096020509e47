"""Every message the node can show has a Spanish translation that keeps its placeholders.

The messages are extracted from the code and templates exactly as ``tools/update_catalog.py``
does, so a string added without running the script (or left untranslated) fails here.
"""

from __future__ import annotations

import importlib.util
import string
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from puente.errors import NP_, Label, counted
from puente.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "puente" / "locale"


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "update_catalog", ROOT / "tools" / "update_catalog.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _id(message: Message) -> str:
    """A message's id: a plural message's is its singular."""
    return str(message.id[0] if isinstance(message.id, tuple | list) else message.id)


def _forms(message: Message) -> list[str]:
    """A translation's forms: one, or one per plural form of the language."""
    string = message.string
    return [str(form) for form in string] if isinstance(string, tuple | list) else [str(string)]


@pytest.fixture(scope="module")
def messages() -> set[str]:
    extracted: Catalog = _load_tool().extract()
    return {_id(m) for m in extracted if m.id}


def _catalog(locale: str) -> Catalog:
    with (LOCALE / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_extraction_finds_the_code_and_the_templates(messages: set[str]) -> None:
    assert "Unknown agency {agency}." in messages  # N_() in Python
    assert "Skip to main content" in messages  # _() in a template
    assert len(messages) > 300


def test_every_message_has_a_spanish_translation(messages: set[str]) -> None:
    spanish = {_id(m): _forms(m) for m in _catalog("es") if m.id}
    missing = sorted(m for m in messages if not all(f.strip() for f in spanish.get(m, [""])))
    assert not missing, (
        f"{len(missing)} messages lack Spanish; run tools/update_catalog.py:\n"
        + "\n".join(missing[:40])
    )


def test_no_spanish_entry_is_fuzzy() -> None:
    fuzzy = [_id(m) for m in _catalog("es") if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries are ignored at run time; review them: {fuzzy[:20]}"


def test_translations_keep_the_placeholders() -> None:
    wrong = [
        (_id(m), form)
        for m in _catalog("es")
        if m.id
        for form in _forms(m)
        # A plural message's every form names what its plural id names.
        if form
        and placeholders(str(m.id[-1] if isinstance(m.id, tuple | list) else m.id))
        != placeholders(form)
    ]
    assert not wrong, f"placeholders differ: {wrong[:10]}"


def test_the_english_catalog_covers_every_message(messages: set[str]) -> None:
    english = {_id(m) for m in _catalog("en") if m.id}
    assert messages <= english, sorted(messages - english)[:40]


def test_the_spanish_catalog_holds_no_stale_entries(messages: set[str]) -> None:
    # Obsolete entries (#~) are not read back as messages; anything else should be in use.
    stale = sorted({_id(m) for m in _catalog("es") if m.id} - messages)
    assert not stale, f"entries no longer in the code; run tools/update_catalog.py: {stale[:20]}"


def test_a_translated_message_reads_in_spanish_with_its_values() -> None:
    spanish = Translator("es")
    assert spanish("Sign in") != "Sign in"
    assert spanish("Unknown agency {agency}.", agency="XYZ") == "Dependencia desconocida: XYZ."


def test_a_label_reads_in_the_readers_language_and_what_a_user_typed_as_typed() -> None:
    spanish = Translator("es")
    # "Action" is a message id ("Acción"); typed as an agency code it must not be translated.
    assert (
        spanish("Unknown agency {agency}.", agency="Action") == "Dependencia desconocida: Action."
    )
    assert spanish("Unknown agency {agency}.", agency=Label("Action")) == (
        "Dependencia desconocida: Acción."
    )


def test_a_count_takes_its_plural_form_in_each_language() -> None:
    english, spanish = Translator("en"), Translator("es")
    forms = ("{count} record of its own.", "{count} records of its own.")
    assert english.plural(*forms, 1) == "1 record of its own."
    assert english.plural(*forms, 2) == "2 records of its own."
    assert english.plural(*forms, 0) == "0 records of its own."
    assert spanish.plural(*forms, 1) == "1 registro propio."
    assert spanish.plural(*forms, 2) == "2 registros propios."
    # Spanish has a third form, for a million and its multiples; ours read as the plural.
    assert spanish.plural(*forms, 1_000_000) == "1000000 registros propios."


def test_a_count_inside_a_message_reads_in_the_readers_number() -> None:
    said = Translator("es")(
        "Audit chain BROKEN: {problems} in {entries}.",
        problems=counted("{count} problem", "{count} problems", 1),
        entries=counted("{count} entry", "{count} entries", 7),
    )
    assert said == "Cadena de auditoría ROTA: 1 problema en 7 entradas."
    assert (
        Translator("en")(NP_("{count} receipt verifies.", "All {count} receipts verify."), count=1)
        == "1 receipt verifies."
    )


def test_a_plural_message_survives_a_copy() -> None:
    import copy
    import pickle

    message = NP_("{count} page", "{count} pages")
    for again in (copy.deepcopy(message), pickle.loads(pickle.dumps(message))):
        assert Translator("en")(again, count=2) == "2 pages"
