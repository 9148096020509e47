"""Identity documents as match keys, spec version 1 (docs/match-keys.md, "Documents").

Numbers are compacted (letters and digits only, uppercase) and checked where the document has
a check, with python-stdnum: CURP (shape, date, state, check digit), RFC (shape, date, check
digit), SSN (the ranges never issued). A number that fails its check still gives a key (the
other side may hold the same misprint) and is reported as a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stdnum.mx import curp as stdnum_curp
from stdnum.mx import rfc as stdnum_rfc
from stdnum.us import ssn as stdnum_ssn

from puente.errors import N_
from puente.hits.keys import Keys
from puente.hits.text import compact

DOCUMENT_TYPES = {"CURP": "curp", "RFC": "rfc", "PASSPORT": "passport", "INE": "ine",
                  "SSN": "ssn", "DRIVER_LICENSE": "license"}  # fmt: skip


@dataclass(frozen=True)
class Document:
    kind: str  # the key's suffix: curp, rfc, passport, ine, ssn, license
    value: str  # normalized: the number, with its issuer where one is needed
    warning: str = ""


def parse_document(text: str) -> Document | None:
    """``TYPE:NUMBER[:COUNTRY]`` as records hold them; None for types with no key."""
    kind, _, rest = text.partition(":")
    suffix = DOCUMENT_TYPES.get(kind.strip().upper())
    number_text, _, issuer = rest.partition(":")
    number = compact(number_text)
    if suffix is None or not number:
        return None
    if suffix == "curp":
        valid = stdnum_curp.is_valid(number)
        return Document("curp", number, "" if valid else N_("{value} is not a valid CURP."))
    if suffix == "rfc":
        valid = stdnum_rfc.is_valid(number)
        return Document("rfc", number, "" if valid else N_("{value} is not a valid RFC."))
    if suffix == "ssn":
        valid = stdnum_ssn.is_valid(number)
        return Document("ssn", number, "" if valid else N_("{value} is not a valid SSN."))
    if suffix in ("passport", "license"):
        # Passport and licence numbers are unique only per issuer.
        where = compact(issuer)
        if not where:
            return Document(suffix, number, N_("{value} has no issuing country or state."))
        return Document(suffix, f"{where}:{number}")
    return Document(suffix, number)


def add_document_keys(keys: Keys, documents: Iterable[str]) -> None:
    """Each document's key (``person.<kind>``), and its warning; the same in every version."""
    for text in documents:
        document = parse_document(text)
        if document is None:
            continue
        keys.add(f"person.{document.kind}", document.value)
        if document.warning:
            keys.warn(document.warning, document.value)
