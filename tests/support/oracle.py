"""The leak oracle's decision table: who may see which version of a record, decided afresh.

This module deliberately shares no code with :mod:`puente.policy` or :mod:`puente.records`:
it restates DESIGN.md's decision table ("Records and markings"), the three rules after it and
the lead's canonical decisions for issue 13, so that a mistake in the product's gate is not
copied into the check that is meant to find it. It knows nothing of HTTP or of the database;
tests/support/leak_exits.py drives the two nodes and asks it.

The truth it decides from is what the originator meant (:class:`Truth`), not what a node
stored: the versions the originating agency made with the markings it chose, whether the
record was recalled, and the copies a liaison released in answer to a request. A version an
admin of another agency managed to store is not part of the truth: its content is the
originator's (a re-mark keeps the fields), so readers are judged by the originator's markings.

Rules (each decision names the one that denied, for the report):

- the user row: (the reader's country is the owner's, or is in REL TO) and (no agencies, or
  the reader's agency is listed) and (TLP:RED, or any named recipients: the reader is named)
  and (TLP:AMBER+STRICT: the reader's agency is the originator's or is listed);
- named recipients are node-qualified: ``user@CCC`` names the user ``user`` of the node of
  country CCC; a bare name written on a node names that node's user; ``user@<node id>`` names
  the user of that node. The creator of a record is its first recipient, on its own node only;
- the partner row: the record is the serving node's own (received records are never
  re-exported), not recalled, the partner's country is in REL TO, not TLP:RED, a listed agency
  (if any) belongs to the partner's country, and a record with named recipients goes only to a
  node one of them is on;
- the current version governs: a version is released to a reader only if both it and the
  current version are releasable to that reader (on a receiving node: to the receiving node
  as a partner, and to the reader as a user there); a recalled record's content is gone from
  every receiving node;
- the hit index of country C holds match keys of the serving node's own, current, not
  revoked, not recalled records whose SEARCHABLE BY holds C; nothing else;
- the public sees TLP:CLEAR records of the serving node only;
- a copy released in answer to a request carries its original's content. A liaison of the
  originating agency releases it at once when the original may go to the requesting country
  (the partner row) and, if it lists agencies, to the requesting agency; anything else waits
  for the originating agency's approval (another user of it who may write and see the record;
  never the liaison who asked). Nothing of a release leaves before that approval; a refused
  one never does. Released without approval, the copy's TLP and handling code are the
  stricter of the liaison's choice and the original's; approved, they are what the approver
  chose (the originator may lower them), and the approver is a named recipient. Either way
  the copy is REL TO both countries, named for the requesting user, keeps the original's
  originating agency and, where the requesting agency was listed, its agencies (TLP:AMBER+
  STRICT otherwise lists the originating, the liaison's and the requesting agency). A copy
  that went without a needed approval reaches a reader only as its original could. A recall
  of the original recalls its copies;
- an approval (the originating agency's inbox, or one approval) shows its record only to a
  user of the record's node and originating agency who may write records and may see the
  record: not to the liaison's other colleagues, nor to anyone on another node.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

TLP_ORDER = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
HANDLING_ORDER = ("H0", "H1", "H2", "H3")
# DESIGN.md's agencies, restated: which country each belongs to.
AGENCY_COUNTRY = {
    **dict.fromkeys(("CBP", "DEA", "ATF", "HSI", "FBI", "INL"), "USA"),
    **dict.fromkeys(("SSPC", "FGR", "SEDENA", "SEMAR", "GN", "ANAM", "UIF", "CNI", "SRE"), "MEX"),
}
# The rules, as the report groups its findings.
RULE_GATE = "gate table"
RULE_CURRENT = "rule 1: the current version governs"
RULE_NAMES = "rule 2: named recipients are node-qualified"
RULE_ORIGINATOR = "rule 3: only the originating agency re-marks; copies no looser"
RULE_RECEIVED = "received records are never re-exported"
RULE_RECALL = "recalled records never go to partners"
RULE_RED = "TLP:RED never leaves the node"
RULE_INDEX = "the hit index holds searchable records only"
RULE_APPROVALS = "an approval shows its record to the originating agency only"
WRITE_ROLES = frozenset({"analyst", "liaison", "admin"})  # DESIGN.md's records.write


def qualify(name: str, written_on: str, node_countries: dict[str, str]) -> str:
    """A recipient as written on the node of country ``written_on``, in its one stored form."""
    user, _, where = name.strip().partition("@")
    if not where:
        return f"{user}@{written_on}"
    if where.upper() in node_countries.values():
        return f"{user}@{where.upper()}"
    return f"{user}@{node_countries.get(where, where.upper())}"


@dataclass(frozen=True)
class Marks:
    """The markings the originator chose for one version (recipients qualified)."""

    tlp: str
    rel_to: frozenset[str]
    agencies: frozenset[str] = frozenset()
    handling: str = "H0"
    searchable_by: frozenset[str] = frozenset()
    recipients: frozenset[str] = frozenset()

    def describe(self) -> str:
        parts = [f"TLP:{self.tlp}", "REL TO " + ",".join(sorted(self.rel_to))]
        if self.agencies:
            parts.append("agencies " + ",".join(sorted(self.agencies)))
        parts.append(self.handling)
        if self.searchable_by:
            parts.append("searchable by " + ",".join(sorted(self.searchable_by)))
        if self.recipients:
            parts.append("recipients " + ",".join(sorted(self.recipients)))
        return " · ".join(parts)


@dataclass
class Version:
    marker: str  # a word only this version's content carries
    marks: Marks
    revoked: bool = False


@dataclass
class Copy:
    """Where a copy came from: an answer to a request, by a liaison of some agency, and
    whether (and by whom) the originating agency approved it."""

    original: str  # stix id
    liaison_agency: str
    requesting_country: str
    requester: str = ""  # the requesting user, on the requesting country's node
    requester_agency: str = ""
    tlp: str = ""  # what the liaison chose, or (approved) what the approver chose
    handling: str = ""
    needed: str = ""  # why the originating agency had to approve ("": it did not)
    approved_by: str = ""  # the user of the originating agency who approved
    original_marks: Marks | None = None  # the original's markings when it was released


@dataclass
class Truth:
    """One record as its originator means it."""

    stix_id: str
    kind: str
    owner_country: str
    agency: str  # the originating agency
    creator: str  # username on the owner's node
    versions: list[Version] = field(default_factory=list)
    recalled: bool = False
    copy: Copy | None = None
    remarked: bool = False  # an admin of another agency managed to store a version of it
    history: list[str] = field(default_factory=list)  # what was done, for the report

    @property
    def current(self) -> Version:
        return self.versions[-1]


# -- readers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """A signed-in user of the node of ``country``."""

    country: str
    username: str
    agency: str
    roles: tuple[str, ...] = ("analyst",)

    def __str__(self) -> str:
        return f"{self.username}@{self.country} ({self.agency}, {'/'.join(self.roles)})"


@dataclass(frozen=True)
class Partner:
    """The partner node of ``country``, pulling from the node that serves the exit."""

    country: str

    def __str__(self) -> str:
        return f"partner node {self.country}"


@dataclass(frozen=True)
class Index:
    """The hit/no-hit index the serving node keeps for ``country``: match keys only."""

    country: str

    def __str__(self) -> str:
        return f"hit index for {self.country}"


@dataclass(frozen=True)
class Public:
    def __str__(self) -> str:
        return "the public"


Reader = User | Partner | Index | Public


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str = ""
    why: str = ""

    def __bool__(self) -> bool:
        return self.allowed


YES = Decision(True)


def _no(rule: str, why: str) -> Decision:
    return Decision(False, rule, why)


def user_row(marks: Marks, truth: Truth, user: User, on_owner_node: bool) -> Decision:
    """DESIGN.md's row for a user of this node, with node-qualified names."""
    if user.country != truth.owner_country and user.country not in marks.rel_to:
        return _no(RULE_GATE, "the reader's country is not in REL TO")
    if marks.agencies and user.agency not in marks.agencies:
        return _no(RULE_GATE, "the reader's agency is not listed")
    named = f"{user.username}@{user.country}" in marks.recipients or (
        on_owner_node and user.username == truth.creator
    )
    if marks.tlp == "RED" and not named:
        return _no(RULE_NAMES if marks.recipients else RULE_GATE, "TLP:RED, reader not named")
    if marks.recipients and not named:
        return _no(RULE_NAMES, "the reader is not a named recipient")
    if (
        marks.tlp == "AMBER+STRICT"
        and user.agency != truth.agency
        and user.agency not in marks.agencies
    ):
        return _no(RULE_GATE, "TLP:AMBER+STRICT outside the named agencies")
    return YES


