"""Issue 13, "make the probe permanent": the leak oracle, bounded for CI.

Generated records with random markings, written by several creators of several agencies on
both nodes, are versioned (tightened and loosened, before and after syncs), re-marked by an
admin of another agency, revoked, recalled and released in answer to requests; the nodes sync
both ways; then every exit (REST, web pages, TAXII user and partner collections with their
versions and manifests, exports, the hit index, requests' copies, the audit export, the command
line) is read as every reader (users of both nodes whose names collide, the partner node, the
hit index) and held to the decision table of tests/support/oracle.py, which shares no code with
the product's gate. bench/leak_oracle.py runs the same checks for as long as one likes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from puente.node import Node
from puente.web.app import create_app
from tests.support import databases, oracle
from tests.support.leak_exits import CLI_EXITS, EXITS, World
from tests.support.leak_plans import MarksIn, Plan, RandomChooser, Step, plan

T = TypeVar("T")
PLANS_PER_EXAMPLE = 3
EXAMPLES = 3


class DrawChooser:
    """The plans' choices drawn by hypothesis (so it can vary and replay them)."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def pick(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(list(options)))  # type: ignore[no-any-return]

    def some(self, options: Sequence[T], most: int) -> list[T]:
        drawn = st.lists(st.sampled_from(list(options)), max_size=most, unique=True)
        return self.draw(drawn)  # type: ignore[no-any-return]

    def chance(self, percent: int) -> bool:
        return bool(self.draw(st.integers(0, 99)) < percent)


@st.composite
def plans(draw: Callable[[st.SearchStrategy[Any]], Any]) -> list[Plan]:
    chooser = DrawChooser(draw)
    return [plan(chooser) for _ in range(PLANS_PER_EXAMPLE)]


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[World]:
    """The two nodes every example of this module adds to (made once: a node costs seconds)."""
    folder = tmp_path_factory.mktemp("oracle")
    urls = []
    for name in ("us-db", "mx-db"):
        (folder / name).mkdir()
        urls.append(new_database(folder / name))
    the_world = World(folder, *urls, seed=13)
    try:
        yield the_world
    finally:
        the_world.close()
        for url in urls:
            databases.drop(url)


# -- the decision table on its own --------------------------------------------------------------


def _truth(*marks: oracle.Marks, owner: str = "USA", agency: str = "DEA") -> oracle.Truth:
    versions = [oracle.Version(f"zqversion{i}", m) for i, m in enumerate(marks)]
    return oracle.Truth("incident--1", "incident", owner, agency, "dea.dan", versions)


GREEN_BOTH = oracle.Marks("GREEN", frozenset({"USA", "MEX"}))
RED_US = oracle.Marks("RED", frozenset({"USA"}))
FGR = oracle.User("MEX", "fgr.enlace", "FGR")
CBP = oracle.User("USA", "cbp.ana", "CBP")


def test_the_table_hides_an_older_version_once_the_current_one_is_tightened() -> None:
    truth = _truth(GREEN_BOTH, RED_US)
    for reader, serving in ((FGR, "MEX"), (oracle.Partner("MEX"), "USA"), (CBP, "USA")):
        first = oracle.may_see(truth, 0, reader, serving)
        assert not first
        assert first.rule == oracle.RULE_CURRENT
    assert oracle.may_see(_truth(GREEN_BOTH), 0, FGR, "MEX")


def test_the_table_matches_recipients_only_on_their_own_node() -> None:
    named = oracle.qualify("fgr.enlace", "MEX", {"us-node": "USA", "mx-node": "MEX"})
    assert named == "fgr.enlace@MEX"
    assert oracle.qualify("hsi.liaison@usa", "MEX", {}) == "hsi.liaison@USA"
    assert oracle.qualify("fgr.enlace@mx-node", "USA", {"mx-node": "MEX"}) == "fgr.enlace@MEX"
    truth = _truth(oracle.Marks("AMBER", frozenset({"USA", "MEX"}), recipients=frozenset(
        {named})), owner="MEX", agency="FGR")  # fmt: skip
    namesake = oracle.User("USA", "fgr.enlace", "ATF")
    assert oracle.may_see(truth, 0, FGR, "MEX")
    assert not oracle.may_see(truth, 0, namesake, "USA")
    # Every recipient is on the owner's node: the record does not go to the partner at all.
    assert oracle.may_see(truth, 0, oracle.Partner("USA"), "MEX").rule == oracle.RULE_NAMES


