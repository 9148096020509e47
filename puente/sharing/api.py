"""TAXII 2.1 over HTTP: one route per endpoint of the specification, each citing its section.

Routes parse the request, check the media types (§3.1) and who is asking (§1.6.9), and call
:mod:`puente.sharing.taxii`; errors become the TAXII error message resource (§3.6.1) in the
requester's language. Partners sign in with HTTP Basic (their node id and secret); users of
this node with an API token, as Bearer or as the password of HTTP Basic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from puente.errors import N_, PuenteError
from puente.i18n import translate
from puente.node import Node
from puente.sharing import taxii
from puente.sharing.query import Filters, parse_filters
from puente.web.deps import (
    NodeDep,
    RequesterDep,
    SessionDep,
    json_body,
    requester,
)

MEDIA_TYPE = taxii.MEDIA_TYPE
REALM = 'Basic realm="Puente TAXII 2.1"'
STATUS = {
    "invalid-input": 400,  # §3.4: a malformed parameter is a 400
    "not-found": 404,
    "forbidden": 403,
    "unauthenticated": 401,
    "conflict": 409,
    "too-large": 413,
    "locked": 401,
    "config": 500,
    "unavailable": 503,
    "error": 400,
}
TITLES = {
    400: N_("The request is not valid"),
    401: N_("Authentication required"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    406: N_("Not acceptable"),
    409: N_("Conflict"),
    413: N_("Too large"),
    415: N_("Unsupported media type"),
    422: N_("The objects could not be processed"),
    500: N_("Node misconfigured"),
    503: N_("Partner unavailable"),
}

HTTP_MESSAGES = {
    404: N_("There is no TAXII endpoint at this address."),
    405: N_("This endpoint does not take this method; the Allow header lists those it takes."),
}

router = APIRouter(prefix="/taxii2", tags=["TAXII 2.1"])


class MediaTypeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def _locale(request: Request) -> str:
    return str(getattr(request.state, "locale", "en"))


def error_response(
    request: Request,
    status: int,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    **params: Any,
) -> Response:
    """§3.6.1 error message resource; http_status is a string, as the section requires.

    Built whole, then sent: Response sets Content-Length from this very body."""
    locale = _locale(request)
    body: dict[str, Any] = {
        "title": translate(locale, TITLES.get(status, TITLES[400])),
        "description": translate(locale, message, **params),
        "http_status": str(status),
    }
    if details:
        body["details"] = details
    extra = dict(headers or {})
    if status == 401:
        extra["WWW-Authenticate"] = REALM
    return Response(orjson.dumps(body), status, media_type=MEDIA_TYPE, headers=extra or None)


def from_error(request: Request, exc: PuenteError) -> Response:
    status = STATUS.get(exc.kind, 400)
    problems = exc.problems
    details = None
    if len(problems) > 1 or problems[0].pointer:
        locale = _locale(request)
        details = {
            "errors": [
                {"where": p.pointer, "message": translate(locale, p.message, **p.params)}
                for p in problems
            ]
        }
    return error_response(request, status, problems[0].message, details, **problems[0].params)


def from_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Routing's own errors on a TAXII path (no such endpoint, a method it does not take), as
    TAXII error messages; a 405 keeps the Allow header routing set (RFC 9110 §15.5.6)."""
    message = HTTP_MESSAGES.get(exc.status_code, N_("The request is not valid"))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    return error_response(request, exc.status_code, message, headers=headers)


def _allowed_methods(request: Request) -> set[str]:
    """Every method some TAXII route takes at this path: routing names only the first route's,
    and §5.4 and §5.5 (GET and POST of objects) are two routes."""
    methods: set[str] = set()
    for route in router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return methods


# -- §3.1 media types --------------------------------------------------------------------------


def _ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for item in header.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        values = dict(p.partition("=")[::2] for p in params if "=" in p)
        ranges.append((kind.lower(), {k.strip().lower(): v.strip() for k, v in values.items()}))
    return ranges


def _is_taxii(kind: str, params: dict[str, str], also: tuple[str, ...] = ()) -> bool:
    # A missing version means "the latest the server supports" (§1.6.8.2): 2.1 here.
    return kind in ("application/taxii+json", *also) and params.get("version", "2.1") == "2.1"


def check_accept(request: Request, also: tuple[str, ...] = ()) -> None:
    """406 only when no acceptable TAXII media range is offered (§3.1)."""
    header = request.headers.get("accept", "")
    if not header:
        return
    for kind, params in _ranges(header):
        if params.get("q", "1") in ("0", "0.0", "0.00", "0.000"):
            continue
        if kind in ("*/*", "application/*") or _is_taxii(kind, params, also):
            return
    raise MediaTypeError(406, N_("This server answers in application/taxii+json;version=2.1."))


def accept_taxii(request: Request) -> None:
    check_accept(request)


def accept_manifest(request: Request) -> None:
    # §5.3 lists application/stix+json;version=2.1 beside the TAXII type.
    check_accept(request, ("application/stix+json",))


def check_content_type(request: Request) -> None:
    kinds = _ranges(request.headers.get("content-type", ""))
    if not kinds or not _is_taxii(*kinds[0]):
        raise MediaTypeError(
            415, N_("Send the objects as application/taxii+json;version=2.1 (a TAXII envelope).")
        )


def _filters(request: Request, allowed: tuple[str, ...], default_version: str = "last") -> Filters:
    return parse_filters(request.query_params.multi_items(), allowed, default_version)