def partner_row(marks: Marks, truth: Truth, country: str) -> Decision:
    """DESIGN.md's row for a partner node of ``country``, the record being the sender's own."""
    if truth.recalled:
        return _no(RULE_RECALL, "the record was recalled")
    if country not in marks.rel_to:
        return _no(RULE_GATE, "the partner's country is not in REL TO")
    if marks.tlp == "RED":
        return _no(RULE_RED, "TLP:RED")
    if marks.agencies and not any(AGENCY_COUNTRY.get(a) == country for a in marks.agencies):
        return _no(RULE_GATE, "no listed agency belongs to the partner's country")
    if marks.recipients and not any(r.endswith(f"@{country}") for r in marks.recipients):
        return _no(RULE_NAMES, "every named recipient is on another node")
    return YES


def _both(current: Decision, version: Decision, older: bool) -> Decision:
    if not current:
        return Decision(False, RULE_CURRENT if older and version else current.rule, current.why)
    return version


def may_see(truth: Truth, index: int, reader: Reader, serving: str) -> Decision:
    """May ``reader`` see version ``index`` of ``truth`` at an exit of the node of country
    ``serving``? (For a copy, see :func:`may_see_content`.)"""
    version, current = truth.versions[index], truth.current
    older = index != len(truth.versions) - 1
    own = truth.owner_country == serving
    if isinstance(reader, Public):
        if not own:
            return _no(RULE_RECEIVED, "only the node's own records are public")
        if current.marks.tlp != "CLEAR" or version.marks.tlp != "CLEAR":
            return _no(RULE_GATE, "only TLP:CLEAR is public")
        return YES
    if isinstance(reader, Index):
        if not own:
            return _no(RULE_RECEIVED, "received records are not indexed")
        if truth.recalled or current.revoked or reader.country not in current.marks.searchable_by:
            return _no(RULE_INDEX, "not searchable by the country")
        return YES if not older else _no(RULE_INDEX, "only the current version is indexed")
    if isinstance(reader, Partner):
        if not own:
            return _no(RULE_RECEIVED, "a received record")
        return _both(
            partner_row(current.marks, truth, reader.country),
            partner_row(version.marks, truth, reader.country),
            older,
        )
    if not own:
        # On a receiving node: it must have been releasable to that node, and to the reader.
        if truth.recalled:
            return _no(RULE_RECALL, "recalled: purged from the receiving node")
        to_node = _both(
            partner_row(current.marks, truth, serving),
            partner_row(version.marks, truth, serving),
            older,
        )
        if not to_node:
            if any(partner_row(v.marks, truth, serving) for v in truth.versions):
                return _no(RULE_CURRENT, "re-marked after this node could receive it: "
                                         + to_node.why)  # fmt: skip
            return to_node
    return _both(
        user_row(current.marks, truth, reader, own),
        user_row(version.marks, truth, reader, own),
        older,
    )


