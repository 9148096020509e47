"""The demo's requests for information: a few each way, in the states a real desk would show.

Made through the same service the web pages use, with both demo nodes running, so each one
crosses the federation link as a signed message and both nodes hold it in the same state.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import func, select

from puente.accounts import service as accounts
from puente.demo.logins import cast_for
from puente.node import Node
from puente.policy import gate
from puente.policy.roles import PERMISSIONS, Principal
from puente.records import builder
from puente.records.models import Record
from puente.records.rows import facts_of
from puente.rfis import approvals, service, transport
from puente.rfis.models import ReleaseApproval, Rfi


@dataclass(frozen=True)
class HeldPerson:
    stix_id: str
    name: str
    fields: dict[str, str]
    agency: str  # its originating agency


def _who(node: Node, username: str) -> Principal:
    with node.db.session() as session:
        return accounts.principal_for(accounts.get_user(session, username), node.settings)


def searchable_person(node: Node, liaison: Principal, partner_country: str) -> HeldPerson | None:
    """A person this node holds that the partner may search and ``liaison`` may release: one
    with both surnames and a full date of birth, as an analyst across the border would ask.
    Not one of the liaison's own agency that would need its approval: no other user of that
    agency is in the demo to give it."""
    with node.db.session() as session:
        rows = session.execute(
            select(Record)
            .where(
                Record.kind == "person", Record.is_current.is_(True),
                Record.received.is_(False), Record.revoked.is_(False),
                Record.searchable_by.contains(f",{partner_country},"),
            )
            .order_by(Record.stix_id)
        ).scalars()  # fmt: skip
        for row in rows:
            fields = builder.fields_of("person", orjson.loads(row.content))
            complete = len(fields.get("date_of_birth", "")) == 10 and fields.get("maternal_surname")
            own_held = row.originating_agency == liaison.agency and (
                f",{partner_country}," not in row.rel_to or row.tlp == "RED"
            )
            if complete and not own_held and gate.decide(facts_of(row), liaison.audience):
                return HeldPerson(row.stix_id, row.name, fields, row.originating_agency)
    return None


def approver(country: str, agency: str) -> str:
    """The demo user who approves releasing ``agency``'s records: one of it who may write
    records, never the liaison who asks ("" if the demo has none)."""
    cast = cast_for(country)
    found = [
        login.username for login in cast.logins
        if login.agency == agency and login.role in PERMISSIONS["records.write"]
        and login.username != cast.liaison
    ]  # fmt: skip
    return found[0] if found else ""


def _approve(node: Node, rfi_id: str) -> None:
    """The originating agencies of what an answer releases approve it as proposed (the demo's
    agencies agree)."""
    with node.db.session() as session:
        pending = session.execute(
            select(ReleaseApproval.id, ReleaseApproval.agency).where(
                ReleaseApproval.rfi_id == rfi_id, ReleaseApproval.state == approvals.PENDING
            )
        ).all()
    for approval_id, agency in pending:
        who = _who(node, approver(node.settings.country, agency))
        transport.decide(node, who, approval_id, approvals.Decision(True))


def _ask(node: Node, who: Principal, partner: str, title: str, question: str, case: str,
         basis: str, priority: str = "routine") -> str:  # fmt: skip
    new = service.NewRequest(partner=partner, title=title, question=question,
                             case_reference=case, legal_basis=basis, priority=priority)  # fmt: skip
    return transport.create(node, who, new)


def seed_requests(us: Node, mx: Node) -> int:
    """Five requests between the two demo nodes (none if they hold some already)."""
    with mx.db.session() as session:
        if session.execute(select(func.count()).select_from(Rfi)).scalar_one():
            return 0
    us_liaison, mx_liaison = _who(us, "hsi.liaison"), _who(mx, "fgr.enlace")
    mx_basis = "Tratado de Asistencia Jurídica Mutua México–EUA, art. 1"
    us_basis = "US–Mexico MLAT, art. 1; 18 U.S.C. § 924"
    held = searchable_person(us, us_liaison, "MEX")
    if held is not None:
        answered = _ask(mx, _who(mx, "fgr.analista"), "us-demo", f"{held.name}, "
                        f"{held.fields['date_of_birth']}", "Investigamos una red de trasiego de "
                        "fentanilo por Nogales. ¿Qué registros tienen de esta persona?",
                        "FGR/FED/UEIDCS/0087/2026", mx_basis)  # fmt: skip
        transport.answer(us, us_liaison, answered, service.AnswerInput(
            "We hold one record on this person; released to you under TLP:AMBER, H2.",
            [held.stix_id], "AMBER", "H2", "FGR investigates the shipment this person drove; "
            "the record says when and where he crossed."))  # fmt: skip
        _approve(us, answered)
    reviewed = _ask(mx, _who(mx, "anam.analista"), "us-demo",
                    "Cruces del tractocamión placas 94-AK-7R (Sonora)",
                    "¿Registran cruces de este tractocamión por Nogales-Mariposa en 2026?",
                    "ANAM/ACOA/0312/2026", mx_basis, "priority")  # fmt: skip
    transport.assign(us, us_liaison, reviewed, "")
    declined = _ask(mx, _who(mx, "gn.analista"), "us-demo", "Registros bancarios de una empresa "
                    "fachada en Laredo", "Solicitamos estados de cuenta de la empresa.",
                    "GN/UI/0045/2026", mx_basis, "urgent")  # fmt: skip
    transport.decline(us, us_liaison, declined, "Bank records need a formal MLAT request through "
                    "the Office of International Affairs; this channel cannot carry them.")  # fmt: skip
    _ask(us, _who(us, "cbp.analyst"), "mx-demo", "Owner of a tractor-trailer seized at Otay Mesa",
         "Who is the registered owner of Baja California plate AH-5521-B?",
         "CBP/OFO/SDFO/2026-0193", us_basis)  # fmt: skip
    traced = _ask(us, _who(us, "atf.analyst"), "mx-demo", "Recovery of a traced rifle in "
                  "Culiacán", "Can you confirm where and when this rifle was recovered?",
                  "ATF/FIU/2026-0412", us_basis)  # fmt: skip
    transport.answer(mx, mx_liaison, traced, service.AnswerInput(
        "Asegurado el 14 de octubre de 2026 en Culiacán, Sinaloa, en un cateo de la FGR; "
        "la carpeta de investigación sigue abierta."))  # fmt: skip
    return 5 if held is not None else 4
