"""Answering a request by releasing records to the named requesting users.

The liaison picks records of this node and the markings of the release; each becomes a
release copy: a new record with the same content, marked REL TO both countries, with the
requesting users as its named recipients (``user@COUNTRY``, see the egress gate) under the
TLP and handling the liaison chose. The original keeps its own markings, untouched, so the
originator's other readers are not affected; the copy travels to the partner through
federation like any record, and can be recalled like any record.
"""

from __future__ import annotations

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.errors import N_, InvalidInput, Problem
from puente.node import Node
from puente.policy import gate
from puente.policy.agencies import agency_countries
from puente.policy.markings import HANDLING_CODES, Markings
from puente.policy.roles import Principal
from puente.records import builder
from puente.records import service as records
from puente.records.models import Record
from puente.records.rows import facts_of
from puente.rfis.models import Rfi
from puente.sharing.models import Partner

RELEASE_TLPS = ("GREEN", "AMBER", "AMBER+STRICT")  # TLP:RED never leaves the node
MAX_RELEASED = 50


def release_markings(
    session: Session, node: Node, who: Principal, rfi: Rfi, tlp: str, handling: str
) -> Markings:
    """The markings every copy released in answer to ``rfi`` carries."""
    problems = []
    if tlp not in RELEASE_TLPS:
        problems.append(Problem(N_("Release under TLP:GREEN, TLP:AMBER or TLP:AMBER+STRICT."),
                                "/tlp"))  # fmt: skip
    if handling not in HANDLING_CODES:
        problems.append(Problem(N_("Unknown handling code {code}."), "/handling",
                                {"code": handling}))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    partner = session.get(Partner, rfi.partner_id)
    assert partner is not None
    agencies: frozenset[str] = frozenset()
    if tlp == "AMBER+STRICT":
        if agency_countries().get(rfi.requester_agency) != partner.country:
            raise InvalidInput([Problem(
                N_("TLP:AMBER+STRICT needs the requesting agency, and {agency} is unknown here."),
                "/tlp", {"agency": rfi.requester_agency})])  # fmt: skip
        agencies = frozenset({who.agency, rfi.requester_agency})
    names = [rfi.requester, *(r for r in rfi.recipients.split(",") if r)]
    return Markings(
        tlp=tlp,
        rel_to=frozenset({node.settings.country, partner.country}),
        agencies=agencies,
        handling=handling,
        recipients=frozenset(f"{name}@{partner.country}" for name in names),
    )


def release(
    session: Session, node: Node, who: Principal, record_ids: list[str], markings: Markings
) -> list[str]:
    """Release copies of ``record_ids`` (this node's, current, visible to ``who``); their ids."""
    if len(record_ids) > MAX_RELEASED:
        raise InvalidInput([Problem(N_("Release at most {limit} records in one answer."),
                                    "/records", {"limit": MAX_RELEASED})])  # fmt: skip
    problems: list[Problem] = []
    rows: list[Record] = []
    for index, stix_id in enumerate(dict.fromkeys(r.strip() for r in record_ids if r.strip())):
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
        else:
            rows.append(row)
    if problems:
        raise InvalidInput(problems)
    released = []
    for row in rows:
        fields = builder.fields_of(row.kind, orjson.loads(row.content))
        view = records.create(session, node.settings, who, row.kind, fields, markings)
        released.append(view.stix_id)
    return released