def test_the_table_never_re_exports_and_never_sends_red_or_recalled_records() -> None:
    assert not oracle.may_see(_truth(GREEN_BOTH), 0, oracle.Partner("USA"), "MEX")
    assert oracle.may_see(_truth(RED_US), 0, oracle.Partner("MEX"), "USA").rule in (
        oracle.RULE_GATE, oracle.RULE_RED)  # fmt: skip
    recalled = _truth(GREEN_BOTH)
    recalled.recalled = True
    assert not oracle.may_see(recalled, 0, oracle.Partner("MEX"), "USA")
    assert not oracle.may_see(recalled, 0, FGR, "MEX")
    assert oracle.may_see(recalled, 0, CBP, "USA")  # its own node keeps it


def test_the_table_keeps_a_copy_no_wider_than_its_original_without_approval() -> None:
    original = _truth(RED_US)
    free = oracle.free_to_release(original, "CBP", "MEX", "FGR")
    assert not free  # another agency's, TLP:RED, not REL TO MEX: DEA must approve
    copy = oracle.Truth("incident--2", "incident", "USA", "DEA", "cbp.liaison",
                        [oracle.Version("zqversion0", GREEN_BOTH)],
                        copy=oracle.Copy("incident--1", "CBP", "MEX", "fgr.enlace", "FGR",
                                         "GREEN", "H0", free.why, "", RED_US))  # fmt: skip
    records = {t.stix_id: t for t in (original, copy)}
    assert not oracle.copy_approved(copy, records)
    decision = oracle.may_see_content(records, "zqversion0", FGR, "MEX")
    assert not decision
    assert decision.rule == oracle.RULE_ORIGINATOR
    # Approved by DEA (its originating agency), it goes under the markings DEA chose.
    assert copy.copy is not None
    copy.copy.approved_by = "dea.dan"
    copy.versions[0].marks = oracle.copy_marks(RED_US, "DEA", "USA", copy.copy)
    assert copy.current.marks.recipients == {"fgr.enlace@MEX", "dea.dan@USA"}
    assert oracle.may_see_content(records, "zqversion0", FGR, "MEX")
    assert oracle.copy_no_looser(copy, "GREEN", "H0")
    assert not oracle.copy_no_looser(copy, "GREEN", "H1")


def test_the_table_lets_a_liaison_release_its_own_agencys_record_no_lower() -> None:
    amber = oracle.Marks("AMBER", frozenset({"USA", "MEX"}), handling="H2")
    original = _truth(amber)
    assert oracle.free_to_release(original, "DEA", "MEX", "FGR")
    copy = oracle.Copy("incident--1", "DEA", "MEX", "fgr.enlace", "FGR", "GREEN", "H0",
                       original_marks=amber)  # fmt: skip
    marks = oracle.copy_marks(amber, "DEA", "USA", copy)
    assert (marks.tlp, marks.handling) == ("AMBER", "H2")  # the stricter of the two
    made = oracle.Truth("incident--2", "incident", "USA", "DEA", "dea.dan",
                        [oracle.Version("zqversion0", marks)], copy=copy)  # fmt: skip
    assert not oracle.copy_no_looser(made, "GREEN", "H2")  # lowered without approval
    assert oracle.copy_no_looser(made, "AMBER", "H2")
    # Named recipients all on its own node: it may not go to Mexico, approval first.
    own_only = oracle.Marks("AMBER", frozenset({"USA", "MEX"}),
                            recipients=frozenset({"cbp.ana@USA"}))  # fmt: skip
    assert not oracle.free_to_release(_truth(own_only), "DEA", "MEX", "FGR")
    listed = oracle.Marks("AMBER", frozenset({"USA", "MEX"}), agencies=frozenset({"DEA", "GN"}))
    assert not oracle.free_to_release(_truth(listed), "DEA", "MEX", "FGR")
    assert oracle.free_to_release(_truth(listed), "DEA", "MEX", "GN")
    # Named recipients that leave out the requesting user: approval first, on either node.
    named = oracle.Marks("AMBER", frozenset({"USA", "MEX"}),
                         recipients=frozenset({"inl.auditor@USA", "fgr.enlace@MEX"}))  # fmt: skip
    assert oracle.free_to_release(_truth(named), "DEA", "MEX", "FGR", "fgr.enlace@MEX")
    assert not oracle.free_to_release(_truth(named), "DEA", "MEX", "FGR", "gn.analista@MEX")


def test_the_table_shows_an_approval_to_the_originating_agency_only() -> None:
    truth = _truth(oracle.Marks("GREEN", frozenset({"USA"})))
    dea = oracle.User("USA", "dea.dan", "DEA")
    assert oracle.may_see_approval(truth, dea, "USA")
    assert not oracle.may_see_approval(truth, CBP, "USA")  # sees the record, not its approval
    assert not oracle.may_see_approval(truth, oracle.User("USA", "x", "DEA", ("auditor",)),
                                       "USA")  # fmt: skip
    assert not oracle.may_see_approval(truth, FGR, "MEX")


