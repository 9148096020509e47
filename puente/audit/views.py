"""HTML views for auditors: browse and filter the audit log, and verify its hash chain."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from puente.audit import checkpoints
from puente.audit import service as audit
from puente.web.deps import NodeDep, PrincipalDep, SessionDep
from puente.web.pages import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


def _details(text: str) -> str:
    data: Any = orjson.loads(text or "{}")
    if not data:
        return ""
    return "; ".join(f"{k}={v}" for k, v in data.items()) if isinstance(data, dict) else str(data)


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    *,
    actor: str = "",
    action: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    before: str = "",
    session: SessionDep,
    who: PrincipalDep,
) -> Response:
    flt = audit.AuditFilter(
        actor.strip(), action.strip(), target.strip(), since.strip(), until.strip()
    )
    rows = audit.search(session, who, flt, int(before) if before.isdigit() else None, PAGE_SIZE)
    next_url = ""
    if len(rows) == PAGE_SIZE:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "before"]
        next_url = "/audit?" + urlencode([*params, ("before", str(rows[-1].seq))])
    entries = [
        {
            "seq": r.seq,
            "at": r.at,
            "actor": r.actor,
            "action": r.action,
            "target": r.target,
            "marking": r.marking,
            "details": _details(r.details),
        }
        for r in rows
    ]
    return render(
        request,
        "audit.html",
        entries=entries,
        next_url=next_url,
        filters={
            "actor": actor,
            "action": action,
            "target": target,
            "since": since,
            "until": until,
        },
    )


@router.get("/audit/verify", response_class=HTMLResponse)
def verify_chain(
    request: Request,
    session: SessionDep,
    who: PrincipalDep,
    node: NodeDep,
) -> Response:
    report = audit.verify(session, who, anchors=checkpoints.anchors(node.settings))
    return render(request, "audit_verify.html", report=report, limits=audit.limits(report),
                  copies=report.copies)  # fmt: skip
