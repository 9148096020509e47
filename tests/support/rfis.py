"""What the request-for-information tests share: a request Mexico sends, and records of three
United States agencies that a liaison must not release to Mexico on their own say.

The three records are the ones an outside probe saw laundered through an answer (issue 13,
leak 4): CBP's TLP:RED record, DEA's TLP:AMBER+STRICT record and INL's TLP:CLEAR record, all
REL TO USA only.
"""

from __future__ import annotations

from dataclasses import dataclass

from puente.accounts import service as accounts
from puente.node import Node
from puente.policy.markings import Markings
from puente.policy.roles import Principal
from puente.records import service as records
from tests.support.nodes import add_user

REQUEST = {"partner": "us-node", "title": "José Luis Hernández Peña",
           "question": "What do you hold on him?", "case_reference": "FGR/0042/2026",
           "legal_basis": "TAJM art. 1"}  # fmt: skip
WHY = "They describe the shipment the partner investigates."

USA_ONLY = {
    # name: (agency of its author, author, markings); the liaison "lia" (HSI) sees each one.
    "Rubí rojo": ("CBP", "cbp.red", Markings(
        tlp="RED", rel_to=frozenset({"USA"}), recipients=frozenset({"lia@USA"}),
        reliability="A", credibility=2)),
    "Ámbar estricto": ("DEA", "dea.strict", Markings(
        tlp="AMBER+STRICT", rel_to=frozenset({"USA"}), agencies=frozenset({"DEA", "HSI"}),
        handling="H2", reliability="B", credibility=3)),
    "Claro nacional": ("INL", "inl.clear", Markings(tlp="CLEAR", rel_to=frozenset({"USA"}))),
}  # fmt: skip


@dataclass
class Originals:
    ids: dict[str, str]  # record name -> stix id
    authors: dict[str, Principal]  # agency -> the analyst who wrote its record


def usa_only_records(node: Node) -> Originals:
    """The three USA-only records, each written by an analyst of its agency."""
    ids: dict[str, str] = {}
    authors: dict[str, Principal] = {}
    add_user(node, "lia", "HSI", ["liaison"])  # the red record's named recipient
    for name, (agency, username, markings) in USA_ONLY.items():
        author = authors[agency] = add_user(node, username, agency, ["analyst"])
        with node.db.session() as session:
            view = records.create(session, node.settings, author, "incident", {"name": name},
                                  markings)  # fmt: skip
        ids[name] = view.stix_id
    return Originals(ids, authors)


def headers_of(node: Node, who: Principal) -> dict[str, str]:
    """An API token of an existing user, as the Authorization header a client sends."""
    with node.db.session() as session:
        issued = accounts.create_token(session, who, who.username, "tests", 1)
    return {"Authorization": f"Bearer {issued.token}"}


def principal_of(node: Node, username: str) -> Principal:
    """An existing user, as the services take them."""
    with node.db.session() as session:
        return accounts.principal_for(accounts.get_user(session, username), node.settings)


def approve_all(node: Node, rfi_id: str) -> list[str]:
    """For each approval pending for ``rfi_id``, a user of the originating agency (an analyst
    before an admin) approves as proposed (what the agencies of a test agree to); the
    approvers' usernames."""
    from sqlalchemy import select

    from puente.accounts.models import User
    from puente.rfis import approvals, transport
    from puente.rfis.models import ReleaseApproval, ReleaseHold

    with node.db.session() as session:
        pending = session.execute(
            select(ReleaseApproval.id, ReleaseApproval.agency, ReleaseHold.asked_by)
            .join(ReleaseHold, ReleaseHold.id == ReleaseApproval.hold_id)
            .where(ReleaseApproval.rfi_id == rfi_id, ReleaseApproval.state == approvals.PENDING)
        ).all()
        users = sorted(session.execute(select(User)).scalars(),
                       key=lambda u: ("admin" in u.roles.split(","), u.id))  # fmt: skip
        approvers = {}
        for approval_id, agency, asked_by in pending:
            user = next(u for u in users if u.agency_code == agency and u.username != asked_by
                        and {"analyst", "admin"} & set(u.roles.split(",")))  # fmt: skip
            approvers[approval_id] = accounts.principal_for(user, node.settings)
    for approval_id, who in approvers.items():
        transport.decide(node, who, approval_id, approvals.Decision(True))
    return sorted({who.username for who in approvers.values()})
