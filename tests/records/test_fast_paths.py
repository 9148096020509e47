"""The import's shortcuts give exactly the answers of the rules they shortcut.

``fold`` takes a translate-table road for Latin text and ``is_identifier`` remembers the
identifiers it has accepted; both must agree with the plain definitions, written out here.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from puente.records.text import fold
from puente.records.validation import TYPE_RE, is_identifier

COMBINING = {*range(0x300, 0x370), *range(0x1AB0, 0x1B00), *range(0x1DC0, 0x1E00)}


def plain_fold(text: str) -> str:
    """Lowercase, decompose, drop combining marks, punctuation runs to one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if ord(c) not in COMBINING)
    return re.sub(r"[^\w]+", " ", stripped).strip()


def plain_is_identifier(value: Any, of_type: str | None = None) -> bool:
    """STIX 2.1 §2.9: ``type--UUID``, as uuid.UUID reads the UUID."""
    if not isinstance(value, str) or "--" not in value:
        return False
    prefix, _, tail = value.partition("--")
    if (of_type is not None and prefix != of_type) or not TYPE_RE.match(prefix):
        return False
    try:
        uuid.UUID(tail)
    except ValueError:
        return False
    return len(tail) == 36


LATIN = st.characters(min_codepoint=0, max_codepoint=0x24F)
ANYTHING = st.characters(blacklist_categories=("Cs",))
MARKS = st.sampled_from("\u0301\u0303\u0308\u0327\u1ab0\u1dc0¿¡«»—…ﬁ½ℌẞİ\u00a0\u200b中")


@settings(max_examples=3000)
@given(st.text(st.one_of(LATIN, MARKS, ANYTHING), max_size=40))
def test_fold_agrees_with_its_definition(text: str) -> None:
    assert fold(text) == plain_fold(text)


def test_fold_examples() -> None:
    assert fold("  José  NÚÑEZ-García, «El Güero» ") == "jose nunez garcia el guero"
    assert fold("¿Dónde está?") == "donde esta"
    assert fold("Straße ﬁnal") == "strasse final"


HEX = "0123456789abcdefABCDEF"
UUIDS = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: "{" + u.hex + "}--"),
    st.uuids().map(lambda u: " " + u.hex[1:] + "----"),
    st.text(st.sampled_from(HEX + "-{}: \n"), min_size=30, max_size=40),
)
TYPES = st.sampled_from(["identity", "x-puente-seizure", "ab", "a-", "Identity", "x--y", "a\n"])


@settings(max_examples=3000)
@given(TYPES, UUIDS, st.sampled_from([None, "identity", "x--y", "x-puente-seizure"]))
def test_identifier_check_agrees_with_its_definition(
    stix_type: str, tail: str, of_type: str | None
) -> None:
    value = f"{stix_type}--{tail}"
    expected = plain_is_identifier(value, of_type)
    assert is_identifier(value, of_type) == expected
    assert is_identifier(value, of_type) == expected  # again, now that it may be remembered
    assert is_identifier(value) == plain_is_identifier(value)


def test_the_checker_finds_the_references_refs_of_finds() -> None:
    from puente.records.validation import ObjectChecker, refs_of

    target = f"identity--{uuid.uuid4()}"
    obj = {
        "type": "note", "spec_version": "2.1", "id": f"note--{uuid.uuid4()}",
        "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
        "content": "Seen together at Nogales.", "object_refs": [target, f"location--{uuid.uuid4()}"],
        "created_by_ref": target, "x_vendor_ref": "not checked",
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
        "external_references": [{"source_name": "case", "external_id": "A-1"}],
    }  # fmt: skip
    checker = ObjectChecker()

    assert checker.check(obj, "/objects/0")
    assert checker.refs == list(refs_of(obj))
    assert [prop for prop, _ in checker.refs] == ["object_refs", "object_refs"]
