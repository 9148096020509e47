"""Withdrawals: a new version that stops a partner from receiving a record it may hold.

The current version's markings govern the whole record (DESIGN.md, "Records and markings"):
once a record is tightened — TLP:RED, REL TO without the partner's country, agencies without
one of its own — the partner's collection offers none of its versions. A partner that pulled
an older version before the change still holds it, so it is told: the owner publishes a
signed withdrawal (a recall with the reason "markings tightened", :func:`recalls.withdraw`),
which travels in the partner's collection like any object, so a partner offline at the time
gets it at its next sync, purges every version it holds up to the one withdrawn, and
acknowledges. The record itself stays shareable: a later version marked for the partner flows
to it again, and is kept even when it arrives in the same page as the withdrawal.
"""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.config import Settings
from puente.policy import gate
from puente.policy.roles import Principal
from puente.records.models import Record
from puente.records.rows import LOOKUP_BATCH, facts_of
from puente.sharing import recalls
from puente.sharing.models import Partner
from puente.sharing.partners import PartnerPrincipal


def withdraw_tightened(
    session: Session, settings: Settings, writer: Principal, stix_ids: list[str]
) -> list[str]:
    """Withdraw each of these own records from every partner its new current version no
    longer releases it to, where an older version was releasable to that partner and has not
    been withdrawn already; the withdrawals' ids."""
    partners = list(session.execute(select(Partner).order_by(Partner.node_id)).scalars())
    if not partners:
        return []
    audiences = [(p, PartnerPrincipal(p.id, p.node_id, p.country).audience) for p in partners]
    published: list[str] = []
    for start in range(0, len(stix_ids), LOOKUP_BATCH):
        rows = session.execute(
            select(Record)
            .where(Record.stix_id.in_(stix_ids[start : start + LOOKUP_BATCH]))
            .where(Record.received.is_(False))
            .order_by(Record.stix_id, Record.modified_key)
        ).scalars()
        for stix_id, group in groupby(rows, key=lambda r: r.stix_id):
            versions = list(group)
            current = next((v for v in versions if v.is_current), None)
            if current is None or current.recalled:
                continue  # a recalled record was withdrawn from everyone already
            told: list[Partner] = []
            through = ""
            for partner, audience in audiences:
                if gate.decide(facts_of(current), audience):
                    continue
                held = [v.modified_key for v in versions
                        if not v.is_current and gate.decide(facts_of(v), audience)]  # fmt: skip
                if held and max(held) > recalls.withdrawn_through(session, partner, stix_id):
                    told.append(partner)
                    through = max(through, max(held))
            if told:
                published.append(
                    recalls.withdraw(session, settings, writer, stix_id, told, through)
                )
    return published
