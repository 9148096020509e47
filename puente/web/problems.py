"""Errors as RFC 9457 problem details, in the caller's language, naming the offending field."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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
    "quota": N_("Quota used up"),
    "error": N_("Bad request"),
}
MEDIA_TYPE = "application/problem+json"


def locale_of(request: Request) -> str:
    return str(getattr(request.state, "locale", "en"))


def problem(
    request: Request,
    kind: str,
    detail: str,
    errors: list[dict[str, Any]],
    status: int | None = None,
) -> JSONResponse:
    locale = locale_of(request)
    code = status or STATUS.get(kind, 400)
    body = {
        "type": f"urn:puente:problem:{kind}",
        "title": translate(locale, TITLES.get(kind, TITLES["error"])),
        "status": code,
        "detail": detail,
        "instance": request.url.path,
        "errors": errors,
    }
    headers = {"WWW-Authenticate": 'Bearer realm="puente"'} if code == 401 else None
    return JSONResponse(body, status_code=code, media_type=MEDIA_TYPE, headers=headers)


def from_error(request: Request, exc: PuenteError) -> JSONResponse:
    locale = locale_of(request)
    errors = [
        {"detail": translate(locale, p.message, **p.params), "pointer": p.pointer}
        for p in exc.problems
    ]
    return problem(request, exc.kind, errors[0]["detail"], errors)


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