def free_to_release(original: Truth, liaison_agency: str, requesting_country: str,
                    requester_agency: str, requester: str = "") -> Decision:  # fmt: skip
    """Whether a liaison of ``liaison_agency`` may release ``original`` (its current version)
    to a request of ``requesting_country``'s ``requester_agency`` (user ``requester``, as
    ``user@CCC``) without its originating agency's approval: only its own agency's, only where
    the original may go, and, if the original names recipients, only to one of them."""
    marks = original.current.marks
    why = []
    if liaison_agency != original.agency:
        why.append(f"a record of {original.agency}, released by {liaison_agency}")
    unrecalled = Truth(original.stix_id, original.kind, original.owner_country, original.agency,
                       original.creator)  # fmt: skip
    to_country = partner_row(marks, unrecalled, requesting_country)
    if not to_country:
        why.append(f"not releasable to {requesting_country}: {to_country.why}")
    if marks.agencies and requester_agency not in marks.agencies:
        why.append(f"its agencies leave out the requesting {requester_agency}")
    if marks.recipients and requester and requester not in marks.recipients:
        why.append(f"its named recipients leave out the requesting {requester}")
    return _no(RULE_ORIGINATOR, "; ".join(why)) if why else YES


def copy_marks(original: Marks, origin: str, owner: str, copy: Copy) -> Marks:
    """The markings a released copy must carry (see the module's rules)."""
    recipients = {f"{copy.requester}@{copy.requesting_country}"}
    if copy.approved_by:
        tlp, handling = copy.tlp, copy.handling
        recipients.add(f"{copy.approved_by}@{owner}")
    else:
        tlp = max(copy.tlp, original.tlp, key=TLP_ORDER.index)
        handling = max(copy.handling, original.handling, key=HANDLING_ORDER.index)
    agencies: frozenset[str] = frozenset()
    if original.agencies and copy.requester_agency in original.agencies:
        agencies = original.agencies
    elif tlp == "AMBER+STRICT":
        agencies = frozenset({origin, copy.liaison_agency, copy.requester_agency})
    return Marks(tlp, frozenset({owner, copy.requesting_country}), agencies, handling,
                 recipients=frozenset(recipients))  # fmt: skip


