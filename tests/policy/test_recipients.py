"""Named recipients in their one stored form, ``username@CCC``: what a writer may say, what is
stored, and how a partner's record is read (DESIGN.md, "Records and markings", rule two)."""

from __future__ import annotations

import pytest

from puente.policy.recipients import country_of, qualify_all, received_as

# What the Mexico node knows: its own id, its partner's, and the two countries.
NODES = {"mx-node": "MEX", "us-node": "USA", "mex": "MEX", "usa": "USA"}


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        pytest.param("fgr.enlace", "fgr.enlace@MEX", id="a bare name is a user of this node"),
        pytest.param("gn.analista@MEX", "gn.analista@MEX", id="the documented form stays"),
        pytest.param("hsi.liaison@USA", "hsi.liaison@USA", id="a partner's user stays"),
        pytest.param("hsi.liaison@usa", "hsi.liaison@USA", id="a lower-case country"),
        pytest.param("hsi.liaison@us-node", "hsi.liaison@USA", id="a partner's node id"),
        pytest.param("fgr.enlace@mx-node", "fgr.enlace@MEX", id="this node's own id"),
        pytest.param("  fer@Mex ", "fer@MEX", id="spaces around and a country in any case"),
    ],
)
def test_a_writer_names_a_recipient_in_any_known_form_and_it_is_stored_qualified(
    written: str, stored: str
) -> None:
    qualified, problems = qualify_all([written], "MEX", NODES, "/markings/recipients")
    assert problems == []
    assert qualified == frozenset({stored})


def test_what_is_not_a_recipient_is_refused_at_its_own_pointer() -> None:
    written = ["fer", "nadie@nowhere", "@MEX", "Fer Lopez", "a@b@MEX", "", "fer@CAN", "ok.one@usa"]
    qualified, problems = qualify_all(written, "MEX", NODES, "/markings/recipients")
    assert qualified == frozenset({"fer@MEX", "ok.one@USA"})
    assert [p.pointer for p in problems] == [f"/markings/recipients/{i}" for i in range(1, 7)]
    assert [p.params["value"] for p in problems] == written[1:7]
    unknown = {p.pointer for p in problems if "countries" in p.params}
    # A well-formed name at an unknown node says which qualifiers this node knows.
    assert unknown == {"/markings/recipients/1", "/markings/recipients/6"}
    assert problems[0].params["countries"] == "MEX, USA"


def test_the_same_user_written_twice_in_two_forms_is_one_recipient() -> None:
    qualified, problems = qualify_all(
        ["fer", "fer@MEX", "fer@mx-node"], "MEX", NODES, "/recipients"
    )
    assert (qualified, problems) == (frozenset({"fer@MEX"}), [])


def test_a_partners_recipients_are_read_as_its_own_and_never_refused() -> None:
    """A received record is stored as it came; its bare names are the owner's users, so the
    receiving node can never take them for its own users of the same name."""
    read = received_as(
        ["fgr.enlace", "hsi.liaison@usa", "cbp.one@us-node", "gn.uno@MEX", "odd@far-away"],
        "MEX",
        {"us-node": "USA", "mx-node": "MEX", "usa": "USA", "mex": "MEX"},
    )
    assert read == frozenset(
        {"fgr.enlace@MEX", "hsi.liaison@USA", "cbp.one@USA", "gn.uno@MEX", "odd@far-away"}
    )


def test_the_country_of_a_stored_recipient() -> None:
    assert country_of("hsi.liaison@USA") == "USA"
    assert country_of("fgr.enlace") == ""