# -- every exit, every reader -------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # A leak found is reported whole (grouped by rule and exit, each with the record's story):
    # shrinking would replay whole two-node scenarios for minutes.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(batch=plans())
def test_every_exit_shows_each_reader_only_what_the_oracle_allows(
    world: World, batch: list[Plan]
) -> None:
    before = len(world.violations)
    made = [world.apply(p) for p in batch]
    world.sync()
    world.check(focus=[t.stix_id for t in made if t is not None], fast=True)
    found = world.violations[before:]
    assert not found, world.report(found, limit=1)


# Releases in answer to requests, each way the originating agency may decide, so that every
# run reads the approval exits with something in them.
APPROVALS: tuple[Plan, ...] = (
    # Another agency's record, not REL TO MEX: DEA approves it lower, after a colleague of the
    # liaison tried to; the copy reaches Mexico, then the original's recall purges it there.
    Plan("USA", "dea.dan", "person", MarksIn("AMBER", ("USA",), handling="H2"), (
        Step("rfi", requester="gn.analista", liaison="cbp.liaison", tlp="AMBER", handling="H2",
             verdict="remark", approve_tlp="GREEN", approve_handling="H1", intruder="other",
             sync_first=True),
        Step("sync"), Step("recall"))),
    # GN refuses, after the liaison who asked tried to approve its own release.
    Plan("MEX", "gn.analista", "incident",
         MarksIn("AMBER+STRICT", ("MEX",), agencies=("GN", "SSPC"), handling="H3"),
         (Step("rfi", requester="cbp.ana", liaison="sspc.enlace", tlp="GREEN", handling="H0",
               verdict="refuse", intruder="liaison"),)),
    # The liaison's own agency's record, releasable: it goes at once, no lower than AMBER H2.
    Plan("USA", "hsi.liaison", "incident", MarksIn("AMBER", ("USA", "MEX"), handling="H2"),
         (Step("rfi", requester="uif.ana", liaison="hsi.liaison", tlp="GREEN", handling="H0"),)),
    # TLP:RED: it waits, through a sync, and nobody decides.
    Plan("USA", "cbp.ana", "person", MarksIn("RED", ("USA", "MEX"), recipients=("cbp.liaison",)),
         (Step("rfi", requester="fgr.enlace", liaison="cbp.liaison", tlp="AMBER", handling="H1",
               verdict="leave", sync_first=True),)),
    # Named recipients all on its own node: it may not go to Mexico before CBP approves.
    Plan("USA", "cbp.liaison", "incident", MarksIn("GREEN", ("USA", "MEX"),
                                                    recipients=("cbp.ana",)),
         (Step("rfi", requester="gn.analista", liaison="cbp.liaison", tlp="GREEN", handling="H0",
               verdict="approve"),)),
)  # fmt: skip


def test_the_command_line_and_every_listed_exit_are_held_to_the_oracle(world: World) -> None:
    """A seeded batch of its own (the module's world may be another worker's) with releases
    approved, re-marked, refused and left waiting, every exit read in full, the command
    line's export as every user, and each exit the route guard counts as covered read at
    least once."""
    import random

    chooser = RandomChooser(random.Random(1313))
    before = len(world.violations)
    made = [world.apply(p) for p in (plan(chooser), *APPROVALS)]
    world.sync()
    world.check_admin_tokens()
    world.check(focus=[t.stix_id for t in made if t is not None], fast=True)
    world.check_cli()
    found = world.violations[before:]
    names = set(EXITS.values()) | set(CLI_EXITS.values())
    unread = {n for n in names if not any(seen.startswith(n) for seen in world.exits_seen)}
    assert not unread, f"exits the oracle lists but never read: {sorted(unread)}"
    assert not found, world.report(found, limit=1)


# -- the route guard ----------------------------------------------------------------------------

