"""REST routes for auditors: browse and verify the chain."""

from __future__ import annotations

import orjson
from fastapi import Query, Request

from puente.audit import checkpoints, service
from puente.audit.schemas import AuditEntryPublic, BreakPublic, VerifyPublic
from puente.db import MAX_KEY
from puente.i18n import translate
from puente.web.deps import NodeDep, PrincipalDep, SessionDep
from puente.web.routing import api_router

router = api_router("/api/v1/audit", ["audit"])


@router.get("", response_model=list[AuditEntryPublic], summary="Audit entries, newest first")
def entries(
    *,
    actor: str = "",
    action: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    before: int | None = Query(None, ge=1, le=MAX_KEY, description="entries before this seq"),
    limit: int = Query(50, ge=1, le=500),
    session: SessionDep,
    who: PrincipalDep,
) -> list[AuditEntryPublic]:
    rows = service.search(
        session,
        who,
        service.AuditFilter(actor, action, target, since, until),
        before,
        limit,
    )
    return [
        AuditEntryPublic(
            seq=r.seq,
            at=r.at,
            actor=r.actor,
            action=r.action,
            target=r.target,
            marking=r.marking,
            details=orjson.loads(r.details),
            hash=r.hash,
        )
        for r in rows
    ]


@router.get(
    "/verify",
    response_model=VerifyPublic,
    summary="Verify the hash chain and the signed checkpoints of it",
)
def verify(
    request: Request,
    session: SessionDep,
    who: PrincipalDep,
    node: NodeDep,
) -> VerifyPublic:
    report = service.verify(session, who, anchors=checkpoints.anchors(node.settings))
    locale = str(getattr(request.state, "locale", "en"))
    return VerifyPublic(
        ok=report.ok,
        entries=report.entries,
        breaks=[
            BreakPublic(seq=b.seq, problem=translate(locale, b.problem)) for b in report.breaks
        ],
        checkpoints=report.checkpoints,
        covered=report.covered,
        copies=report.copies,
        notes=[BreakPublic(seq=b.seq, problem=translate(locale, b.problem)) for b in report.notes],
        cannot_detect=[
            translate(locale, limit.message, **limit.params) for limit in service.limits(report)
        ],
    )
