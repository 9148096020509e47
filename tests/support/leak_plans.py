"""What the leak oracle does to two nodes: generated record lifecycles.

A plan is one record's life: who creates it on which node, under which markings (written as a
user would type them: bare names, ``user@MEX``, ``user@usa``, ``user@mx-node``), the versions
its originator makes (tightening or loosening, before or after a sync), an admin of another
agency trying to version it, a revocation, a recall, and a request for information from the
other node answered by releasing it (approved, re-marked or refused by the originating agency,
or left waiting, when the release needs its approval). The same generator serves hypothesis (tests) and a seeded
random run (bench/leak_oracle.py) through :class:`Chooser`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

NODES = {"USA": "us-node", "MEX": "mx-node"}
OTHER = {"USA": "MEX", "MEX": "USA"}
TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
RELEASE_TLPS = ("GREEN", "AMBER", "AMBER+STRICT")  # what an answer (or approval) may choose
VERDICTS = ("approve", "remark", "remark", "refuse", "leave")
HANDLING = ("H0", "H1", "H2", "H3")


@dataclass(frozen=True)
class Account:
    username: str
    agency: str
    roles: tuple[str, ...]


# Names collide across the nodes on purpose: fgr.enlace and inl.auditor exist on both.
ACCOUNTS: dict[str, tuple[Account, ...]] = {
    "USA": (
        Account("cbp.ana", "CBP", ("analyst",)),
        Account("dea.dan", "DEA", ("analyst",)),
        Account("fgr.enlace", "ATF", ("analyst",)),
        Account("cbp.liaison", "CBP", ("liaison",)),
        Account("hsi.liaison", "HSI", ("liaison",)),
        Account("inl.auditor", "INL", ("auditor",)),
        Account("admin", "INL", ("admin",)),
    ),
    "MEX": (
        Account("fgr.enlace", "FGR", ("analyst",)),
        Account("gn.analista", "GN", ("analyst",)),
        Account("uif.ana", "UIF", ("analyst",)),
        Account("sspc.enlace", "SSPC", ("liaison",)),
        Account("inl.auditor", "SSPC", ("auditor",)),
        Account("admin", "SSPC", ("admin",)),
    ),
}
AGENCIES = {"USA": ("CBP", "DEA", "ATF", "HSI", "INL"), "MEX": ("FGR", "GN", "UIF", "SSPC")}
# Every spelling of a recipient the oracle knows how to read (see oracle.qualify).
RECIPIENTS = (
    "fgr.enlace", "inl.auditor", "gn.analista", "cbp.ana", "dea.dan",
    "fgr.enlace@MEX", "gn.analista@MEX", "inl.auditor@MEX", "uif.ana@MEX",
    "fgr.enlace@USA", "inl.auditor@usa", "hsi.liaison@usa", "cbp.ana@USA",
    "fgr.enlace@mx-node", "dea.dan@us-node",
)  # fmt: skip


def creators(country: str) -> list[Account]:
    return [a for a in ACCOUNTS[country] if {"analyst", "liaison"} & set(a.roles)]


@dataclass(frozen=True)
class MarksIn:
    """Markings as typed into the record form or the API."""

    tlp: str
    rel_to: tuple[str, ...]
    agencies: tuple[str, ...] = ()
    handling: str = "H0"
    searchable_by: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tlp": self.tlp, "rel_to": list(self.rel_to), "agencies": list(self.agencies),
            "handling": self.handling, "searchable_by": list(self.searchable_by),
            "recipients": list(self.recipients),
        }  # fmt: skip
        if self.handling == "H3":
            out["handling_text"] = "Ask the originator first."
        return out


@dataclass(frozen=True)
class Step:
    """One thing done to the record: version, sync, admin_version, admin_revoke, revoke,
    recall or rfi."""

    action: str
    marks: MarksIn | None = None
    requester: str = ""  # rfi: a user of the other node
    liaison: str = ""  # rfi: a liaison (or admin) of the owner's node
    tlp: str = ""  # rfi: the release's TLP
    handling: str = ""
    # rfi, when the release waits for the originating agency: approve (as proposed), remark
    # (approve with tlp/handling below), refuse, or leave it waiting; which of the agency's
    # users decides (an index into them); who tries to decide first and must be refused
    # ("liaison": the one who asked, "other": a user of another agency, ""); and whether the
    # nodes sync while it waits.
    verdict: str = "approve"
    approver: int = 0
    approve_tlp: str = ""
    approve_handling: str = ""
    intruder: str = ""
    sync_first: bool = False


@dataclass(frozen=True)
class Plan:
    owner: str  # country
    creator: str
    kind: str  # incident or person
    marks: MarksIn
    steps: tuple[Step, ...] = field(default_factory=tuple)


class Chooser(Protocol):
    def pick(self, options: Sequence[T]) -> T: ...

    def some(self, options: Sequence[T], most: int) -> list[T]: ...

    def chance(self, percent: int) -> bool: ...


class RandomChooser:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(list(options))

    def some(self, options: Sequence[T], most: int) -> list[T]:
        return self.rng.sample(list(options), self.rng.randint(0, min(most, len(options))))

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent


def marks(choose: Chooser, owner: str, agency: str) -> MarksIn:
    """Markings an originator at ``agency`` may give (so that they can still see the record)."""
    tlp = choose.pick(TLPS)
    rel_to = (owner, OTHER[owner]) if choose.chance(60) else (owner,)
    agencies: tuple[str, ...] = ()
    if choose.chance(30) or (tlp == "AMBER+STRICT" and choose.chance(50)):
        listed = choose.some([a for a in (*AGENCIES["USA"], *AGENCIES["MEX"]) if a != agency], 2)
        agencies = (agency, *listed)
    recipients: tuple[str, ...] = ()
    if tlp == "RED" or choose.chance(20):
        recipients = tuple(choose.some(RECIPIENTS, 3))
    searchable = (OTHER[owner],) if choose.chance(50) else ()
    return MarksIn(tlp, rel_to, agencies, choose.pick(HANDLING), searchable, recipients)


def plan(choose: Chooser) -> Plan:
    owner = choose.pick(("USA", "MEX"))
    creator = choose.pick(creators(owner))
    kind = choose.pick(("incident", "person"))
    first = marks(choose, owner, creator.agency)
    steps: list[Step] = []
    for _ in range(choose.pick((0, 1, 1, 2))):
        if choose.chance(50):
            steps.append(Step("sync"))
        steps.append(Step("version", marks(choose, owner, creator.agency)))
    if choose.chance(25):
        admin = next(a for a in ACCOUNTS[owner] if "admin" in a.roles)
        if admin.agency != creator.agency:
            loose = MarksIn("CLEAR", (owner, OTHER[owner]), searchable_by=(OTHER[owner],))
            steps.append(Step("admin_version", loose))
    if choose.chance(35):
        liaisons = [a.username for a in ACCOUNTS[owner] if "liaison" in a.roles]
        requesters = [a.username for a in ACCOUNTS[OTHER[owner]] if "analyst" in a.roles]
        if "liaison" in creator.roles and choose.chance(50):
            liaisons = [creator.username]  # its own agency's record: released at once, or not
        steps.append(Step("rfi", requester=choose.pick(requesters), liaison=choose.pick(liaisons),
                          tlp=choose.pick(RELEASE_TLPS), handling=choose.pick(HANDLING),
                          verdict=choose.pick(VERDICTS), approver=choose.pick((0, 1)),
                          approve_tlp=choose.pick(RELEASE_TLPS),
                          approve_handling=choose.pick(HANDLING),
                          intruder=choose.pick(("", "", "liaison", "other")),
                          sync_first=choose.chance(30)))  # fmt: skip
    ending = choose.pick(("", "", "", "revoke", "admin_revoke", "recall"))
    if ending:
        if choose.chance(50):
            steps.append(Step("sync"))
        steps.append(Step(ending))
    return Plan(owner, creator.username, kind, first, tuple(steps))