# Routes that cannot return record content, each with the reason. A route neither here nor in
# tests/support/leak_exits.EXITS fails the guard: a new exit must be added to the oracle's
# checks (or shown here to carry no record content) before it can ship.
NOT_RECORD_EXITS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/openapi.json"): "the API's schema",
    ("HEAD", "/api/v1/openapi.json"): "the API's schema",
    ("GET", "/api/docs"): "the API's documentation page",
    ("GET", "/healthz"): "a liveness answer",
    ("GET", "/api/v1/kinds"): "the record kinds' field definitions",
    ("GET", "/api/v1/extensions"): "Puente's STIX extension definitions",
    ("GET", "/api/v1/me"): "the caller's own account",
    ("GET", "/api/v1/agencies"): "the agency catalog",
    ("GET", "/api/v1/users"): "accounts (admins only), no records",
    ("GET", "/api/v1/tokens"): "the caller's token names",
    ("GET", "/api/v1/users/{username}/tokens"): "a user's token names, prefixes and dates "
    "(admins only), no records",
    ("GET", "/api/v1/audit/verify"): "counts and broken sequence numbers",
    ("GET", "/audit/verify"): "counts and broken sequence numbers",
    ("GET", "/taxii2/"): "TAXII discovery",
    ("GET", "/taxii2/api/"): "TAXII API root",
    ("GET", "/taxii2/api/status/{status_id}/"): "ids and versions the caller itself posted",
    ("GET", "/taxii2/api/collections/"): "the caller's collections' descriptions",
    ("GET", "/taxii2/api/collections/{collection_id}/"): "one collection's description",
    ("GET", "/api/v1/hits/queries"): "the asker's own queries: its subjects, hit or not",
    ("GET", "/api/v1/hits/queries/{query_id}"): "the asker's own query",
    ("GET", "/hits"): "the asker's own queries",
    ("GET", "/hits/queries/{query_id}"): "the asker's own query",
    ("GET", "/api/v1/rfis/timeliness"): "counts and hours",
    ("GET", "/api/v1/rfis/messages"): "requests' messages to the partner: titles, states, "
    "answers' texts and released ids (the copies themselves travel as records)",
    ("GET", "/rfis/new"): "an empty form",
    ("GET", "/records/new"): "the kinds to choose from",
    ("GET", "/records/new/{kind}"): "an empty form with the node's default markings",
    ("GET", "/login"): "the sign-in form",
    ("GET", "/account/tokens"): "the caller's token names",
    ("GET", "/partners"): "partners: node ids, addresses, sync state",
    ("GET", "/partners/{node_id}"): "one partner's state and counts",
    ("GET", "/partners/{node_id}/ledger"): "ids, versions and hashes that crossed, no content",
    ("GET", "/partners/{node_id}/receipts"): "signed receipts: ids, versions, hashes",
    ("GET", "/partners/{node_id}/quarantine"): "what a partner sent and this node refused "
    "(the partner's own content, never this node's records)",
    # The joint action plan, meetings and indicators: binational by design, written through
    # their own services; a record appears in them only as an id with a label the
    # coordinator typed (puente/plan/elements.py), never read from the records table.
    ("GET", "/api/v1/plan"): "the joint action plan",
    ("GET", "/api/v1/plan/export"): "the joint action plan",
    ("GET", "/api/v1/plan/gaps"): "the joint action plan",
    ("GET", "/api/v1/plan/meetings"): "meetings",
    ("GET", "/api/v1/plan/meetings/{code}"): "a meeting",
    ("GET", "/api/v1/indicators"): "indicators: figures",
    ("GET", "/api/v1/indicators/{code}"): "an indicator's figures",
    ("GET", "/plan"): "the joint action plan",
    ("GET", "/plan/export"): "the joint action plan",
    ("GET", "/plan/{code}"): "a plan element",
    ("GET", "/plan-new"): "an empty form",
    ("GET", "/plan/{code}/edit"): "a plan element's form",
    ("GET", "/indicators"): "indicators: figures",
    ("GET", "/indicators/{code}"): "an indicator's figures",
    ("GET", "/indicators-new"): "an empty form",
    ("GET", "/indicators/{code}/edit"): "an indicator's form",
    ("GET", "/meetings"): "meetings",
    ("GET", "/meetings/{code}"): "a meeting",
    ("GET", "/meetings/{code}/briefing"): "the briefing: plan, meetings, indicators",
    ("GET", "/meetings/{code}/briefing.pdf"): "the briefing: plan, meetings, indicators",
    ("GET", "/meetings-new"): "an empty form",
    ("GET", "/meetings/{code}/edit"): "a meeting's form",
}
# Writes answer with what their caller just wrote (a record the gate let them see when the
# service read it back), a status, a redirect, or the body of a read listed above.
CALLER_WROTE = "a write: answers with what the caller wrote (read back through the gate)"
STATUS = "a write: answers with a status or a redirect"
DECIDED = "a decision: answers with GET /api/v1/rfis/approvals/{approval_id}'s body, as the caller"
WRITES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/records"): CALLER_WROTE,
    ("PUT", "/api/v1/records/{stix_id}"): CALLER_WROTE,
    ("POST", "/api/v1/records/{stix_id}/revoke"): CALLER_WROTE,
    ("POST", "/api/v1/bundles"): "an import: counts and a digest",
    ("POST", "/taxii2/api/collections/{collection_id}/objects/"): "a TAXII status",
    ("DELETE", "/taxii2/api/collections/{collection_id}/objects/{object_id}/"): STATUS,
    ("POST", "/api/v1/users"): "the account made",
    ("POST", "/api/v1/tokens"): "the token made (checked: an admin may not mint for others)",
    ("DELETE", "/api/v1/tokens/{token_id}"): STATUS,
    # Hit/no-hit answers come from the partner's index of match keys, which the oracle checks
    # row by row (World._index); the answer carries no content.
    ("POST", "/api/v1/hits/query"): "a partner's blinded query, answered from its index",
    ("POST", "/api/v1/hits/ask"): "hit or not per subject, from the partner's index",
    ("POST", "/hits"): "hit or not per subject, from the partner's index",
    ("POST", "/api/v1/rfis"): "GET /api/v1/rfis/{rfi_id}'s body, read as the caller",
    ("POST", "/api/v1/rfis/{rfi_id}/{action}"): "GET /api/v1/rfis/{rfi_id}'s body",
    # Deciding a release: the oracle approves, re-marks and refuses through these (and tries
    # them as the liaison who asked and as other agencies, which must be refused).
    ("POST", "/api/v1/rfis/approvals/{approval_id}/approve"): DECIDED,
    ("POST", "/api/v1/rfis/approvals/{approval_id}/refuse"): DECIDED,
    ("POST", "/rfis/approvals/{approval_id}/{verdict}"): STATUS + " (or the inbox, with errors)",
    ("POST", "/rfis"): STATUS,
    ("POST", "/rfis/{rfi_id}/{action}"): STATUS,
    ("POST", "/records/new/{kind}"): STATUS + " (or the form again, with what was typed)",
    ("POST", "/records/{stix_id}/edit"): STATUS + " (or the form again, with what was typed)",
    ("POST", "/records/{stix_id}/revoke"): STATUS,
    ("POST", "/records/{stix_id}/recall"): STATUS,
    ("POST", "/partners/{node_id}/sync"): STATUS,
    ("POST", "/language"): STATUS,
    ("POST", "/login"): STATUS,
    ("POST", "/logout"): STATUS,
    ("POST", "/account/tokens"): "the token made",
    ("POST", "/account/tokens/{token_id}/revoke"): STATUS,
    ("POST", "/api/v1/plan/import"): "the joint action plan",
    ("PUT", "/api/v1/plan/elements"): "the joint action plan",
    ("POST", "/api/v1/plan/elements/{code}/updates"): "the joint action plan",
    ("PUT", "/api/v1/plan/meetings"): "meetings",
    ("PUT", "/api/v1/indicators"): "indicators",
    ("POST", "/api/v1/indicators/{code}/observations"): "indicators",
    ("POST", "/plan/import"): STATUS,
    ("POST", "/plan/{code}/updates"): STATUS,
    ("POST", "/plan-save"): STATUS,
    ("POST", "/indicators/{code}/observations"): STATUS,
    ("POST", "/indicators-save"): STATUS,
    ("POST", "/meetings/{code}/expectations"): STATUS,
    ("POST", "/meetings-save"): STATUS,
}


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI versions whose app.routes is already flat
        contexts: list[Any] = list(app.routes)
    else:
        contexts = list(iter_route_contexts(app.routes))
    return {(method, ctx.path) for ctx in contexts
            for method in (getattr(ctx, "methods", None) or ())}  # fmt: skip


def test_every_route_is_an_exit_the_oracle_reads_or_carries_no_record(node: Node) -> None:
    routes = _routes(create_app(node))
    classified = set(EXITS) | set(NOT_RECORD_EXITS) | set(WRITES)
    unknown = routes - classified
    assert not unknown, (
        "routes the leak oracle does not read: add them to tests/support/leak_exits.EXITS "
        "(and read them in World.check) or, if no record content can leave through them, to "
        f"NOT_RECORD_EXITS or WRITES with the reason: {sorted(unknown)}"
    )
    # The lists name only routes that exist: a stale entry would hide a renamed exit.
    assert not classified - routes, sorted(classified - routes)


def test_the_route_guard_fails_when_a_new_exit_appears(node: Node) -> None:
    app = create_app(node)

    @app.get("/api/v1/records-dump")
    def dump() -> dict[str, str]:  # what a careless new exit would look like
        return {}

    unknown = _routes(app) - set(EXITS) - set(NOT_RECORD_EXITS) - set(WRITES)
    assert unknown == {("GET", "/api/v1/records-dump")}
