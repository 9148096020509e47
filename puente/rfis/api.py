"""Requests for information over the REST API (the web UI's twin; errors are RFC 9457)."""

from __future__ import annotations

from typing import Literal

import orjson
from fastapi import Query, Request
from fastapi.responses import Response

from puente.errors import N_, Forbidden
from puente.rfis import approvals, candidates, messages, reports, service, transport
from puente.rfis.schemas import (
    ApprovalOut,
    DecisionIn,
    RefusalIn,
    RfiAction,
    RfiCreate,
    RfiOut,
    RfiSummaryOut,
    TimelinessOut,
)
from puente.sharing.partners import PartnerPrincipal
from puente.web.deps import (
    NodeDep,
    PrincipalDep,
    PrincipalOutsideDep,
    RequesterDep,
    SessionDep,
)
from puente.web.problems import answers, locale_of
from puente.web.routing import api_router

router = api_router("/api/v1/rfis", ["Requests for information"])
Direction = Literal["outgoing", "incoming"]


@router.get("", response_model=list[RfiSummaryOut], summary="Requests sent or received")
def list_rfis(
    *,
    direction: Direction = "outgoing",
    state: str = "",
    overdue: bool = False,
    session: SessionDep,
    who: PrincipalDep,
) -> list[RfiSummaryOut]:
    items = reports.listing(session, who, direction, state=state, overdue_only=overdue)
    return [RfiSummaryOut(**item.__dict__) for item in items]


@router.get(
    "/timeliness", response_model=TimelinessOut, summary="How promptly requests are answered"
)
def timeliness(
    *,
    direction: Direction = Query("incoming", description="incoming: how this node answers"),
    session: SessionDep,
    who: PrincipalDep,
) -> TimelinessOut:
    return TimelinessOut(**reports.timeliness(session, who, direction).as_json())


@router.get("/messages", summary="For partner nodes: messages about requests, since a cursor")
def pending_messages(*, since: str = "", session: SessionDep, who: RequesterDep) -> Response:
    """What this node could not post to the partner (it was down, or serves no inbox): the
    partner fetches it with each sync. Asking from a cursor acknowledges what came before."""
    if not isinstance(who, PartnerPrincipal):
        raise Forbidden(N_("Only partner nodes call this endpoint."))
    body = messages.messages_for(session, who, since)
    return Response(orjson.dumps(body), media_type="application/json",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


@router.get(
    "/approvals",
    response_model=list[ApprovalOut],
    summary="Releases awaiting your agency's approval (the originating agency's inbox)",
)
def approval_inbox(
    request: Request,
    *,
    state: Literal["pending", "approved", "refused", "cancelled", ""] = Query(
        "pending", description="Empty: every state"
    ),
    session: SessionDep,
    who: PrincipalDep,
) -> list[ApprovalOut]:
    locale = locale_of(request)
    return [ApprovalOut.of(a, locale) for a in approvals.inbox(session, who, state)]


@router.get("/approvals/{approval_id}", response_model=ApprovalOut, summary="One approval")
def approval(request: Request, approval_id: str, session: SessionDep,
             who: PrincipalDep) -> ApprovalOut:  # fmt: skip
    return ApprovalOut.of(approvals.get(session, who, approval_id), locale_of(request))


def _decided(request: Request, node: NodeDep, who: PrincipalOutsideDep, approval_id: str,
             decision: approvals.Decision) -> ApprovalOut:  # fmt: skip
    transport.decide(node, who, approval_id, decision)
    with node.db.session() as session:
        return ApprovalOut.of(approvals.get(session, who, approval_id), locale_of(request))


@router.post("/approvals/{approval_id}/approve", response_model=ApprovalOut, responses=answers(409),
             summary="Approve a release (optionally with other markings for the copy)")  # fmt: skip
def approve(request: Request, approval_id: str, body: DecisionIn, node: NodeDep,
            who: PrincipalOutsideDep) -> ApprovalOut:  # fmt: skip
    decision = approvals.Decision(True, body.tlp, body.handling, body.note)
    return _decided(request, node, who, approval_id, decision)


@router.post("/approvals/{approval_id}/refuse", response_model=ApprovalOut, responses=answers(409),
             summary="Refuse a release, saying why: the answer stays home")  # fmt: skip
def refuse(request: Request, approval_id: str, body: RefusalIn, node: NodeDep,
           who: PrincipalOutsideDep) -> ApprovalOut:  # fmt: skip
    decision = approvals.Decision(False, note=body.reason)
    return _decided(request, node, who, approval_id, decision)


@router.post("", response_model=RfiOut, status_code=201, summary="Ask a partner for information")
def create(
    body: RfiCreate,
    node: NodeDep,
    who: PrincipalOutsideDep,
) -> RfiOut:
    """A plain function with no unit of work of the request's: sending calls the partner."""
    new = body.new_request()
    if new.hit_query_id:
        with node.db.session() as session:
            candidates.attach_hit(session, who, new, str(body.subject))
    rfi_id = transport.create(node, who, new)
    with node.db.session() as session:
        return RfiOut.of(reports.detail(session, who, rfi_id, audit_read=False))


@router.get("/{rfi_id}", response_model=RfiOut, summary="One request with its history")
def get_rfi(request: Request, rfi_id: str, session: SessionDep, who: PrincipalDep) -> RfiOut:
    return RfiOut.of(reports.detail(session, who, rfi_id), locale_of(request))


@router.post(
    "/{rfi_id}/{action}",
    response_model=RfiOut,
    summary="Send, withdraw, assign, answer or decline",
    responses={
        202: {"model": RfiOut, "description": "The answer waits for approvals"},
        **answers(409),
    },
)
def act(
    request: Request,
    response: Response,
    rfi_id: str,
    action: str,
    body: RfiAction,
    node: NodeDep,
    who: PrincipalOutsideDep,
) -> RfiOut:
    """An answer releasing a record its originating agency must approve first is held: 202,
    with the approvals it waits for; nothing goes to the partner until they are given."""
    given = service.AnswerInput(body.answer, body.records, body.tlp, body.handling,
                                body.release_reason)  # fmt: skip
    transport.perform(node, who, rfi_id, service.Move(action, body.reason, body.assignee, given))
    with node.db.session() as session:
        found = reports.detail(session, who, rfi_id, audit_read=False)
    if action == "answer" and any(a.state == approvals.PENDING for a in found.approvals):
        response.status_code = 202
    return RfiOut.of(found, locale_of(request))
