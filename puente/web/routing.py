"""The REST API's routes: bodies read strictly, every answer documented.

FastAPI reads a JSON body with Python's ``json`` module, which takes what JSON is not (NaN,
Infinity, escapes of lone surrogates, bytes that are not UTF-8 decoded with surrogatepass)
and fails on deep nesting with a RecursionError that FastAPI answers with its own English
400. Routes made by :func:`api_router` read the body with :func:`puente.shapes.read_json`
instead, so each of these is a problem saying where, in the caller's language.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Sequence
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from puente.errors import InvalidInput
from puente.shapes import read_json
from puente.web.problems import RESPONSES, answers


class _NotJson(json.JSONDecodeError):
    """What FastAPI takes for a body that is not JSON; carries the problems that say why."""

    def __init__(self, error: InvalidInput) -> None:
        super().__init__(error.message, "", 0)
        self.error = error


class _StrictRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = read_json(await self.body())
            except InvalidInput as exc:
                # FastAPI turns any other exception here into its own 400.
                raise _NotJson(exc) from None
        return self._json


class ApiRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if self.body_field is not None or "requestBody" in (self.openapi_extra or {}):
            # puente.web.limits refuses a body over the node's limit before the route runs.
            self.responses = {**self.responses, **answers(413)}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            try:
                return await handler(_StrictRequest(request.scope, request.receive))
            except RequestValidationError as exc:
                if isinstance(exc.__cause__, _NotJson):
                    raise exc.__cause__.error from None
                raise

        return strict


def api_router(prefix: str, tags: Sequence[str | Enum]) -> APIRouter:
    """A router of the REST API: strict bodies, and the problems every route may answer."""
    return APIRouter(prefix=prefix, tags=list(tags), route_class=ApiRoute, responses=RESPONSES)