def copy_approved(copy: Truth, records: dict[str, Truth]) -> Decision:
    """Whether a released copy went as the rules let it: it needed no approval, or the
    originating agency gave it; then the copy's own markings govern it."""
    assert copy.copy is not None
    if not copy.copy.needed or copy.copy.approved_by:
        return YES
    original = records[copy.copy.original]
    return _no(RULE_ORIGINATOR, f"released without the approval of {original.agency}: "
                                f"{copy.copy.needed}")  # fmt: skip


def copy_no_looser(copy: Truth, tlp: str, handling: str) -> Decision:
    """Whether a copy stored as ``tlp`` and ``handling`` carries what it must: the approved
    ones, or (unapproved) nothing below its original's."""
    assert copy.copy is not None
    if copy.copy.approved_by:
        if (tlp, handling) != (copy.copy.tlp, copy.copy.handling):
            return _no(RULE_ORIGINATOR, f"the copy is TLP:{tlp} {handling}, approved as "
                                        f"TLP:{copy.copy.tlp} {copy.copy.handling}")  # fmt: skip
        return YES
    original = copy.copy.original_marks
    assert original is not None
    if TLP_ORDER.index(tlp) < TLP_ORDER.index(original.tlp):
        return _no(RULE_ORIGINATOR, f"the copy is TLP:{tlp}, the original TLP:{original.tlp}, "
                                    "and nobody approved it")  # fmt: skip
    if HANDLING_ORDER.index(handling) < HANDLING_ORDER.index(original.handling):
        return _no(RULE_ORIGINATOR, f"the copy is {handling}, the original "
                                    f"{original.handling}, and nobody approved it")  # fmt: skip
    expected = copy.current.marks
    if (tlp, handling) != (expected.tlp, expected.handling):
        return _no(RULE_ORIGINATOR, f"the copy is TLP:{tlp} {handling}, the stricter of the "
                                    f"liaison's and the original's is TLP:{expected.tlp} "
                                    f"{expected.handling}")  # fmt: skip
    return YES


