"""Errors as RFC 9457 problem details, in the caller's language, naming the offending field."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from puente import shapes
from puente.errors import N_, PuenteError
from puente.i18n import translate

STATUS = {
    "invalid-input": 422,
    "not-found": 404,
    "forbidden": 403,
    "unauthenticated": 401,
    "conflict": 409,
    "too-large": 413,
    "locked": 423,
    "config": 500,
    "unavailable": 503,
    "busy": 503,
    "quota": 429,
    "error": 400,
}
TITLES = {
    "invalid-input": N_("The input is not valid"),
    "not-found": N_("Not found"),
    "forbidden": N_("Not allowed"),
    "unauthenticated": N_("Sign-in required"),
    "conflict": N_("Conflict"),
    "too-large": N_("Too large"),
    "locked": N_("Account locked"),
    "config": N_("Node misconfigured"),
    "unavailable": N_("Partner unavailable"),
    "busy": N_("Node busy"),
    "quota": N_("Quota used up"),
    "error": N_("Bad request"),
}
MEDIA_TYPE = "application/problem+json"
HTTP_REFUSALS = {
    404: N_("There is nothing at this address of the API."),
    405: N_("This address of the API does not take this method."),
}


class ProblemError(BaseModel):
    """One thing wrong with the request."""

    model_config = ConfigDict(populate_by_name=True)

    detail: str = Field(description="What is wrong, in the caller's language")
    pointer: str = Field(description="Where: an RFC 6901 JSON pointer; empty for the whole")
    # Present or absent, never null.
    in_: str | SkipJsonSchema[None] = Field(
        None, alias="in", description="body, query, path or header, when a parameter's"
    )
    line: int | SkipJsonSchema[None] = Field(
        None, description="For a body that is not JSON: the line where it stops being JSON"
    )
    column: int | SkipJsonSchema[None] = Field(None, description="and the column")


class Problem(BaseModel):
    """An RFC 9457 problem, with every error found."""

    type: str = Field(description="urn:puente:problem:<kind>")
    title: str
    status: int
    detail: str = Field(description="The first error's detail")
    instance: str = Field(description="The path asked for")
    errors: list[ProblemError]


def _answer(description: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {MEDIA_TYPE: {"schema": ref}}}


DESCRIPTIONS = {
    400: "A request the node does not serve (an index in a spec version it does not serve)",
    401: "Sign-in required: no valid API token or session",
    403: "Not allowed to the caller's roles",
    404: "Nothing there that the caller may see",
    409: "In conflict with what is stored (a revoked record, a decision already taken)",
    413: "The request is larger than the node's limit",
    422: "The input is not valid: each error names its field",
    429: "A daily quota is used up",
    503: "The partner node could not be reached, or did not answer as it should",
}


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The refusals a route may answer besides those of :data:`RESPONSES`, for its document."""
    return {status: _answer(DESCRIPTIONS[status]) for status in statuses}


# What every route of the REST API may answer besides its success, for its OpenAPI document
# (components of :func:`schemas`): each an RFC 9457 problem. A route that takes a body adds
# 413 (puente.web.routing); one that may answer another refusal says so with :func:`answers`.
RESPONSES = answers(401, 403, 404, 422)


def schemas() -> dict[str, Any]:
    """The OpenAPI components :data:`RESPONSES` refers to."""
    found = Problem.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
    defined: dict[str, Any] = found.pop("$defs", {})
    return {**defined, "Problem": found}


def locale_of(request: Request) -> str:
    return str(getattr(request.state, "locale", "en"))


def problem(
    request: Request,
    kind: str,
    detail: str,
    errors: list[dict[str, Any]],
    status: int | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem response; ``extra``: members of the edge's own (RFC 9457 extensions) that
    a program reads, e.g. the versions a node serves."""
    locale = locale_of(request)
    code = status or STATUS.get(kind, 400)
    body = {
        "type": f"urn:puente:problem:{kind}",
        "title": translate(locale, TITLES.get(kind, TITLES["error"])),
        "status": code,
        "detail": detail,
        "instance": request.url.path,
        "errors": errors,
        **(extra or {}),
    }
    headers = {"WWW-Authenticate": 'Bearer realm="puente"'} if code == 401 else None
    return JSONResponse(body, status_code=code, media_type=MEDIA_TYPE, headers=headers)


def from_error(
    request: Request, exc: PuenteError, extra: dict[str, Any] | None = None
) -> JSONResponse:
    locale = locale_of(request)
    errors: list[dict[str, Any]] = []
    for p in exc.problems:
        error: dict[str, Any] = {
            "detail": translate(locale, p.message, **p.params),
            "pointer": p.pointer,
        }
        if p.line_column:  # a body that is not JSON, where no pointer reaches
            error["line"], error["column"] = p.line_column
        errors.append(error)
    return problem(request, exc.kind, errors[0]["detail"], errors, extra=extra)


def from_http(request: Request, status: int, headers: dict[str, str] | None) -> JSONResponse:
    """A refusal of the router's (no route at this path, or not for this method) as a problem."""
    message = HTTP_REFUSALS.get(status, TITLES["error"])
    kind = "not-found" if status == 404 else "error"
    detail = translate(locale_of(request), message)
    response = problem(request, kind, detail, [{"detail": detail, "pointer": ""}], status)
    response.headers.update(headers or {})
    return response


def from_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    locale = locale_of(request)
    errors = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        where = str(loc[0]) if loc else "body"
        path = loc[1:] if where in ("body", "query", "path", "header") else loc
        known = shapes.problem_of(err, path)
        if known is not None:  # a refusal of the node's shapes, or one it words itself
            message = translate(locale, known.message, **known.params)
        else:
            message = translate(
                locale,
                N_("{where} {pointer}: {reason}"),
                where=where,
                pointer=shapes.pointer(path) or "/",
                reason=err.get("msg", ""),
            )
        errors.append({"detail": message, "pointer": shapes.pointer(path), "in": where})
    detail = errors[0]["detail"] if errors else translate(locale, TITLES["invalid-input"])
    return problem(request, "invalid-input", detail, errors, 422)
