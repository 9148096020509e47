"""Extract every user-visible message and merge it into the Spanish catalog.

Run after adding strings: ``python tools/update_catalog.py``; then translate the empty
``msgstr`` entries in puente/locale/es/LC_MESSAGES/messages.po. The i18n test fails while
any entry is untranslated.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "puente"
PO = PACKAGE / "locale" / "es" / "LC_MESSAGES" / "messages.po"
PO_EN = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "messages.po"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
# NP_ and ngettext mark a message with a plural form: (singular, plural), chosen by a count.
KEYWORDS = {"_": None, "N_": None, "t": None, "NP_": (1, 2), "ngettext": (1, 2), "counted": (1, 2)}


def extract() -> Catalog:
    template = Catalog(project="puente")
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), METHODS, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
    ):
        if isinstance(message, str) and message.strip():
            template.add(message, locations=[(filename, lineno)])
        elif isinstance(message, tuple) and all(isinstance(m, str) and m for m in message):
            template.add(message[:2], locations=[(filename, lineno)])
    return template


def _forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(string) if isinstance(string, tuple | list) else (string,)


def main() -> int:
    template = extract()
    if PO.exists():
        with PO.open("rb") as handle:
            catalog = read_po(handle, locale="es")
    else:
        catalog = Catalog(locale="es", project="puente")
    catalog.update(template, no_fuzzy_matching=True)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        # Obsolete entries are dropped, not kept as #~ comments: git keeps the history.
        write_po(
            handle, catalog, omit_header=False, sort_output=True, width=100, ignore_obsolete=True
        )
    english = Catalog(locale="en", project="puente")
    for message in template:
        if message.id:
            english.add(message.id, string=message.id, locations=message.locations)
    PO_EN.parent.mkdir(parents=True, exist_ok=True)
    with PO_EN.open("wb") as handle:
        write_po(handle, english, sort_output=True, width=100)
    missing = [m.id for m in catalog if m.id and not all(_forms(m.string))]
    print(f"{len(catalog)} messages, {len(missing)} untranslated in {PO.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