def may_see_approval(truth: Truth, reader: Reader, serving: str) -> Decision:
    """May ``reader`` see ``truth`` in an approval of its release at the node of ``serving``?"""
    if not isinstance(reader, User) or serving != truth.owner_country:
        return _no(RULE_APPROVALS, "approvals stay on the record's node")
    if reader.agency != truth.agency:
        return _no(RULE_APPROVALS, f"the reader is of {reader.agency}, the record of "
                                   f"{truth.agency}")  # fmt: skip
    if not WRITE_ROLES & set(reader.roles):
        return _no(RULE_APPROVALS, "the reader may not write records")
    return may_see(truth, len(truth.versions) - 1, reader, serving)


def carriers(records: dict[str, Truth], marker: str) -> list[tuple[Truth, int]]:
    return [
        (truth, i)
        for truth in records.values()
        for i, version in enumerate(truth.versions)
        if version.marker == marker
    ]


def may_see_content(
    records: dict[str, Truth], marker: str, reader: Reader, serving: str
) -> Decision:
    """May ``reader`` see the content carrying ``marker``, through any record that carries it?

    The original carries it under its own truth; a copy under its own markings if it went as
    the rules let it (see :func:`copy_approved`), else only as its original could."""
    denied = Decision(False, RULE_GATE, "no record carries it")
    through_copy = ""
    for truth, i in carriers(records, marker):
        if truth.copy is not None and not copy_approved(truth, records):
            if may_see(truth, i, reader, serving):
                through_copy = truth.stix_id
            continue
        decision = may_see(truth, i, reader, serving)
        if decision:
            return decision
        if truth.copy is None or denied.why == "no record carries it":
            denied = decision
    if through_copy:
        return _no(RULE_ORIGINATOR, f"carried by the copy {through_copy}, released without the "
                                    f"originator's approval; the original: {denied.why}")  # fmt: skip
    return denied


def could_have_seen(truth: Truth, reader: Reader, serving: str) -> bool:
    """Whether some version, on its own, was once releasable to this user at a receiving node
    (a tombstone of it, its content gone, may then still be shown there)."""
    if not isinstance(reader, User) or truth.owner_country == serving:
        return False
    unrecalled = Truth(truth.stix_id, truth.kind, truth.owner_country, truth.agency,
                       truth.creator)  # fmt: skip
    return any(
        partner_row(v.marks, unrecalled, serving) and user_row(v.marks, truth, reader, False)
        for v in truth.versions
    )


def may_see_record(
    truth: Truth, reader: Reader, serving: str, records: dict[str, Truth]
) -> Decision:
    """Whether the reader may learn the record exists at this node: its current version
    visible (an older one never is without it)."""
    if truth.copy is not None and not copy_approved(truth, records):
        original = records[truth.copy.original]
        if not any(may_see(original, i, reader, serving) for i in range(len(original.versions))):
            return _no(RULE_ORIGINATOR, "a copy released without the originator's approval, of "
                                        "a record the reader may not see")  # fmt: skip
    current = may_see(truth, len(truth.versions) - 1, reader, serving)
    if not current and current.rule not in (RULE_CURRENT, RULE_RECALL):
        alone = [i for i, v in enumerate(truth.versions[:-1]) if _alone(truth, v, reader, serving)]
        if alone:
            return _no(RULE_CURRENT, f"v{alone[0] + 1} alone would be releasable, but the "
                                     f"current version is not: {current.why}")  # fmt: skip
    return current


def _alone(truth: Truth, version: Version, reader: Reader, serving: str) -> bool:
    """Whether ``version`` alone, whatever the current one says, is releasable to the reader."""
    own = truth.owner_country == serving
    if isinstance(reader, User):
        to_node = own or bool(partner_row(version.marks, truth, serving))
        return to_node and bool(user_row(version.marks, truth, reader, own))
    if isinstance(reader, Partner) and own:
        return bool(partner_row(version.marks, truth, reader.country))
    return False


def markers(records: Iterable[Truth]) -> set[str]:
    return {v.marker for t in records for v in t.versions}
