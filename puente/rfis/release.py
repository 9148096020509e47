"""Answering a request by releasing records to the named requesting users.

The liaison picks records of this node and the TLP and handling code of the release; each
record becomes a release copy: a new record with the same content, marked REL TO both
countries, with the requesting users as its named recipients (``user@COUNTRY``, see the egress
gate). The copy keeps its original's originating agency and grading, and is never less
restrictive than the original allows (DESIGN.md, "Records and markings"):

- its TLP is the stricter of the liaison's and the original's, its handling code the stricter
  of theirs (an H3 original's text comes along), and an agency restriction carries over;
- a record the originating agency has not let the requesting country have — REL TO lacks it,
  it is TLP:RED (which never leaves the node), its agencies leave out the requesting agency,
  its named recipients leave out the requesting users —
  or a record of another agency than the liaison's is released only once its originating
  agency approves (:mod:`puente.rfis.approvals`), under the markings that agency approves,
  which may be lower: it is the originator.

The original keeps its own markings, untouched; the copy travels to the partner through
federation like any record, and can be recalled like any record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.errors import N_, InvalidInput, Problem
from puente.node import Node
from puente.policy import gate
from puente.policy.agencies import agency_countries
from puente.policy.markings import HANDLING_CODES, TLP_LEVELS, Markings
from puente.policy.recipients import country_of
from puente.policy.roles import Principal
from puente.records import builder
from puente.records import service as records
from puente.records.models import Record
from puente.records.rows import facts_of, markings_of
from puente.rfis.models import Rfi
from puente.sharing.models import Partner

RELEASE_TLPS = ("GREEN", "AMBER", "AMBER+STRICT")  # TLP:RED never leaves the node
MAX_RELEASED = 50

# Why a record's release waits for its originating agency (stored as these codes).
NOT_RELEASABLE, RED, OTHER_AGENCY, AGENCIES = "rel_to", "red", "agency", "agencies"
RECIPIENTS = "recipients"
WHY = {
    NOT_RELEASABLE: N_("not releasable to {country}"),
    RED: N_("TLP:RED, which never leaves the node"),
    OTHER_AGENCY: N_("a record of {agency}, not of the liaison's agency"),
    AGENCIES: N_("restricted to agencies that leave out {requester}"),
    RECIPIENTS: N_("for named recipients that leave out the requesting users"),
}


@dataclass(frozen=True)
class Audience:
    """Who a release in answer to a request is for, and who makes it."""

    own_country: str
    partner_country: str
    requester_agency: str
    liaison_agency: str
    recipients: frozenset[str]  # user@COUNTRY, the requesting users


@dataclass(frozen=True)
class Approved:
    """The markings an originating agency approved for one record's copy, and who approved."""

    tlp: str
    handling: str
    by: str


@dataclass(frozen=True)
class Planned:
    """One record to release: the original, its copy's markings, and why (if at all) its
    originating agency must approve first."""

    row: Record
    markings: Markings
    why: tuple[str, ...]

    @property
    def agency(self) -> str:
        return self.row.originating_agency


def check_choice(tlp: str, handling: str) -> None:
    """Refuse a TLP or handling code no release may carry."""
    problems = []
    if tlp not in RELEASE_TLPS:
        problems.append(Problem(N_("Release under TLP:GREEN, TLP:AMBER or TLP:AMBER+STRICT."),
                                "/tlp"))  # fmt: skip
    if handling not in HANDLING_CODES:
        problems.append(Problem(N_("Unknown handling code {code}."), "/handling",
                                {"code": handling}))  # fmt: skip
    if problems:
        raise InvalidInput(problems)


def audience(session: Session, node: Node, who: Principal, rfi: Rfi) -> Audience:
    partner = session.get(Partner, rfi.partner_id)
    assert partner is not None
    names = [rfi.requester, *(r for r in rfi.recipients.split(",") if r)]
    return Audience(
        own_country=node.settings.country,
        partner_country=partner.country,
        requester_agency=rfi.requester_agency,
        liaison_agency=who.agency,
        recipients=frozenset(f"{name}@{partner.country}" for name in names),
    )


def why_text(code: str, agency: str, partner_country: str, requester_agency: str) -> Problem:
    """Why a record of ``agency`` waits for approval (``code`` from :data:`WHY`), as a message
    its reader sees in their language."""
    params = {"country": partner_country, "agency": agency, "requester": requester_agency}
    return Problem(WHY[code], "", params)


def _stricter(order: tuple[str, ...], first: str, second: str) -> str:
    return max(first, second, key=order.index)


