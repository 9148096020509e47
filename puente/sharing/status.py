"""The partners page's read model: each partner, its sync state and whether it is late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puente.clock import as_utc, as_utc_or_none, now
from puente.config import Settings
from puente.errors import N_
from puente.policy.roles import Principal, require
from puente.sharing.models import Partner, Quarantined
from puente.sharing.partners import get_partner, list_partners

LATE_INTERVALS = 3  # a partner not synced for this many intervals is late
STATE_LABELS = {
    "ok": N_("Up to date"),
    "late": N_("Late"),
    "never": N_("Never synced"),
    "failing": N_("Failing"),
    "syncing": N_("Syncing now"),
    "disabled": N_("Disabled"),
}
# What went wrong in a pull (Partner.last_error_kind, written by puente.sharing.sync).
FAILURE_LABELS = {
    "unreachable": N_("Partner unreachable"),
    "http": N_("The partner answered with an error"),
    "page": N_("The partner served a page this node cannot read"),
    "quarantine": N_("Objects quarantined"),
    "internal": N_("An error in this node"),
}


@dataclass(frozen=True)
class PartnerStatus:
    """A partner and how pulling from it goes, as of ``at``."""

    node_id: str
    display_name: str
    country: str
    base_url: str
    key_prefix: str
    enabled: bool
    state: str  # disabled, syncing, failing, never, late, ok
    lag: timedelta | None  # since the last successful sync; None: never synced
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str
    last_error_kind: str  # a key of FAILURE_LABELS, "" if nothing ever failed
    last_error_at: datetime | None
    failures: int  # in a row
    failure_count: int  # every failed pull and every pull that quarantined objects
    cursor: str
    received_count: int
    quarantined: int
    created_at: datetime
    disabled_at: datetime | None


def _status(partner: Partner, quarantined: int, settings: Settings, at: datetime) -> PartnerStatus:
    last_success = as_utc_or_none(partner.last_success_at)
    lease_until = as_utc_or_none(partner.lease_until)
    lag = max(at - last_success, timedelta(0)) if last_success is not None else None
    late_after = timedelta(seconds=settings.sync.interval_seconds * LATE_INTERVALS)
    if not partner.enabled:
        state = "disabled"
    elif partner.lease_owner and lease_until is not None and lease_until > at:
        state = "syncing"
    elif partner.failures:
        state = "failing"
    elif lag is None:
        state = "never"
    elif lag > late_after:
        state = "late"
    else:
        state = "ok"
    return PartnerStatus(
        node_id=partner.node_id,
        display_name=partner.display_name,
        country=partner.country,
        base_url=partner.base_url,
        key_prefix=partner.public_key[:16],
        enabled=partner.enabled,
        state=state,
        lag=lag,
        last_attempt_at=as_utc_or_none(partner.last_attempt_at),
        last_success_at=last_success,
        next_attempt_at=as_utc_or_none(partner.next_attempt_at),
        last_error=partner.last_error,
        last_error_kind=partner.last_error_kind,
        last_error_at=as_utc_or_none(partner.last_error_at),
        failures=partner.failures,
        failure_count=partner.failure_count,
        cursor=partner.cursor,
        received_count=partner.received_count,
        quarantined=quarantined,
        created_at=as_utc(partner.created_at),
        disabled_at=as_utc_or_none(partner.disabled_at),
    )


def _quarantine_counts(session: Session, partner_ids: list[int]) -> dict[int, int]:
    if not partner_ids:
        return {}
    rows = session.execute(
        select(Quarantined.partner_id, func.count())
        .where(Quarantined.partner_id.in_(partner_ids))
        .group_by(Quarantined.partner_id)
    ).all()
    return {int(partner_id): int(count) for partner_id, count in rows}


def partner_statuses(
    session: Session, who: Principal, settings: Settings, at: datetime | None = None
) -> list[PartnerStatus]:
    """Every partner with its sync state and lag, by node id."""
    rows = list_partners(session, who)  # requires records.read
    counts = _quarantine_counts(session, [p.id for p in rows])
    moment = at or now()
    return [_status(p, counts.get(p.id, 0), settings, moment) for p in rows]


def partner_status(
    session: Session, who: Principal, settings: Settings, node_id: str, at: datetime | None = None
) -> PartnerStatus:
    require(who, "records.read")
    partner = get_partner(session, node_id)
    counts = _quarantine_counts(session, [partner.id])
    return _status(partner, counts.get(partner.id, 0), settings, at or now())
