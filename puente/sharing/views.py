"""HTML views of federation: partners and their sync status, and for each partner the
sharing ledger, the receipts and the quarantine; and "Sync now".

The pages read through :mod:`puente.sharing.ledger`, which checks the reader's role and passes
every record it names through the egress gate; pages that show records carry their markings
in the banner.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from puente.errors import N_
from puente.i18n import translate
from puente.policy.markings import Markings
from puente.records.kinds import KINDS
from puente.sharing import ledger, quarantine, sync
from puente.sharing import status as partner_state
from puente.sharing.status import FAILURE_LABELS, STATE_LABELS
from puente.web.deps import (
    NodeDep,
    PrincipalDep,
    PrincipalOutsideDep,
    SessionDep,
)
from puente.web.pages import page_locale, render

router = APIRouter(include_in_schema=False)

TABS = (
    ("status", "", N_("Status")),
    ("ledger", "/ledger", N_("Sharing ledger")),
    ("receipts", "/receipts", N_("Receipts")),
    ("quarantine", "/quarantine", N_("Quarantine")),
)


def duration(locale: str, delta: timedelta | None) -> str:
    """A lag as people say it: ``3 min``, ``2 h 5 min``, ``4 d 1 h``; ``never`` for None."""
    if delta is None:
        return translate(locale, N_("never synced"))
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return translate(locale, N_("under a minute"))
    minutes = seconds // 60
    if minutes < 60:
        return translate(locale, N_("{minutes} min"), minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return translate(locale, N_("{hours} h {minutes} min"), hours=hours, minutes=minutes)
    days, hours = divmod(hours, 24)
    return translate(locale, N_("{days} d {hours} h"), days=days, hours=hours)


def _url(path: str, params: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _lags(request: Request, statuses: list[partner_state.PartnerStatus]) -> dict[str, str]:
    locale = page_locale(request)
    return {s.node_id: duration(locale, s.lag) for s in statuses}


@router.get("/partners", response_class=HTMLResponse)
def partners_page(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    statuses = partner_state.partner_statuses(session, who, node.settings)
    return render(
        request,
        "partners.html",
        partners=statuses,
        lags=_lags(request, statuses),
        state_labels=STATE_LABELS,
        failure_labels=FAILURE_LABELS,
    )


def _partner_page(
    request: Request,
    status: partner_state.PartnerStatus,
    tab: str,
    markings: list[Markings] | None = None,
    http_status: int = 200,
    **context: Any,
) -> Response:
    return render(
        request,
        "partner.html",
        status=http_status,
        markings=markings or [],
        partner=status,
        lag=duration(page_locale(request), status.lag),
        state_labels=STATE_LABELS,
        failure_labels=FAILURE_LABELS,
        tab=tab,
        tabs=TABS,
        kinds=KINDS,
        **context,
    )


@router.get("/partners/{node_id}", response_class=HTMLResponse)
def partner_page(
    request: Request,
    node_id: str,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    status = partner_state.partner_status(session, who, node.settings, node_id)
    return _partner_page(request, status, "status")


@router.get("/partners/{node_id}/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request,
    node_id: str,
    *,
    after: str = "",
    acknowledged: str = "",
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    status = partner_state.partner_status(session, who, node.settings, node_id)
    acknowledged = acknowledged if acknowledged in ledger.ACK_FILTERS else ""
    page = ledger.ledger(
        session,
        who,
        node_id,
        after=int(after) if after.isdigit() else None,
        acknowledged=acknowledged,
    )
    base = f"/partners/{node_id}/ledger"
    params = [("acknowledged", acknowledged)] if acknowledged else []
    return _partner_page(
        request,
        status,
        "ledger",
        markings=[e.view.markings for e in page.entries],
        ledger=page,
        acknowledged=acknowledged,
        first_url=_url(base, params) if after else "",
        next_url=_url(base, [*params, ("after", str(page.next_after))]) if page.next_after else "",
    )


@router.get("/partners/{node_id}/receipts", response_class=HTMLResponse)
def receipts_page(
    request: Request,
    node_id: str,
    *,
    before: str = "",
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    status = partner_state.partner_status(session, who, node.settings, node_id)
    page = ledger.receipts(session, who, node_id, before=before.strip())
    base = f"/partners/{node_id}/receipts"
    return _partner_page(
        request,
        status,
        "receipts",
        receipts=page,
        first_url=base if before else "",
        next_url=_url(base, [("before", str(page.next_before))]) if page.next_before else "",
    )


@router.get("/partners/{node_id}/quarantine", response_class=HTMLResponse)
def quarantine_page(
    request: Request,
    node_id: str,
    *,
    before: str = "",
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    status = partner_state.partner_status(session, who, node.settings, node_id)
    page = quarantine.quarantine(
        session, who, node_id, before=int(before) if before.isdigit() else None
    )
    base = f"/partners/{node_id}/quarantine"
    return _partner_page(
        request,
        status,
        "quarantine",
        markings=[e.markings for e in page.entries if e.content is not None and e.markings],
        quarantine=page,
        first_url=base if before else "",
        next_url=_url(base, [("before", str(page.next_before))]) if page.next_before else "",
    )


@router.post("/partners/{node_id}/sync", response_class=HTMLResponse)
def sync_now(
    request: Request,
    node_id: str,
    node: NodeDep,
    who: PrincipalOutsideDep,
) -> Response:
    """Pull from the partner now and show what came, or why it could not."""
    outcome = sync.sync_now(node, who, node_id)
    locale = page_locale(request)
    message = error = ""
    if outcome.report is not None:
        report = outcome.report
        said = sync.summary(report)
        message = translate(
            locale,
            said.message,
            **said.params,
        )
    elif outcome.error is not None:
        exc = outcome.error
        error = translate(locale, exc.message, **exc.params)
    return _partner_page(request, outcome.status, "status", sync_message=message, sync_error=error)
