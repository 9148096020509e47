"""Hit/no-hit over HTTP: the endpoints a partner node calls, and the ones an analyst calls.

Partner nodes sign in as for TAXII (HTTP Basic, their node id and secret); the query itself is
also signed with their pinned key. Analysts sign in as for the rest of the REST API (a bearer
token or the session). Errors are RFC 9457 problem details, as the REST API's.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Query, Request
from fastapi.responses import Response

from puente.db import MAX_KEY
from puente.errors import N_, Forbidden, InvalidInput, PuenteError
from puente.hits import answering, asking
from puente.hits import transport as hit_transport
from puente.hits.schemas import HitAnswerPublic, HitAsk
from puente.node import Node
from puente.sharing.collections import Requester
from puente.sharing.partners import PartnerPrincipal
from puente.web.deps import (
    NodeDep,
    PrincipalDep,
    PrincipalOutsideDep,
    RequesterDep,
    SessionDep,
    get_node,
    json_body,
    requester,
)
from puente.web.problems import answers, from_error, locale_of
from puente.web.routing import api_router

router = api_router("/api/v1/hits", ["Hit/no-hit"])


def _partner(who: Requester) -> PartnerPrincipal:
    if not isinstance(who, PartnerPrincipal):
        raise Forbidden(N_("Only partner nodes call this endpoint."))
    return who


def _json(data: dict[str, Any]) -> Response:
    return Response(orjson.dumps(data), 200, media_type="application/json",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


@router.get("/index", summary="A partner's copy of this node's index: what changed since",
            responses=answers(400))  # fmt: skip
def get_index(
    request: Request,
    *,
    since: int = Query(0, ge=0, le=MAX_KEY),
    seq: int | None = Query(None, ge=0, le=MAX_KEY, description="The refresh the first page named"),
    after: str = Query("", pattern="^([0-9a-f]{16})?$", description="The page before's next"),
    version: int = Query(
        1,
        ge=1,
        le=MAX_KEY,
        description="The match-key spec version (1 if "
        "absent); a version not served: 400, with spec_versions served",
    ),
    session: SessionDep,
    node: NodeDep,
    who: RequesterDep,
) -> Response:
    served = node.settings.hits.spec_versions
    try:
        return _json(answering.index_changes(session, _partner(who), since, seq=seq,
                                             after=bytes.fromhex(after), version=version,
                                             served=served))  # fmt: skip
    except answering.UnservedVersion as exc:
        return from_error(request, exc, extra={"spec_versions": exc.served})


@router.post(
    "/query",
    summary="Answer a partner's signed, blinded hit/no-hit query",
    responses=answers(429),
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "description": "A signed x-puente-hit-query "
                   "(docs/federation.md)"}}}}},
)  # fmt: skip
async def post_query(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    try:
        body = await json_body(request)
    except InvalidInput as exc:
        await run_in_threadpool(_refuse, request, None, exc)
        raise
    return await run_in_threadpool(_answer, request, body)


def _refuse(request: Request, body: Any, error: PuenteError) -> None:
    node: Node = get_node(request)
    with node.db.session() as session:
        answering.record_refusal(session, _partner(requester(request, session)), body, error)


def _answer(request: Request, body: Any) -> Response:
    node: Node = get_node(request)
    with node.db.session() as session:
        who = _partner(requester(request, session))
    try:
        with node.db.session() as session:
            return _json(answering.answer(session, node, who, body))
    except PuenteError as exc:
        with node.db.session() as session:
            answering.record_refusal(session, who, body, exc)
        raise


@router.post("/ask", response_model=HitAnswerPublic, summary="Ask a partner: hit or no hit",
             responses=answers(429, 503))  # fmt: skip
def ask(
    request: Request,
    body: HitAsk,
    node: NodeDep,
    who: PrincipalOutsideDep,
) -> HitAnswerPublic:
    """Hit or no hit for each subject, with the match-key types that hit.

    A plain function, run in the thread pool, with no unit of work of the request's: the query
    calls the partner and opens units of work of its own.
    """
    subjects = body.to_subjects(node.settings.hits.max_keys_per_query)
    answer = hit_transport.ask(node, who, body.partner, subjects, case_reference=body.case_reference,
                        legal_basis=body.legal_basis)  # fmt: skip
    return HitAnswerPublic.of(answer, locale_of(request))


@router.get("/queries", response_model=list[HitAnswerPublic], summary="Your recent queries")
def queries(
    request: Request,
    *,
    limit: int = Query(20, ge=1, le=200),
    session: SessionDep,
    who: PrincipalDep,
) -> list[HitAnswerPublic]:
    locale = locale_of(request)
    return [HitAnswerPublic.of(q, locale) for q in asking.sent_queries(session, who, limit)]


@router.get("/queries/{query_id}", response_model=HitAnswerPublic, summary="One of your queries")
def query(
    request: Request,
    query_id: str,
    session: SessionDep,
    who: PrincipalDep,
) -> HitAnswerPublic:
    return HitAnswerPublic.of(asking.sent_query(session, who, query_id), locale_of(request))
