"""The joint action plan over the REST API (the pages' twin; errors are RFC 9457)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from puente.errors import N_, InvalidInput, Problem
from puente.node import Node
from puente.plan import reading, service, yaml_io
from puente.plan.schemas import ElementIn, TreeNodeOut, UpdateIn
from puente.policy.roles import require
from puente.web.deps import NodeDep, PrincipalDep, SessionDep, get_node
from puente.web.routing import api_router

router = api_router("/api/v1/plan", ["Joint action plan"])
YAML = "application/yaml"
# A plan file's outline; docs/plan-format.md and the import's refusals say the rest.
PLAN_FILE = {
    "type": "object", "description": "A plan file (docs/plan-format.md)", "required": ["format"],
    "properties": {"format": {"const": "puente-plan/1"}, **{
        part: {"type": "array", "items": {"type": "object"}} for part in
        ("elements", "updates", "indicators", "observations", "meetings")}},
}  # fmt: skip


@router.get("", response_model=list[TreeNodeOut], summary="The plan as a tree")
def tree(session: SessionDep, who: PrincipalDep) -> list[TreeNodeOut]:
    require(who, "records.read")
    return [TreeNodeOut.of(root) for root in reading.tree(session)]


@router.get("/export", summary="The whole plan as a plan file (docs/plan-format.md)",
            response_class=Response,
            responses={200: {"description": "A plan file", "content": {YAML: {
                "schema": PLAN_FILE}}}})  # fmt: skip
def export(session: SessionDep, who: PrincipalDep) -> Response:
    return Response(yaml_io.export(session, who), media_type=YAML,
                    headers={"Content-Disposition": 'attachment; filename="plan.yaml"'})  # fmt: skip


@router.post(
    "/import",
    summary="Bring the plan to what a plan file says, all or nothing",
    openapi_extra={"requestBody": {"required": True, "content": {YAML: {"schema": PLAN_FILE}}}},
)  # fmt: skip
async def import_file(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    body = await request.body()
    return await run_in_threadpool(_import, request, body)


def _import(request: Request, body: bytes) -> Response:
    from puente.web.deps import optional_principal
    from puente.web.deps import principal as signed_in

    node: Node = get_node(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput([Problem(N_("The plan file must be UTF-8 text."), "")]) from None
    with node.db.session() as session:
        who = signed_in(request, optional_principal(request, session, node, ""))
        report = yaml_io.import_plan(session, node, who, text)
    import orjson

    return Response(orjson.dumps(report.__dict__), media_type="application/json")


@router.put("/elements", summary="Create or change elements of this node's", status_code=200)
def save(
    body: list[ElementIn],
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> dict[str, list[str]]:
    ids = service.save_elements(session, node, who, [e.element() for e in body], base="")
    return {"ids": ids}


@router.post("/elements/{code}/updates", status_code=201, summary="Record progress")
def add_update(
    code: str,
    body: UpdateIn,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> dict[str, str]:
    stix_id = service.add_update(session, node, who, code, text=body.text,
                                 language=body.language, status=body.status,
                                 progress=body.progress, on=body.date)  # fmt: skip
    return {"id": stix_id}


@router.get("/gaps", summary="What the assessment must point out, rule by rule")
def gaps_list(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> list[dict[str, str]]:
    from puente.plan import gaps
    from puente.web.problems import locale_of

    require(who, "records.read")
    locale = locale_of(request)
    return [{"rule": g.rule, "subject": g.subject, "text": gaps.describe(g, locale),
             "link": g.link} for g in gaps.find_gaps(session, node)]  # fmt: skip