def _json(data: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type=MEDIA_TYPE)


def _served(served: taxii.Served) -> Response:
    headers = {}
    if served.first:  # §3.2, on the four GET endpoints that return objects or versions
        headers = {"X-TAXII-Date-Added-First": served.first, "X-TAXII-Date-Added-Last": served.last}
    return Response(served.body, 200, media_type=MEDIA_TYPE, headers=headers)


PAGED = ("added_after", "limit", "next", "match[spec_version]")
OBJECTS = (*PAGED, "match[id]", "match[type]", "match[version]")

# -- §4 server and API root --------------------------------------------------------------------


@router.get("/", summary="§4.1 Server Discovery", dependencies=[Depends(accept_taxii)])
def server_discovery(who: RequesterDep, node: NodeDep) -> Response:
    return _json(taxii.discovery(node))


@router.get("/api/", summary="§4.2 Get API Root Information", dependencies=[Depends(accept_taxii)])
def get_api_root(who: RequesterDep, node: NodeDep) -> Response:
    return _json(taxii.api_root(node))


@router.get(
    "/api/status/{status_id}/", summary="§4.3 Get Status", dependencies=[Depends(accept_taxii)]
)
def get_status(status_id: str, session: SessionDep, who: RequesterDep) -> Response:
    return _json(taxii.get_status(session, who, status_id))


# -- §5 collections ----------------------------------------------------------------------------


@router.get(
    "/api/collections/", summary="§5.1 Get Collections", dependencies=[Depends(accept_taxii)]
)
def get_collections(session: SessionDep, who: RequesterDep, node: NodeDep) -> Response:
    return _json(taxii.collections(session, node, who))


@router.get(
    "/api/collections/{collection_id}/",
    summary="§5.2 Get a Collection",
    dependencies=[Depends(accept_taxii)],
)
def get_collection(
    collection_id: str, session: SessionDep, who: RequesterDep, node: NodeDep
) -> Response:
    return _json(taxii.collection(session, node, who, collection_id))


@router.get(
    "/api/collections/{collection_id}/manifest/",
    summary="§5.3 Get Object Manifests",
    dependencies=[Depends(accept_manifest)],
)
def get_manifest(
    collection_id: str,
    request: Request,
    session: SessionDep,
    who: RequesterDep,
    node: NodeDep,
) -> Response:
    filters = _filters(request, OBJECTS)
    return _served(taxii.get_manifest(session, node, who, collection_id, filters))


@router.get(
    "/api/collections/{collection_id}/objects/",
    summary="§5.4 Get Objects",
    dependencies=[Depends(accept_taxii)],
)
def get_objects(
    collection_id: str,
    request: Request,
    session: SessionDep,
    who: RequesterDep,
    node: NodeDep,
) -> Response:
    filters = _filters(request, OBJECTS)
    return _served(taxii.get_objects(session, node, who, collection_id, filters))


@router.post(
    "/api/collections/{collection_id}/objects/",
    summary="§5.5 Add Objects",
    status_code=202,
    dependencies=[Depends(accept_taxii), Depends(check_content_type)],
)
async def add_objects(collection_id: str, request: Request) -> Response:
    # The body is read here, on the event loop; the database work runs in the thread pool.
    from starlette.concurrency import run_in_threadpool

    envelope = await json_body(request)
    return await run_in_threadpool(_add_objects, request, collection_id, envelope)


def _add_objects(request: Request, collection_id: str, envelope: Any) -> Response:
    node: Node = request.app.state.node
    locale = _locale(request)

    def say(message: str, **params: Any) -> str:
        return translate(locale, message, **params)

    with node.db.session() as session:
        who = requester(request, session)
        status = taxii.add_objects(session, node, who, collection_id, envelope, say)
    return _json(status, 202)


@router.get(
    "/api/collections/{collection_id}/objects/{object_id}/",
    summary="§5.6 Get an Object",
    dependencies=[Depends(accept_taxii)],
)
def get_object(
    collection_id: str,
    object_id: str,
    request: Request,
    session: SessionDep,
    who: RequesterDep,
    node: NodeDep,
) -> Response:
    filters = _filters(request, (*PAGED, "match[version]"))
    return _served(taxii.get_object(session, node, who, collection_id, object_id, filters))


@router.delete(
    "/api/collections/{collection_id}/objects/{object_id}/",
    summary="§5.7 Delete an Object",
    dependencies=[Depends(accept_taxii)],
)
def delete_object(
    collection_id: str,
    object_id: str,
    request: Request,
    session: SessionDep,
    who: RequesterDep,
    node: NodeDep,
) -> Response:
    # §5.7 takes match[version] and match[spec_version]; without match[version], every version.
    filters = _filters(request, ("match[version]", "match[spec_version]"), default_version="all")
    taxii.delete_object(session, node, who, collection_id, object_id, filters)
    return Response(b"", 200, media_type=MEDIA_TYPE)


@router.get(
    "/api/collections/{collection_id}/objects/{object_id}/versions/",
    summary="§5.8 Get Object Versions",
    dependencies=[Depends(accept_taxii)],
)
def get_object_versions(
    collection_id: str,
    object_id: str,
    request: Request,
    session: SessionDep,
    who: RequesterDep,
    node: NodeDep,
) -> Response:
    filters = _filters(request, PAGED, default_version="all")
    return _served(taxii.get_versions(session, node, who, collection_id, object_id, filters))
