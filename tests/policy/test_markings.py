"""An object's markings written into it and read back are the markings given."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from puente.policy.markings import (
    CREDIBILITY,
    HANDLING_CODES,
    MARKINGS_EXTENSION,
    RELIABILITY,
    TLP_LEVELS,
    Markings,
    apply_markings,
    markings_from_object,
)

COUNTRIES = st.frozensets(st.sampled_from(["USA", "MEX", "CAN"]), min_size=1)
NAMES = st.frozensets(st.from_regex(r"[a-z][a-z0-9.]{1,10}(@[a-z]{2,5})?", fullmatch=True))


@st.composite
def markings(draw: st.DrawFn) -> Markings:
    handling = draw(st.sampled_from(HANDLING_CODES))
    return Markings(
        tlp=draw(st.sampled_from(TLP_LEVELS)),
        rel_to=draw(COUNTRIES),
        agencies=draw(st.frozensets(st.sampled_from(["CBP", "DEA", "FGR", "GN"]))),
        handling=handling,
        handling_text=draw(st.text(min_size=1, max_size=20)) if handling == "H3" else "",
        searchable_by=draw(st.frozensets(st.sampled_from(["USA", "MEX"]))),
        reliability=draw(st.none() | st.sampled_from(RELIABILITY)),
        credibility=draw(st.none() | st.sampled_from(CREDIBILITY)),
        recipients=draw(NAMES),
    )


@given(markings(), st.lists(st.sampled_from(["marking-definition--x", "marking-definition--y"])))
def test_markings_written_into_an_object_read_back_the_same(
    given_markings: Markings, other_refs: list[str]
) -> None:
    obj: dict[str, Any] = {"type": "incident", "object_marking_refs": list(other_refs),
                           "extensions": {"x-other": {"extension_type": "property-extension"}}}  # fmt: skip
    apply_markings(obj, given_markings)
    tlp, body = markings_from_object(obj)
    assert tlp is not None
    assert body is not None
    assert Markings.from_extension(tlp, body) == given_markings
    # What else the object carried stays: other marking references and extensions.
    assert obj["object_marking_refs"][1:] == other_refs
    assert set(obj["extensions"]) == {"x-other", MARKINGS_EXTENSION}


def test_an_extension_that_leaves_things_out_reads_as_the_defaults() -> None:
    read = Markings.from_extension("GREEN", {"rel_to": ["USA"]})
    assert read == Markings(tlp="GREEN", rel_to=frozenset({"USA"}))