def copy_markings(
    original: Markings,
    origin: str,
    to: Audience,
    tlp: str,
    handling: str,
    approved: Approved | None = None,
) -> Markings:
    """The markings of the copy of a record (``origin``'s) released under ``tlp`` and
    ``handling``: raised to the original's own unless its originating agency approved them."""
    handling_text = ""
    if approved is None:
        if original.tlp != "RED":  # a TLP:RED original is never released unapproved
            tlp = _stricter(TLP_LEVELS, tlp, original.tlp)
        handling = _stricter(HANDLING_CODES, handling, original.handling)
    else:
        tlp, handling = approved.tlp, approved.handling
    if handling == original.handling == "H3":
        handling_text = original.handling_text
    agencies: frozenset[str] = frozenset()
    if original.agencies and to.requester_agency in original.agencies:
        agencies = original.agencies  # the restriction carries over
    elif tlp == "AMBER+STRICT":
        agencies = frozenset({origin, to.liaison_agency, to.requester_agency})
    recipients = to.recipients
    if approved is not None and approved.by:
        # The approver reads (and may recall) the copy it let go.
        recipients |= {f"{approved.by}@{to.own_country}"}
    return Markings(
        tlp=tlp,
        rel_to=frozenset({to.own_country, to.partner_country}),
        agencies=agencies,
        handling=handling,
        handling_text=handling_text,
        reliability=original.reliability,
        credibility=original.credibility,
        recipients=recipients,
    )


def why_approval(row: Record, to: Audience) -> tuple[str, ...]:
    """Why releasing ``row`` to ``to`` needs its originating agency's approval; () if not."""
    original = markings_of(row)
    why = []
    named_there = any(country_of(r) == to.partner_country for r in original.recipients)
    if to.partner_country not in original.rel_to or (original.recipients and not named_there):
        # A record for named recipients of this node only never leaves it (the partner row).
        why.append(NOT_RELEASABLE)
    if original.tlp == "RED":
        why.append(RED)
    if row.originating_agency != to.liaison_agency:
        why.append(OTHER_AGENCY)
    if original.agencies and to.requester_agency not in original.agencies:
        why.append(AGENCIES)
    if original.recipients and not to.recipients <= original.recipients:
        # The copy is for the requesting users: the original's named recipients must all
        # include them (a record for recipients on this node alone never leaves it).
        why.append(RECIPIENTS)
    return tuple(why)


def check_strict(markings: Markings, to: Audience, pointer: str = "/tlp") -> None:
    if markings.tlp == "AMBER+STRICT" and (
        agency_countries().get(to.requester_agency) != to.partner_country
    ):
        raise InvalidInput([Problem(
            N_("TLP:AMBER+STRICT needs the requesting agency, and {agency} is unknown here."),
            pointer, {"agency": to.requester_agency})])  # fmt: skip


def plan(
    session: Session,
    who: Principal,
    to: Audience,
    record_ids: list[str],
    tlp: str,
    handling: str,
    approved: Mapping[str, Approved] | None = None,
) -> list[Planned]:
    """The copies releasing ``record_ids`` (this node's, current, visible to ``who``) would
    make, each with why it must wait for approval (none once ``approved`` covers it)."""
    check_choice(tlp, handling)
    ids = list(dict.fromkeys(r.strip() for r in record_ids if r.strip()))
    if len(ids) > MAX_RELEASED:
        raise InvalidInput([Problem(N_("Release at most {limit} records in one answer."),
                                    "/records", {"limit": MAX_RELEASED})])  # fmt: skip
    problems: list[Problem] = []
    planned: list[Planned] = []
    for index, stix_id in enumerate(ids):
        row = session.execute(
            select(Record).where(Record.stix_id == stix_id, Record.is_current.is_(True))
        ).scalar_one_or_none()
        usable = (
            row is not None
            and not row.received
            and not row.revoked
            and not row.recalled
            and gate.decide(facts_of(row), who.audience)
        )
        if row is None or not usable:
            problems.append(Problem(N_("No record {id} of this node that you may release."),
                                    f"/records/{index}", {"id": stix_id}))  # fmt: skip
            continue
        given = (approved or {}).get(stix_id)
        why = () if given is not None else why_approval(row, to)
        markings = copy_markings(markings_of(row), row.originating_agency, to, tlp, handling,
                                 given)  # fmt: skip
        planned.append(Planned(row, markings, why))
    if problems:
        raise InvalidInput(problems)
    for item in planned:
        if not item.why:
            check_strict(item.markings, to)
    return planned


def awaiting(planned: list[Planned], to: Audience) -> list[Problem]:
    """What the liaison is told of each record that must wait for approval."""
    return [
        Problem(
            N_("{name} needs the approval of {agency} before it is released: {why}."),
            f"/records/{index}",
            {
                "name": item.row.name or item.row.stix_id,
                "agency": item.agency,
                "why": explain(item.why, item.agency, to),
            },
        )
        for index, item in enumerate(planned)
        if item.why
    ]


def explain(why: tuple[str, ...], agency: str, to: Audience) -> Problem:
    """The reasons, each in the reader's language, joined (a message made of messages)."""
    parts = {f"r{i}": why_text(code, agency, to.partner_country, to.requester_agency)
             for i, code in enumerate(why)}  # fmt: skip
    return Problem("; ".join("{" + name + "}" for name in parts), "", parts)


def release(session: Session, node: Node, who: Principal, planned: list[Planned]) -> list[str]:
    """Make the copies (none may still wait for approval); their ids."""
    assert not any(item.why for item in planned)
    released = []
    for item in planned:
        row = item.row
        fields = builder.fields_of(row.kind, orjson.loads(row.content))
        # The copy is the originating agency's record, made by the liaison.
        maker = replace(who, agency=row.originating_agency)
        view = records.create(session, node.settings, maker, row.kind, fields, item.markings,
                              copy_of=row.stix_id)  # fmt: skip
        released.append(view.stix_id)
    return released
