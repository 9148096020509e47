"""The leak oracle's hands: two nodes in one process, the plans carried out through the real
edges, and every exit read as each reader and held to :mod:`tests.support.oracle`.

The United States and Mexico nodes are real nodes (their own databases, keys and apps); each
one's calls to the other (syncs, requests for information, hit/no-hit) reach the other's app
through a test client. Records are written through the REST API as their creators, versions
and revocations too; recalls through the recall service (there is no REST route for them).

A *case* is one decision checked: one record version, one reader, one exit. Each body an exit
returns is searched for every record version's marker (a word only that version's content
carries), so a version that must not appear and does is found whichever field carries it.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from puente.accounts import service as accounts
from puente.node import Node
from puente.web.deps import SESSION_COOKIE
from tests.support import oracle
from tests.support.leak_plans import ACCOUNTS, NODES, OTHER, MarksIn, Plan, Step
from tests.support.nodes import MX_SECRET, US_SECRET, add_user, make_node, pair

MARKER = re.compile(r"zq[a-z]{8}")
WORD = "oraculo"  # every generated record's text holds it: what the searches ask for
TAXII = "application/taxii+json;version=2.1"
SURNAMES = ("Hernández", "García", "Smith", "Núñez", "Peña", "Ruiz")


# -- the exits, as the route guard lists them --------------------------------------------------

# (method, route) → the name the report uses. Every route here is read by :meth:`World.check`.
EXITS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/records"): "REST list/search",
    ("GET", "/api/v1/records/{stix_id}"): "REST record (and ?version=)",
    ("GET", "/api/v1/records/{stix_id}/versions"): "REST versions",
    ("GET", "/api/v1/records/{stix_id}/related"): "REST related",
    ("GET", "/api/v1/export"): "REST export",
    ("GET", "/api/v1/audit"): "REST audit export",
    ("GET", "/api/v1/rfis"): "REST requests list",
    ("GET", "/api/v1/rfis/{rfi_id}"): "REST request (RFI copies)",
    ("GET", "/api/v1/rfis/approvals"): "REST approval inbox",
    ("GET", "/api/v1/rfis/approvals/{approval_id}"): "REST approval",
    ("GET", "/rfis/approvals"): "web approval inbox",
    ("GET", "/"): "web dashboard",
    ("GET", "/records"): "web list/search",
    ("GET", "/records/{stix_id}"): "web record page (and ?version=)",
    ("GET", "/records/{stix_id}/edit"): "web edit form",
    ("GET", "/records/{stix_id}/revoke"): "web revoke form",
    ("GET", "/records/{stix_id}/recall"): "web recall form",
    ("GET", "/audit"): "web audit log",
    ("GET", "/rfis"): "web requests (outbox)",
    ("GET", "/rfis/inbox"): "web requests (inbox)",
    ("GET", "/rfis/{rfi_id}"): "web request (RFI copies)",
    ("GET", "/recalls"): "web recalls",
    ("GET", "/taxii2/api/collections/{collection_id}/objects/"): "TAXII objects",
    ("GET", "/taxii2/api/collections/{collection_id}/objects/{object_id}/"): "TAXII object",
    ("GET", "/taxii2/api/collections/{collection_id}/objects/{object_id}/versions/"):
        "TAXII versions",
    ("GET", "/taxii2/api/collections/{collection_id}/manifest/"): "TAXII manifest",
    ("GET", "/api/v1/hits/index"): "hit index (partner's copy)",
}  # fmt: skip
CLI_EXITS = {"export stix": "CLI export"}


@dataclass
class Violation:
    kind: str  # leak | existence | lost | action
    rule: str
    exit: str
    reader: str
    record: str
    version: str
    detail: str
    history: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"[{self.kind}] {self.rule} · {self.exit} · {self.reader} · {self.record} "
                f"{self.version}: {self.detail}")  # fmt: skip


@dataclass
class Approval:
    """An approval an answer waits for, in the originating agency's inbox on the record's
    node."""

    id: str
    rfi_id: str
    record: str  # the original's stix id
    country: str  # the answering node's
    state: str = "pending"


@dataclass(frozen=True)
class Hold:
    """An answer that must not have left its node: refused, or awaiting approval."""

    rfi_id: str
    record: str
    country: str  # the answering node's
    why: str  # "refused" or "awaiting approval"


RELEASE_REASON = "The partner's case needs it."
DECISION_ROUTES = {"approve": "POST /api/v1/rfis/approvals/{approval_id}/approve",
                   "refuse": "POST /api/v1/rfis/approvals/{approval_id}/refuse"}  # fmt: skip
ANSWER_ROUTE = "POST /api/v1/rfis/{rfi_id}/answer"


@dataclass
class Reader:
    """A user of one node, with the credentials each edge takes."""

    who: oracle.User
    headers: dict[str, str]
    cookies: dict[str, str]


@dataclass
class Side:
    country: str
    node: Node
    client: TestClient  # signs in as each reader per request
    readers: dict[str, Reader]
    data_dir: Path

    @property
    def node_id(self) -> str:
        return NODES[self.country]


def _user(node: Node, country: str, username: str, agency: str, roles: list[str]) -> Reader:
    if username == "admin":
        with node.db.session() as session:
            user = accounts.get_user(session, "admin")
            who = accounts.principal_for(user, node.settings)
    else:
        who = add_user(node, username, agency, roles)
    with node.db.session() as session:
        issued = accounts.create_token(session, who, username, "oracle", 30)
        opened = accounts.open_session(session, node.settings, accounts.get_user(session, username))
    return Reader(
        oracle.User(country, username, who.agency, tuple(roles)),
        {"Authorization": f"Bearer {issued.token}"},
        {SESSION_COOKIE: opened.session_id},
    )


def _app(node: Node) -> Any:
    from puente.web.app import create_app

    return create_app(node)


class World:
    """Two linked nodes, the truth of what their originators meant, and the checks."""

    def __init__(self, folder: Path, us_database: str, mx_database: str, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.stack = ExitStack()
        off = {"sync": {"enabled": False}}
        us = make_node(folder / "us", us_database, "USA", "us-node", admin_agency="INL",
                       sections=off)  # fmt: skip
        mx = make_node(folder / "mx", mx_database, "MEX", "mx-node", admin_agency="SSPC",
                       sections=off)  # fmt: skip
        self.stack.callback(us.close)
        self.stack.callback(mx.close)
        pair(us, mx, "http://us.test", "http://mx.test")
        apps = {"USA": _app(us), "MEX": _app(mx)}
        self.sides: dict[str, Side] = {}
        for country, node in (("USA", us), ("MEX", mx)):
            # Entered once: a client used outside its context starts an event loop per request.
            client = self.stack.enter_context(
                TestClient(
                    apps[country], base_url=f"http://{country.lower()}.test", follow_redirects=False
                )
            )
            readers = {a.username: _user(node, country, a.username, a.agency, list(a.roles))
                       for a in ACCOUNTS[country]}  # fmt: skip
            self.sides[country] = Side(country, node, client, readers, folder / country.lower())
        self.sides["USA"].data_dir = folder / "us"
        self.sides["MEX"].data_dir = folder / "mx"
        # What each node's partner signs in with, and its calls to the other node.
        self.partner_auth = {"USA": ("mx-node", US_SECRET), "MEX": ("us-node", MX_SECRET)}
        to = {c: self.stack.enter_context(TestClient(apps[c], base_url=f"http://{c.lower()}.test"))
              for c in apps}  # fmt: skip
        to["USA"].auth = httpx.BasicAuth(*self.partner_auth["USA"])
        to["MEX"].auth = httpx.BasicAuth(*self.partner_auth["MEX"])

        @contextmanager
        def partner_client(node: Node, _partner_id: int) -> Iterator[httpx.Client]:
            yield to["USA"] if node is mx else to["MEX"]

        from puente.hits import transport as hit_transport
        from puente.rfis import transport as rfi_transport
        from puente.sharing import sync

        for module in (sync, rfi_transport, hit_transport):
            self.stack.enter_context(mock.patch.object(module, "partner_client", partner_client))
        self.records: dict[str, oracle.Truth] = {}
        self.rfis: list[tuple[str, str]] = []  # (rfi id, the record it asked for)
        self.approvals: list[Approval] = []  # approvals asked of originating agencies
        # Answers that must not have left: refused, or still awaiting approval.
        self.holds: list[Hold] = []
        self.violations: list[Violation] = []
        self.cases = 0
        self.requests = 0
        self.exits_seen: Counter[str] = Counter()
        self.started = time.perf_counter()
        self.turn = 0  # which of a hidden record's exits a fast check reads next
        self.markers: set[str] = set()  # every version's marker, as made

    def close(self) -> None:
        self.stack.close()

    # -- doing -------------------------------------------------------------------------------

    def marker(self) -> str:
        made = "zq" + "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
        self.markers.add(made)
        return made

    def _fields(self, kind: str, marker: str) -> dict[str, str]:
        if kind == "person":
            return {
                "given_names": marker.capitalize(),
                "paternal_surname": self.rng.choice(SURNAMES),
                "date_of_birth": f"19{self.rng.randint(50, 99)}-0{self.rng.randint(1, 9)}-1"
                f"{self.rng.randint(0, 9)}",
                "description": f"{WORD} {marker}",
            }
        return {"name": f"Oraculo {marker}", "description": f"{WORD} {marker}"}

    def _marks(self, given: MarksIn, owner: str) -> oracle.Marks:
        return oracle.Marks(
            tlp=given.tlp,
            rel_to=frozenset({*given.rel_to, owner}),
            agencies=frozenset(given.agencies),
            handling=given.handling,
            searchable_by=frozenset(given.searchable_by),
            recipients=frozenset(oracle.qualify(r, owner, {v: k for k, v in NODES.items()})
                                 for r in given.recipients),
        )  # fmt: skip

    def _call(self, side: Side, reader: Reader, method: str, url: str, **kw: Any) -> httpx.Response:
        self.requests += 1
        side.client.cookies.clear()
        return side.client.request(method, url, headers=reader.headers, **kw)

    def _action(self, truth: oracle.Truth | None, rule: str, what: str, detail: str) -> None:
        self.violations.append(Violation("action", rule, what, "", truth.stix_id if truth else "",
                                         "", detail, list(truth.history) if truth else []))  # fmt: skip

    def apply(self, plan: Plan) -> oracle.Truth | None:
        """Carry ``plan`` out; the truth of the record, or None if the creation was refused."""
        side = self.sides[plan.owner]
        creator = side.readers[plan.creator]
        marker = self.marker()
        fields = self._fields(plan.kind, marker)
        body = {"kind": plan.kind, "fields": fields, "markings": plan.marks.body()}
        made = self._call(side, creator, "POST", "/api/v1/records", json=body)
        marks = self._marks(plan.marks, plan.owner)
        story = [f"{creator.who} creates a {plan.kind} {marks.describe()} "
                 f"(typed recipients {list(plan.marks.recipients)})"]  # fmt: skip
        if self._unknown_here(marks, side):
            # A named recipient of this node who is no user here is refused at the field.
            if made.status_code != 422:
                self._action(None, oracle.RULE_NAMES, "POST /api/v1/records",
                             f"accepted a recipient who is no user here ({made.status_code})"
                             f" — {story[0]}")  # fmt: skip
            return None
        if made.status_code != 201:
            self._action(None, oracle.RULE_NAMES if plan.marks.recipients else oracle.RULE_GATE,
                         "POST /api/v1/records", f"refused valid input ({made.status_code}): "
                         f"{made.text[:300]} — {story[0]}")  # fmt: skip
            return None
        stix_id = made.json()["id"]
        truth = oracle.Truth(stix_id, plan.kind, plan.owner, creator.who.agency, plan.creator,
                             [oracle.Version(marker, marks)], history=story)  # fmt: skip
        self.records[stix_id] = truth
        for step in plan.steps:
            self._step(side, truth, fields, step)
        return truth

    @staticmethod
    def _unknown_here(marks: oracle.Marks, side: Side) -> bool:
        """Whether the markings name a recipient of ``side``'s node who is no user there."""
        return any(r.rsplit("@", 1)[1] == side.country and r.rsplit("@", 1)[0] not in side.readers
                   for r in marks.recipients)  # fmt: skip

    def _step(self, side: Side, truth: oracle.Truth, fields: dict[str, str], step: Step) -> None:
        creator = side.readers[truth.creator]
        admin = side.readers["admin"]
        url = f"/api/v1/records/{truth.stix_id}"
        if step.action == "sync":
            self.sync()
            truth.history.append("both nodes sync")
        elif step.action == "version":
            assert step.marks is not None
            marker = self.marker()
            fields.clear()
            fields.update(self._fields(truth.kind, marker))
            done = self._call(side, creator, "PUT", url,
                              json={"fields": fields, "markings": step.marks.body()})  # fmt: skip
            marks = self._marks(step.marks, truth.owner_country)
            renamed = marks.recipients != truth.versions[-1].marks.recipients
            if renamed and self._unknown_here(marks, side):
                # A named recipient of this node who is no user here is refused at the field.
                if done.status_code != 422:
                    self._action(truth, oracle.RULE_NAMES, "PUT /api/v1/records/{id}",
                                 f"accepted a recipient who is no user here "
                                 f"({done.status_code})")  # fmt: skip
                truth.history.append(f"{creator.who}'s new version {marks.describe()} names a "
                                     "user who is not here: refused")  # fmt: skip
            elif done.status_code == 200:
                truth.versions.append(oracle.Version(marker, marks))
                truth.history.append(f"{creator.who} makes a new version {marks.describe()}")
            else:
                rule = oracle.RULE_NAMES if step.marks.recipients else oracle.RULE_ORIGINATOR
                self._action(truth, rule, "PUT /api/v1/records/{id}",
                             f"the originator's new version {marks.describe()} was refused "
                             f"({done.status_code}): {done.text[:200]}")  # fmt: skip
        elif step.action == "admin_version":
            assert step.marks is not None
            done = self._call(side, admin, "PUT", url,
                              json={"fields": fields, "markings": step.marks.body()})  # fmt: skip
            truth.history.append(f"{admin.who} PUTs {step.marks} → {done.status_code}")
            if done.status_code < 300:
                truth.remarked = True
                self._action(truth, oracle.RULE_ORIGINATOR, "PUT /api/v1/records/{id}",
                             f"an admin of {admin.who.agency} made a new version of a "
                             f"{truth.agency} record")  # fmt: skip
        elif step.action in ("revoke", "admin_revoke"):
            by = creator if step.action == "revoke" else admin
            done = self._call(side, by, "POST", f"{url}/revoke")
            truth.history.append(f"{by.who} revokes → {done.status_code}")
            if done.status_code == 200:
                truth.versions.append(oracle.Version(truth.current.marker, truth.current.marks,
                                                     revoked=True))  # fmt: skip
            elif oracle.may_see_record(truth, by.who, truth.owner_country, self.records):
                # The originator may revoke; so may an admin who may see it (lead's decision).
                self._action(truth, oracle.RULE_ORIGINATOR, "POST /api/v1/records/{id}/revoke",
                             f"{by.who} could not revoke ({done.status_code}): "
                             f"{done.text[:200]}")  # fmt: skip
        elif step.action == "recall":
            self._recall(side, truth)
        elif step.action == "rfi":
            self._rfi(side, truth, step)
        else:  # pragma: no cover - the plans hold no other
            raise AssertionError(step.action)

    def _recall(self, side: Side, truth: oracle.Truth) -> None:
        from puente.sharing import recalls

        with side.node.db.session() as session:
            who = accounts.principal_for(accounts.get_user(session, truth.creator),
                                         side.node.settings)  # fmt: skip
            recalls.recall(session, side.node, who, truth.stix_id, "Shared by mistake.")
        truth.recalled = True
        truth.history.append(f"{truth.creator}@{truth.owner_country} recalls it")
        for copy in self.records.values():
            if copy.copy is not None and copy.copy.original == truth.stix_id:
                copy.recalled = True  # its copies hold its content: recalled with it
                copy.history.append(f"its original {truth.stix_id} is recalled")

    def _rfi(self, side: Side, truth: oracle.Truth, step: Step) -> None:
        """The other node asks; a liaison here answers by releasing the record; where the
        release needs its originating agency's approval, a user of it decides (or nobody yet)."""
        asking = self.sides[OTHER[side.country]]
        requester = asking.readers[step.requester]
        liaison = side.readers[step.liaison]
        asked = self._call(asking, requester, "POST", "/api/v1/rfis", json={
            "partner": side.node_id, "title": "Oracle request", "question": "What do you hold?",
            "case_reference": "ORC/1", "legal_basis": "TAJM art. 1"})  # fmt: skip
        if asked.status_code != 201:
            truth.history.append(f"request refused {asked.status_code}: {asked.text[:200]}")
            return
        rfi_id = asked.json()["id"]
        self.rfis.append((rfi_id, truth.stix_id))
        answer = {"answer": "Released.", "records": [truth.stix_id], "tlp": step.tlp,
                  "handling": step.handling, "release_reason": RELEASE_REASON}  # fmt: skip
        done = self._call(side, liaison, "POST", f"/api/v1/rfis/{rfi_id}/answer", json=answer)
        truth.history.append(
            f"{requester.who} asks; {liaison.who} answers releasing it as TLP:{step.tlp} "
            f"{step.handling} → {done.status_code}"
        )
        may = (not truth.recalled and not truth.current.revoked
               and oracle.may_see_record(truth, liaison.who, side.country, self.records))  # fmt: skip
        free = oracle.free_to_release(truth, liaison.who.agency, asking.country,
                                      requester.who.agency,
                                      f"{requester.who.username}@{asking.country}")  # fmt: skip
        if done.status_code >= 300:
            if may:
                self._action(truth, oracle.RULE_GATE, ANSWER_ROUTE,
                             f"{liaison.who} could not release a record it may see "
                             f"({done.status_code}): {done.text[:200]}")  # fmt: skip
            return
        if not may:
            self._action(truth, oracle.RULE_GATE, ANSWER_ROUTE,
                         f"{liaison.who} released a record it may not see")  # fmt: skip
        copy = oracle.Copy(truth.stix_id, liaison.who.agency, asking.country, step.requester,
                           requester.who.agency, step.tlp, step.handling,
                           "" if free else free.why, "", truth.current.marks)  # fmt: skip
        if done.status_code == 200:
            if not free:
                self._action(truth, oracle.RULE_ORIGINATOR, ANSWER_ROUTE,
                             f"released at once, without the approval of {truth.agency}: "
                             f"{free.why}")  # fmt: skip
            self._released(side, truth, rfi_id, liaison, copy)
            return
        if free:
            self.violations.append(Violation(
                "lost", "nothing lost", ANSWER_ROUTE, str(liaison.who), truth.stix_id, "",
                "held for an approval the release does not need", list(truth.history)))  # fmt: skip
            copy.needed = "held by the node"
        pending = [a["id"] for a in done.json().get("approvals", []) if a["state"] == "pending"]
        for approval_id in pending:
            self.approvals.append(Approval(approval_id, rfi_id, truth.stix_id, side.country))
        if not pending:
            self._action(truth, oracle.RULE_ORIGINATOR, ANSWER_ROUTE,
                         "an answer held for approval names no pending approval")  # fmt: skip
            self.holds.append(Hold(rfi_id, truth.stix_id, side.country, "awaiting approval"))
            return
        self._approve(side, truth, rfi_id, step, liaison, copy, pending[0])

    def _approve(self, side: Side, truth: oracle.Truth, rfi_id: str, step: Step,
                liaison: Reader, copy: oracle.Copy, approval_id: str) -> None:  # fmt: skip
        """The originating agency decides a held release (after a sync, an intruder's try)."""
        waiting = Hold(rfi_id, truth.stix_id, side.country, "awaiting approval")
        if step.sync_first:
            self.sync()
            truth.history.append("both nodes sync while the release awaits approval")
            self._not_released(waiting, truth)
        if step.intruder and self._intrude(side, truth, rfi_id, step, liaison, copy,
                                           approval_id):  # fmt: skip
            return
        writers = [r for r in side.readers.values()
                   if r.who.agency == truth.agency and oracle.WRITE_ROLES & set(r.who.roles)
                   and r.who.username != liaison.who.username]  # fmt: skip
        if step.verdict == "leave" or not writers:
            truth.history.append(f"the release awaits {truth.agency}'s approval"
                                 + ("" if writers else " (nobody else of it may write)"))  # fmt: skip
            self.holds.append(waiting)
            return
        approver = writers[step.approver % len(writers)]
        allowed = oracle.may_see_approval(truth, approver.who, side.country)
        verdict = "refuse" if step.verdict == "refuse" else "approve"
        body: dict[str, str] = {"reason": "Not for this case."}
        tlp, handling = step.tlp, step.handling  # approved as proposed
        if verdict == "approve":
            if step.verdict == "remark":
                tlp, handling = step.approve_tlp, step.approve_handling
            body = {"tlp": tlp, "handling": handling, "note": "Approved."}
        url = f"/api/v1/rfis/approvals/{approval_id}/{verdict}"
        done = self._call(side, approver, "POST", url, json=body)
        truth.history.append(f"{approver.who} {verdict}s the release"
                             + (f" as TLP:{tlp} {handling}" if verdict == "approve" else "")
                             + f" → {done.status_code}")  # fmt: skip
        if done.status_code != 200:
            if allowed:
                self._action(truth, oracle.RULE_ORIGINATOR, DECISION_ROUTES[verdict],
                             f"{approver.who}, of the originating agency, could not decide "
                             f"({done.status_code}): {done.text[:200]}")  # fmt: skip
            self.holds.append(waiting)
            return
        if not allowed:
            self._action(truth, oracle.RULE_ORIGINATOR, DECISION_ROUTES[verdict],
                         f"{approver.who} decided a release it may not decide "
                         f"({allowed.why})")  # fmt: skip
        self._set_state(approval_id, "refused" if verdict == "refuse" else "approved")
        if verdict == "refuse":
            self.holds.append(Hold(rfi_id, truth.stix_id, side.country, "refused"))
            return
        copy.tlp, copy.handling = tlp, handling
        copy.approved_by = approver.who.username if allowed else ""
        self._released(side, truth, rfi_id, liaison, copy)

    def _intrude(self, side: Side, truth: oracle.Truth, rfi_id: str, step: Step,
                 liaison: Reader, copy: oracle.Copy, approval_id: str) -> bool:  # fmt: skip
        """Someone who must not decide tries to approve: the liaison who asked, or a user of
        another agency who may write. Whether the release went (it must not have)."""
        others = [r for r in side.readers.values()
                  if r.who.agency != truth.agency and oracle.WRITE_ROLES & set(r.who.roles)]  # fmt: skip
        intruder = liaison if step.intruder == "liaison" else others[step.approver % len(others)]
        url = f"/api/v1/rfis/approvals/{approval_id}/approve"
        done = self._call(side, intruder, "POST", url,
                          json={"tlp": "GREEN", "handling": "H0", "note": "Mine to give."})  # fmt: skip
        truth.history.append(f"{intruder.who} tries to approve it as TLP:GREEN H0 → "
                             f"{done.status_code}")  # fmt: skip
        if done.status_code >= 300:
            return False
        self._action(truth, oracle.RULE_ORIGINATOR, DECISION_ROUTES["approve"],
                     f"{intruder.who} approved the release of a {truth.agency} record")  # fmt: skip
        self._set_state(approval_id, "approved")
        copy.tlp, copy.handling = "GREEN", "H0"  # judged by its original: nobody approved it
        self._released(side, truth, rfi_id, liaison, copy)
        return True

    def _set_state(self, approval_id: str, state: str) -> None:
        for approval in self.approvals:
            if approval.id == approval_id:
                approval.state = state

    def _released(self, side: Side, truth: oracle.Truth, rfi_id: str, liaison: Reader,
                  copy: oracle.Copy) -> None:  # fmt: skip
        """The copies an answer released, as the oracle expects them marked."""
        from puente.rfis.models import Rfi

        with side.node.db.session() as session:
            rfi = session.get(Rfi, rfi_id)
            released = [r for r in (rfi.released if rfi else "").split(",") if r]
        if not released:
            self._action(truth, oracle.RULE_ORIGINATOR, ANSWER_ROUTE,
                         "an answer that went released nothing")  # fmt: skip
        assert copy.original_marks is not None
        marks = oracle.copy_marks(copy.original_marks, truth.agency, side.country, copy)
        for copy_id in released:
            made = oracle.Truth(copy_id, truth.kind, side.country, truth.agency,
                                liaison.who.username, [oracle.Version(truth.current.marker, marks)],
                                copy=copy, history=[*truth.history, f"copy {copy_id} released "
                                                    f"{marks.describe()}"])  # fmt: skip
            self.records[copy_id] = made
            self._copy_marks(side, made)

    def _copy_marks(self, side: Side, copy: oracle.Truth) -> None:
        """Read a copy as a user of its node who may see it: its TLP and handling code are
        what they must be (approved, or no lower than its original's), its agency the
        original's."""
        assert copy.copy is not None
        for reader in side.readers.values():
            if not oracle.may_see_record(copy, reader.who, side.country, self.records):
                continue
            got = self._call(side, reader, "GET", f"/api/v1/records/{copy.stix_id}")
            if got.status_code != 200:
                return  # the checks of every exit report it
            shown = got.json()
            marks = shown["markings"]
            self.cases += 1
            right = oracle.copy_no_looser(copy, marks["tlp"], marks["handling"])
            if not right:
                self._action(copy, right.rule, "GET /api/v1/records/{stix_id} (a copy)",
                             right.why)  # fmt: skip
            if shown["originating_agency"] != copy.agency:
                self._action(copy, oracle.RULE_ORIGINATOR, "GET /api/v1/records/{stix_id}",
                             f"the copy is {shown['originating_agency']}'s, its original "
                             f"{copy.agency}'s")  # fmt: skip
            return

    def _not_released(self, hold: Hold, truth: oracle.Truth) -> None:
        """Nothing of an answer that must not have left did: the answering node released no
        copy, and the asking node's request names none."""
        from puente.rfis.models import Rfi

        self.cases += 1
        with self.sides[hold.country].node.db.session() as session:
            rfi = session.get(Rfi, hold.rfi_id)
            released = rfi.released if rfi is not None else ""
        asking = self.sides[OTHER[hold.country]]
        requester = next(r for r in asking.readers.values() if r.who.username
                         == self._requester(asking, hold.rfi_id))  # fmt: skip
        got = self._call(asking, requester, "GET", f"/api/v1/rfis/{hold.rfi_id}")
        there = got.json().get("released_count", 0) if got.status_code == 200 else 0
        if released or there:
            self._action(truth, oracle.RULE_ORIGINATOR, "POST /api/v1/rfis/{rfi_id}/answer",
                         f"an answer {hold.why} released copies ({released or there}); the "
                         f"partner's request names {there}")  # fmt: skip

    def _requester(self, asking: Side, rfi_id: str) -> str:
        from puente.rfis.models import Rfi

        with asking.node.db.session() as session:
            rfi = session.get(Rfi, rfi_id)
            return rfi.requester if rfi is not None else ""

    def sync(self) -> None:
        from puente.hits import refresh
        from puente.sharing import sync

        for country in ("USA", "MEX"):
            node = self.sides[country].node
            refresh.refresh_partners(node)
        for country in ("MEX", "USA"):
            sync.sync(self.sides[country].node, NODES[OTHER[country]])

    def check_admin_tokens(self) -> None:
        """An admin may not mint a token for another user (issue 13, finding 3)."""
        side = self.sides["USA"]
        minted = self._call(side, side.readers["admin"], "POST", "/api/v1/tokens",
                            json={"name": "borrowed", "username": "dea.dan"})  # fmt: skip
        if minted.status_code < 300:
            self._action(None, oracle.RULE_ORIGINATOR, "POST /api/v1/tokens",
                         "an admin minted an API token for another user (dea.dan) and may read "
                         "as that user")  # fmt: skip

    # -- checking ----------------------------------------------------------------------------

    def stored(self, side: Side) -> dict[str, list[tuple[str, str]]]:
        """stix id → (version key, marker) of every version this node stores of a known record."""
        from puente.records.models import Record

        found: dict[str, list[tuple[str, str]]] = {}
        with side.node.db.session() as session:
            rows = session.execute(
                select(Record.stix_id, Record.modified_key, Record.content).where(
                    Record.stix_id.in_(list(self.records))
                )
            ).all()
        for stix_id, key, content in rows:
            shown = MARKER.findall(content.lower())
            found.setdefault(stix_id, []).append((key, shown[0] if shown else ""))
        return found

    def _decide(self, marker: str, reader: oracle.Reader, serving: str) -> oracle.Decision:
        return oracle.may_see_content(self.records, marker, reader, serving)

    def _version_label(self, marker: str) -> tuple[str, str]:
        for truth, i in oracle.carriers(self.records, marker):
            if truth.copy is None:
                return truth.stix_id, f"v{i + 1}"
        carried = oracle.carriers(self.records, marker)
        return (carried[0][0].stix_id, "copy") if carried else ("?", "")

    def body(self, side: Side, reader: oracle.Reader, exit_name: str, url: str, text: str,
             relevant: set[str]) -> set[str]:  # fmt: skip
        """Check one response body: every marker in it must be one the reader may see. Each
        relevant marker counts as a case. The markers found."""
        self.exits_seen[exit_name] += 1
        # Only the words the records carry: a random token (a CSRF field) may look like one.
        shown = set(MARKER.findall(text.lower())) & self.markers
        self.cases += len(relevant | shown)
        for marker in shown:
            decision = self._decide(marker, reader, side.country)
            if not decision:
                record, version = self._version_label(marker)
                truth = self.records.get(record)
                if truth is not None and truth.remarked and decision.rule != oracle.RULE_ORIGINATOR:
                    decision = oracle.Decision(False, oracle.RULE_ORIGINATOR,
                                               f"after an admin's re-mark: {decision.why}")  # fmt: skip
                self.violations.append(Violation(
                    "leak", decision.rule, exit_name, str(reader), record, version,
                    f"GET {url} shows content the reader may not see ({decision.why})",
                    list(truth.history) if truth else []))  # fmt: skip
        return shown

    def _lost(self, side: Side, reader: oracle.Reader, exit_name: str, url: str, truth:
              oracle.Truth, detail: str) -> None:  # fmt: skip
        self.violations.append(Violation("lost", "nothing lost", exit_name, str(reader),
                                         truth.stix_id, f"v{len(truth.versions)}",
                                         f"GET {url}: {detail}", list(truth.history)))  # fmt: skip

    def _exists(self, side: Side, reader: oracle.Reader, exit_name: str, url: str,
                truth: oracle.Truth, status: int, decision: oracle.Decision,
                version: str = "") -> None:  # fmt: skip
        if truth.remarked:
            decision = oracle.Decision(False, oracle.RULE_ORIGINATOR,
                                       f"after an admin's re-mark: {decision.why}")  # fmt: skip
        self.violations.append(Violation(
            "existence", decision.rule, exit_name, str(reader), truth.stix_id, version,
            f"GET {url} answered {status} where the reader may see no such "
            f"{'version' if version else 'record'} (404 promised: {decision.why})",
            list(truth.history)))  # fmt: skip

    def held_by(self, side: Side) -> list[oracle.Truth]:
        """The records an exit of ``side`` may be asked about: its own and those it received."""
        stored = self.stored(side)
        return [t for t in self.records.values() if t.owner_country == side.country
                or t.stix_id in stored]  # fmt: skip

    def check(self, focus: list[str] | None = None, *, lists: bool = True,
              fast: bool = False) -> None:  # fmt: skip
        """Read every exit as every reader; ``focus`` limits the per-record exits to these
        records (all, if None); ``fast`` skips the per-record exits that cannot leak (see
        :meth:`_record`)."""
        for side in self.sides.values():
            stored = self.stored(side)
            known = [t for t in self.records.values()
                     if t.owner_country == side.country or t.stix_id in stored]  # fmt: skip
            relevant = {v.marker for t in known for v in t.versions}
            targets = [t for t in known if focus is None or t.stix_id in focus
                       or (t.copy is not None and t.copy.original in focus)]  # fmt: skip
            asked = [a for a in self.approvals if focus is None or a.record in focus]
            for reader in side.readers.values():
                if lists:
                    self._lists(side, reader, known, relevant, focus)
                for truth in targets:
                    self._record(side, reader, truth, stored.get(truth.stix_id, []), fast)
                for approval in asked:
                    self._approval(side, reader, approval)
            partner = oracle.Partner(OTHER[side.country])
            if lists:
                self._partner_lists(side, partner, known, relevant)
            for truth in targets:
                self._partner_record(side, partner, truth, stored.get(truth.stix_id, []))
            self._index(side, known)
        for hold in self.holds:
            if focus is None or hold.record in focus:
                self._not_released(hold, self.records[hold.record])

    # REST, web and TAXII lists, audit and requests: one reader at a time.
    def _lists(self, side: Side, reader: Reader, known: list[oracle.Truth],
               relevant: set[str], focus: list[str] | None) -> None:  # fmt: skip
        who = reader.who
        listed: set[str] = set()
        url: str | None = "/api/v1/records?limit=200"
        while url:
            got = self._call(side, reader, "GET", url)
            self.body(side, who, EXITS["GET", "/api/v1/records"], url, got.text, relevant)
            page = got.json()
            listed |= {item["id"] for item in page["items"]}
            url = page.get("next")
            if url:
                url = url.split(".test", 1)[-1]
        exported = self._call(side, reader, "GET", "/api/v1/export")
        bundle_ids: set[str] = set()
        if exported.status_code == 200:
            self.body(side, who, EXITS["GET", "/api/v1/export"], "/api/v1/export",
                      exported.text, relevant)  # fmt: skip
            bundle_ids = {o.get("id") for o in exported.json()["objects"]}
        for truth in known:
            visible = oracle.may_see_record(truth, who, side.country, self.records)
            if visible and not truth.current.revoked and truth.stix_id not in listed:
                self._lost(side, who, EXITS["GET", "/api/v1/records"], "/api/v1/records", truth,
                           "a record the reader may see is not listed")  # fmt: skip
            if visible and exported.status_code == 200 and truth.stix_id not in bundle_ids:
                self._lost(side, who, EXITS["GET", "/api/v1/export"], "/api/v1/export", truth,
                           "a record the reader may see is not exported")  # fmt: skip
        for url, route in (("/", "/"), ("/records", "/records"),
                           (f"/records?q={WORD}", "/records"), ("/rfis", "/rfis"),
                           ("/rfis/inbox", "/rfis/inbox"), ("/recalls", "/recalls"),
                           ("/api/v1/rfis", "/api/v1/rfis")):  # fmt: skip
            got = self._web(side, reader, url)
            self.body(side, who, EXITS["GET", route], url, got.text, relevant)
        if {"auditor", "admin"} & set(who.roles):
            for url, route in (("/api/v1/audit?limit=500", "/api/v1/audit"), ("/audit", "/audit")):
                got = self._web(side, reader, url)
                self.body(side, who, EXITS["GET", route], url, got.text, relevant)
        self._approval_inbox(side, reader, relevant)
        for rfi_id, record_id in self.rfis:
            if focus is not None and record_id not in focus:
                continue
            for url, route in ((f"/api/v1/rfis/{rfi_id}", "/api/v1/rfis/{rfi_id}"),
                               (f"/rfis/{rfi_id}", "/rfis/{rfi_id}")):  # fmt: skip
                got = self._web(side, reader, url)
                self.body(side, who, EXITS["GET", route], url, got.text, relevant)
        collection = self._records_collection(side)
        for version in ("all", "first", "last"):
            self._taxii_pages(side, reader, who, collection, "objects", version, relevant, known)
        self._taxii_pages(side, reader, who, collection, "manifest", "all", relevant, known)

    def _approval_inbox(self, side: Side, reader: Reader, relevant: set[str]) -> None:
        """The originating agency's approval inbox, REST (every state) and page: each record
        it names only to whom :func:`oracle.may_see_approval` allows, and every approval of
        the reader's agency on a record it may see is there."""
        who = reader.who
        url = "/api/v1/rfis/approvals?state="
        inbox = self._web(side, reader, url)
        self._approval_body(side, who, EXITS["GET", "/api/v1/rfis/approvals"], url, inbox.text,
                            relevant)  # fmt: skip
        page = self._web(side, reader, "/rfis/approvals")
        self._approval_body(side, who, EXITS["GET", "/rfis/approvals"], "/rfis/approvals",
                            page.text, relevant)  # fmt: skip
        listed = {a["id"] for a in inbox.json()} if inbox.status_code == 200 else set()
        for approval in self.approvals:
            if approval.country != side.country:
                continue
            truth = self.records[approval.record]
            self.cases += 1
            if oracle.may_see_approval(truth, who, side.country) and approval.id not in listed:
                self._lost(side, who, EXITS["GET", "/api/v1/rfis/approvals"], url, truth,
                           f"the approval {approval.id} ({approval.state}) of the reader's "
                           "agency is not listed")  # fmt: skip

    def _approval(self, side: Side, reader: Reader, approval: Approval) -> None:
        """One approval, as a reader of either node: only the originating agency's users who
        may see its record get it, on the record's node."""
        truth = self.records[approval.record]
        url = f"/api/v1/rfis/approvals/{approval.id}"
        name = EXITS["GET", "/api/v1/rfis/approvals/{approval_id}"]
        got = self._web(side, reader, url)
        self._approval_body(side, reader.who, name, url, got.text,
                            {v.marker for v in truth.versions})  # fmt: skip
        allowed = oracle.may_see_approval(truth, reader.who, side.country)
        self._expect(side, reader.who, name, url, got, truth, allowed,
                     lost=approval.country == side.country)  # fmt: skip

    def _approval_body(self, side: Side, reader: oracle.Reader, exit_name: str, url: str,
                       text: str, relevant: set[str]) -> None:  # fmt: skip
        """An approval exit's body: held to the decision table like every exit, and each
        record it shows to the approval rule."""
        for marker in self.body(side, reader, exit_name, url, text, relevant):
            decision = self._approval_decide(marker, reader, side.country)
            if not decision:
                record, version = self._version_label(marker)
                truth = self.records.get(record)
                self.violations.append(Violation(
                    "leak", decision.rule, exit_name, str(reader), record, version,
                    f"GET {url} shows content the reader may not see there ({decision.why})",
                    list(truth.history) if truth else []))  # fmt: skip

    def _approval_decide(self, marker: str, reader: oracle.Reader,
                         serving: str) -> oracle.Decision:  # fmt: skip
        asked = {a.record for a in self.approvals}
        denied = oracle.Decision(False, oracle.RULE_APPROVALS,
                                 "no approval was asked for a record that carries it")  # fmt: skip
        for truth, i in oracle.carriers(self.records, marker):
            if truth.copy is not None or truth.stix_id not in asked:
                continue
            decision = oracle.may_see_approval(truth, reader, serving)
            if decision:
                decision = oracle.may_see(truth, i, reader, serving)
            if decision:
                return decision
            denied = decision
        return denied

    def _web(self, side: Side, reader: Reader, url: str) -> httpx.Response:
        """A page as a browser signed in as the reader gets it (the session cookie), or a REST
        call with the reader's token."""
        self.requests += 1
        side.client.cookies.clear()
        if url.startswith("/api/"):
            return side.client.get(url, headers=reader.headers)
        side.client.cookies.update(reader.cookies)
        try:
            return side.client.get(url)
        finally:
            side.client.cookies.clear()

    def _records_collection(self, side: Side) -> str:
        from puente.sharing.collections import collection_id

        with side.node.db.session() as session:
            return collection_id(session, "records")

    def _partner_collection(self, side: Side) -> str:
        from puente.sharing.collections import collection_id

        with side.node.db.session() as session:
            return collection_id(session, f"released/{NODES[OTHER[side.country]]}")

    def _taxii_get(self, side: Side, reader: Reader | None, url: str) -> httpx.Response:
        self.requests += 1
        side.client.cookies.clear()
        headers = {"Accept": TAXII}
        if reader is not None:
            return side.client.get(url, headers=headers | reader.headers)
        return side.client.get(url, headers=headers, auth=self.partner_auth[side.country])

    def _taxii_pages(self, side: Side, reader: Reader | None, who: oracle.Reader,
                     collection: str, what: str, version: str, relevant: set[str],
                     known: list[oracle.Truth]) -> None:  # fmt: skip
        base = f"/taxii2/api/collections/{collection}/{what}/?match[version]={version}&limit=200"
        route = f"/taxii2/api/collections/{{collection_id}}/{what}/"
        url: str | None = base
        got_ids: set[str] = set()
        stored = self.stored(side) if what == "manifest" else {}
        while url:
            got = self._taxii_get(side, reader, url)
            name = f"{EXITS['GET', route]} match[version]={version}"
            self.body(side, who, name, url, got.text, relevant)
            envelope = got.json() if got.status_code == 200 else {}
            items = envelope.get("objects", [])
            got_ids |= {o.get("id") for o in items}
            if what == "manifest":
                self._listed_versions(side, who, name, url,
                                      [(o["id"], o["version"]) for o in items], stored)  # fmt: skip
            url = f"{base}&next={quote(envelope['next'])}" if envelope.get("more") else None
        if what == "objects" and version == "last":
            for truth in known:
                if (oracle.may_see_record(truth, who, side.country, self.records)
                        and not truth.current.revoked and truth.stix_id not in got_ids):  # fmt: skip
                    self._lost(side, who, name, base, truth, "the current version is missing")

    def _listed_versions(self, side: Side, who: oracle.Reader, exit_name: str, url: str,
                         listed: list[tuple[str, str]],
                         stored: dict[str, list[tuple[str, str]]]) -> None:  # fmt: skip
        """Versions named (not shown) by a manifest or a versions list: each must be one the
        reader may see."""
        for stix_id, version in listed:
            truth = self.records.get(stix_id)
            if truth is None:
                continue
            marker = next((m for key, m in stored.get(stix_id, [])
                           if _same_version(key, version)), "")  # fmt: skip
            self.cases += 1
            if marker and not self._decide(marker, who, side.country):
                decision = self._decide(marker, who, side.country)
                if truth.remarked and decision.rule != oracle.RULE_ORIGINATOR:
                    decision = oracle.Decision(False, oracle.RULE_ORIGINATOR,
                                               f"after an admin's re-mark: {decision.why}")  # fmt: skip
                self.violations.append(Violation(
                    "existence", decision.rule, exit_name, str(who), stix_id, version,
                    f"GET {url} names a version the reader may not see ({decision.why})",
                    list(truth.history)))  # fmt: skip

    def _partner_lists(self, side: Side, partner: oracle.Partner, known: list[oracle.Truth],
                       relevant: set[str]) -> None:  # fmt: skip
        collection = self._partner_collection(side)
        index = self._taxii_get(side, None, "/api/v1/hits/index")
        self.body(side, partner, EXITS["GET", "/api/v1/hits/index"], "/api/v1/hits/index",
                  index.text, relevant)  # fmt: skip
        for version in ("all", "first", "last"):
            self._taxii_pages(side, None, partner, collection, "objects", version, relevant, known)
        self._taxii_pages(side, None, partner, collection, "manifest", "all", relevant, known)

    def _expect(self, side: Side, who: oracle.Reader, exit_name: str, url: str,
                got: httpx.Response, truth: oracle.Truth, decision: oracle.Decision,
                version: str = "", lost: bool = True) -> None:  # fmt: skip
        """A 404 where the reader may not see the record (or version), a 200 where it may."""
        self.cases += 1
        if got.status_code == 200 and not decision:
            carried = {v.marker for v in truth.versions} & set(MARKER.findall(got.text.lower()))
            if (truth.owner_country != side.country and not carried
                    and oracle.could_have_seen(truth, who, side.country)):  # fmt: skip
                return  # a tombstone (recalled, withdrawn) where the record once was readable
            self._exists(side, who, exit_name, url, truth, got.status_code, decision, version)
        elif decision and lost and got.status_code != 200:
            self._lost(side, who, exit_name, url, truth, f"answered {got.status_code}")

    def _record(self, side: Side, reader: Reader, truth: oracle.Truth,
                stored: list[tuple[str, str]], fast: bool) -> None:  # fmt: skip
        """Every exit that reads one record, as this reader.

        ``fast`` (CI): where the reader may see every version stored here, only whether the
        record is shown (nothing of it can leak there); where the reader may see none, the
        REST read and two of the other exits, taken in turn (over a batch, each exit is read
        many times); where some versions are visible and others not, every exit."""
        who = reader.who
        relevant = {v.marker for v in truth.versions}
        visible = oracle.may_see_record(truth, who, side.country, self.records)
        here = truth.owner_country == side.country or bool(stored)
        lost = here and not truth.recalled
        rid = truth.stix_id
        versions = [(key, self._decide(marker, who, side.country) if visible else visible)
                    for key, marker in stored if marker]  # fmt: skip
        everything = visible and all(allowed for _, allowed in versions)

        def read(url: str, route: str, decision: oracle.Decision, version: str = "",
                 expect_lost: bool = False) -> None:  # fmt: skip
            got = self._web(side, reader, url)
            self.body(side, who, EXITS["GET", route], url, got.text, relevant)
            self._expect(side, who, EXITS["GET", route], url, got, truth, decision, version,
                         lost=expect_lost)  # fmt: skip

        read(f"/api/v1/records/{rid}", "/api/v1/records/{stix_id}", visible, expect_lost=lost)
        if fast and everything:
            return
        probes: list[Callable[[], None]] = [
            lambda: read(f"/api/v1/records/{rid}/versions", "/api/v1/records/{stix_id}/versions",
                         visible, expect_lost=lost),
            lambda: read(f"/api/v1/records/{rid}/related", "/api/v1/records/{stix_id}/related",
                         visible, expect_lost=lost),
            lambda: read(f"/records/{rid}", "/records/{stix_id}", visible, expect_lost=lost),
            *(lambda url=url, route=route: read(url, route, visible) if not visible else
              self._form(side, reader, url, route, relevant)
              for url, route in ((f"/records/{rid}/edit", "/records/{stix_id}/edit"),
                                 (f"/records/{rid}/revoke", "/records/{stix_id}/revoke"),
                                 (f"/records/{rid}/recall", "/records/{stix_id}/recall"))),
            *(lambda key=key, allowed=allowed, route=route: read(
                f"{route.replace('{stix_id}', rid)}?version={key}", route, allowed, key)
              for key, allowed in versions if not (fast and allowed)
              for route in ("/api/v1/records/{stix_id}", "/records/{stix_id}")),
            lambda: self._taxii_record(side, reader, who, self._records_collection(side), truth,
                                       stored, visible, "object"),
            lambda: self._taxii_record(side, reader, who, self._records_collection(side), truth,
                                       stored, visible, "versions"),
        ]  # fmt: skip
        if fast and not visible:
            start = self.turn % len(probes)
            self.turn += 1
            probes = [probes[start], probes[(start + len(probes) // 2) % len(probes)]]
        for probe in probes:
            probe()

    def _form(self, side: Side, reader: Reader, url: str, route: str, relevant: set[str]) -> None:
        """A form (edit, revoke, recall) of a record the reader may see: it shows the record
        or refuses (the reader may not change it); either way, nothing else."""
        got = self._web(side, reader, url)
        self.body(side, reader.who, EXITS["GET", route], url, got.text, relevant)

    def _taxii_record(self, side: Side, reader: Reader | None, who: oracle.Reader,
                      collection: str, truth: oracle.Truth, stored: list[tuple[str, str]],
                      visible: oracle.Decision, which: str = "both") -> None:  # fmt: skip
        relevant = {v.marker for v in truth.versions}
        rid = truth.stix_id
        base = f"/taxii2/api/collections/{collection}/objects/{rid}/"
        reads = [(f"{base}?match[version]=all",
                  "/taxii2/api/collections/{collection_id}/objects/{object_id}/"),
                 (f"{base}versions/",
                  "/taxii2/api/collections/{collection_id}/objects/{object_id}/versions/")]  # fmt: skip
        if which != "both":
            reads = reads[:1] if which == "object" else reads[1:]
        for url, route in reads:
            got = self._taxii_get(side, reader, url)
            self.body(side, who, EXITS["GET", route], url, got.text, relevant)
            self._expect(side, who, EXITS["GET", route], url, got, truth, visible, lost=False)
            if route.endswith("versions/") and got.status_code == 200:
                listed = [(rid, v) for v in got.json().get("versions", [])]
                self._listed_versions(side, who, EXITS["GET", route], url, listed,
                                      {rid: stored})  # fmt: skip

    def _partner_record(self, side: Side, partner: oracle.Partner, truth: oracle.Truth,
                        stored: list[tuple[str, str]]) -> None:  # fmt: skip
        visible = oracle.may_see_record(truth, partner, side.country, self.records)
        self._taxii_record(side, None, partner, self._partner_collection(side), truth, stored,
                           visible)  # fmt: skip

    def _index(self, side: Side, known: list[oracle.Truth]) -> None:
        """The hit index this node keeps for its partner: keys of searchable records only."""
        from puente.hits import refresh
        from puente.hits.models import HitIndexEntry
        from puente.records.models import Record
        from puente.sharing.models import Partner

        refresh.refresh_partners(side.node)
        index = oracle.Index(OTHER[side.country])
        with side.node.db.session() as session:
            indexed = set(session.execute(
                select(Record.stix_id)
                .join(HitIndexEntry, HitIndexEntry.record_pk == Record.pk)
                .join(Partner, Partner.id == HitIndexEntry.partner_id)
                .where(HitIndexEntry.removed_seq.is_(None),
                       Partner.node_id == NODES[OTHER[side.country]])
            ).scalars())  # fmt: skip
        for truth in known:
            if truth.kind != "person":
                continue
            self.cases += 1
            allowed = oracle.may_see(truth, len(truth.versions) - 1, index, side.country)
            if truth.copy is not None and not oracle.copy_approved(truth, self.records):
                allowed = oracle.Decision(False, oracle.RULE_ORIGINATOR, "an unapproved copy")
            if truth.stix_id in indexed and not allowed:
                self.violations.append(Violation(
                    "leak", allowed.rule, "hit index", str(index), truth.stix_id,
                    f"v{len(truth.versions)}", f"its match keys are in the index "
                    f"({allowed.why})", list(truth.history)))  # fmt: skip
            elif allowed and truth.stix_id not in indexed:
                self._lost(side, index, "hit index", "(table)", truth, "a searchable person's "
                           "keys are not in the index")  # fmt: skip

    def check_cli(self) -> None:
        """The command line's exports, as every reader of each node."""
        for side in self.sides.values():
            stored = self.stored(side)
            relevant = {v.marker for t in self.records.values()
                        if t.owner_country == side.country or t.stix_id in stored
                        for v in t.versions}  # fmt: skip
            for reader in side.readers.values():
                self._cli(side, reader, relevant)

    def _cli(self, side: Side, reader: Reader, relevant: set[str]) -> None:
        """`puente export stix --as USER`, as an operator runs it on the node."""
        from tests.support.cli import run

        code, output = run("export", "stix", "--data-dir", str(side.data_dir), "--as",
                           reader.who.username, env={"PUENTE_LANG": "en"})  # fmt: skip
        self.requests += 1
        if code == 0:
            self.body(side, reader.who, CLI_EXITS["export stix"], "puente export stix",
                      output, relevant)  # fmt: skip

    # -- the report ---------------------------------------------------------------------------

    def report(self, violations: list[Violation] | None = None, limit: int = 3) -> str:
        """The violations grouped by kind, rule and exit, with a few examples of each."""
        if violations is None:
            violations = self.violations
        groups: dict[tuple[str, str, str], list[Violation]] = {}
        for v in violations:
            groups.setdefault((v.kind, v.rule, v.exit), []).append(v)
        lines = [f"{len(violations)} violations in {len(groups)} groups "
                 f"({self.cases} cases, {self.requests} requests)"]  # fmt: skip
        order = {"leak": 0, "existence": 1, "action": 2, "lost": 3}
        for (kind, rule, exit_name), found in sorted(groups.items(),
                                                     key=lambda g: (order[g[0][0]], g[0])):  # fmt: skip
            lines.append(f"\n== {kind} · {rule} · {exit_name}: {len(found)}")
            for v in found[:limit]:
                lines.append(f"  - {v.reader} · {v.record} {v.version}: {v.detail}")
                for event in v.history:
                    lines.append(f"      {event}")
        return "\n".join(lines)


def _same_version(key: str, version: str) -> bool:
    def norm(text: str) -> str:
        head, _, frac = text.rstrip("Z").partition(".")
        return f"{head}.{(frac + '000000')[:6]}"

    return norm(key) == norm(version)
