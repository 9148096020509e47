"""REST routes for records under /api/v1 (thin: each calls one service function)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import StreamingResponse

from puente.db import MAX_KEY
from puente.errors import N_, InvalidInput, Problem, TooLarge
from puente.records import service
from puente.records.bundles import parse_bundle, stream_bundle
from puente.records.kinds import KINDS
from puente.records.marking import node_directory
from puente.records.schemas import (
    ImportResultPublic,
    RecordCreate,
    RecordPage,
    RecordPublic,
    RecordUpdate,
)
from puente.shapes import nul_problems
from puente.web.deps import NodeDep, PrincipalDep, SessionDep
from puente.web.problems import answers
from puente.web.routing import api_router

STIX = "application/stix+json;version=2.1"
router = api_router("/api/v1", ["records"])


@contextmanager
def fields_pointer() -> Iterator[None]:
    """Point form-field problems into the request body, where the fields sit under /fields."""
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput(
            [
                p
                if p.pointer.startswith(("/markings", "/kind")) or not p.pointer
                else Problem(p.message, "/fields" + p.pointer, p.params)
                for p in exc.problems
            ]
        ) from None


@router.get("/kinds", summary="The kinds of record and their fields")
def kinds() -> dict[str, Any]:
    return {
        name: {
            "stix_type": k.stix_type,
            "label": k.label,
            "fields": [
                {
                    "name": f.name,
                    "widget": f.widget,
                    "required": f.required,
                    "choices": list(f.choices),
                }
                for f in k.fields
            ],
        }
        for name, k in KINDS.items()
    }


@router.get("/extensions", summary="Puente's STIX 2.1 extension definitions")
def extensions() -> list[dict[str, Any]]:
    from puente.records.extensions import definitions

    return definitions()


@router.post("/records", status_code=201, response_model=RecordPublic, summary="Create a record")
def create_record(
    body: RecordCreate,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> RecordPublic:
    markings = body.markings.to_markings(
        node.settings.country, known=node_directory(session, node.settings)
    )
    with fields_pointer():
        view = service.create(session, node.settings, who, body.kind, body.fields, markings)
    return RecordPublic.of(view)


async def bundle_objects(request: Request, node: NodeDep) -> list[Any]:
    """Parse a STIX bundle body, explaining exactly where it is malformed."""
    limit = node.settings.limits.max_request_bytes
    if int(request.headers.get("content-length") or 0) > limit:
        raise TooLarge(N_("The request is larger than {limit} bytes."), limit=limit)
    raw = await request.body()
    if len(raw) > limit:
        raise TooLarge(N_("The request is larger than {limit} bytes."), limit=limit)
    objects = parse_bundle(raw, node.settings.limits.max_bundle_objects)
    # JSON writes a NUL only escaped: a bundle without the escape has none to look for.
    if b"\\u0000" in raw and (found := nul_problems(objects)):
        raise InvalidInput([Problem(p.message, "/objects" + p.pointer) for p in found])
    return objects


@router.post(
    "/bundles",
    status_code=201,
    response_model=ImportResultPublic,
    summary="Import a STIX 2.1 bundle (all or nothing)",
    responses=answers(409),
    # Read by bundle_objects, not by FastAPI: the document says what it takes.
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "required": ["type", "objects"], "properties": {
            "type": {"const": "bundle"}, "id": {"type": "string"},
            "objects": {"type": "array", "items": {"type": "object"},
                        "description": "STIX 2.1 objects (STIX 2.1 §8)"}}}}}}},
)  # fmt: skip
def import_bundle(
    *,
    objects: list[Any] = Depends(bundle_objects),
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> ImportResultPublic:
    result = service.import_objects(session, node.settings, who, objects)
    return ImportResultPublic(
        stored=result.stored,
        unchanged=result.unchanged,
        superseded=result.superseded,
        sha256=result.digest,
    )


@router.get("/records", response_model=RecordPage, summary="Search records")
def search_records(
    request: Request,
    *,
    q: str = Query("", description="words from names, aliases, descriptions, numbers"),
    kind: list[str] = Query([]),
    tlp: list[str] = Query([]),
    owner_node: str = "",
    modified_from: str = "",
    modified_to: str = "",
    related_to: str = "",
    after: int | None = Query(None, ge=0, le=MAX_KEY, description="a row's key (keyset)"),
    limit: int = Query(25, ge=1, le=200),
    session: SessionDep,
    who: PrincipalDep,
) -> RecordPage:
    page = service.search(
        session,
        who,
        service.SearchQuery(
            text=q,
            kinds=tuple(kind),
            tlp=tuple(tlp),
            owner_node=owner_node,
            modified_from=modified_from,
            modified_to=modified_to,
            related_to=related_to,
            after=after,
            limit=limit,
        ),
    )
    next_url = (
        str(request.url.include_query_params(after=page.next_after)) if page.next_after else None
    )
    return RecordPage(
        items=[RecordPublic.of(v) for v in page.items],
        next=next_url,
        banner=page.banner.banner() if page.banner else "",
    )


@router.get("/records/{stix_id}", response_model=RecordPublic, summary="Read a record")
def get_record(
    stix_id: str,
    *,
    version: str | None = None,
    session: SessionDep,
    who: PrincipalDep,
) -> RecordPublic:
    return RecordPublic.of(service.get(session, who, stix_id, version))


@router.get(
    "/records/{stix_id}/versions",
    response_model=list[RecordPublic],
    summary="Every version of a record",
)
def record_versions(
    stix_id: str,
    session: SessionDep,
    who: PrincipalDep,
) -> list[RecordPublic]:
    return [RecordPublic.of(v) for v in service.versions(session, who, stix_id)]


@router.get(
    "/records/{stix_id}/related",
    response_model=list[RecordPublic],
    summary="Records linked to a record",
)
def record_related(
    stix_id: str,
    session: SessionDep,
    who: PrincipalDep,
) -> list[RecordPublic]:
    return [RecordPublic.of(v) for v in service.related(session, who, stix_id)]


@router.put("/records/{stix_id}", response_model=RecordPublic, summary="New version (owner only)",
            responses=answers(409))  # fmt: skip
def update_record(
    stix_id: str,
    body: RecordUpdate,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> RecordPublic:
    markings = body.markings.to_markings(
        node.settings.country, known=node_directory(session, node.settings)
    )
    with fields_pointer():
        view = service.new_version(session, node.settings, who, stix_id, body.fields, markings)
    return RecordPublic.of(view)


@router.post(
    "/records/{stix_id}/revoke", response_model=RecordPublic, summary="Revoke (owner only)"
)
def revoke_record(
    stix_id: str,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> RecordPublic:
    return RecordPublic.of(service.revoke(session, node.settings, who, stix_id))


@router.get(
    "/export",
    summary="Export what you may see as a STIX 2.1 bundle",
    response_class=StreamingResponse,
    responses={200: {"description": "A STIX 2.1 bundle (STIX 2.1 §8)", "content": {STIX: {
        "schema": {"type": "object", "required": ["type", "id", "objects"], "properties": {
            "type": {"const": "bundle"}, "id": {"type": "string"},
            "objects": {"type": "array", "items": {"type": "object"}}}}}}}},
)  # fmt: skip
def export_bundle(
    *,
    kind: list[str] = Query([]),
    tlp: list[str] = Query([]),
    session: SessionDep,
    who: PrincipalDep,
) -> StreamingResponse:
    # The bundle is spooled (memory, then disk) inside the request's transaction, which
    # commits with its audit entry before the first byte leaves: a slow or vanished client
    # neither holds the database nor leaves a disclosure unaudited.
    query = service.SearchQuery(kinds=tuple(kind), tlp=tuple(tlp))
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    for chunk in stream_bundle(service.export(session, who, query)):
        spool.write(chunk)
    spool.seek(0)

    def body() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(65536):
                yield chunk

    return StreamingResponse(body(), media_type=STIX)


SPOOL_IN_MEMORY = 8 * 1024 * 1024
