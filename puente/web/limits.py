"""Refuse request bodies over the node's limit before anything reads them.

Pure ASGI middleware: a declared Content-Length over the limit is answered 413 at once; a
body streamed without one is counted as it arrives and cut off at the limit.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from puente.errors import N_
from puente.i18n import negotiate, translate


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send)
        except BaseExceptionGroup as group:  # raised through a task group on its way out
            if group.subgroup(BodyTooLarge) is None or group.subgroup(
                lambda e: not isinstance(e, BodyTooLarge | BaseExceptionGroup)
            ):
                raise
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        locale = negotiate(headers.get(b"accept-language", b"").decode("latin-1"))
        detail = translate(
            locale, N_("The request is larger than {limit} bytes."), limit=self.max_bytes
        )
        title = translate(locale, N_("Too large"))
        path = str(scope.get("path", ""))
        error: dict[str, object]
        if path.startswith("/taxii2/"):  # TAXII 2.1 §5.5: 413, as a TAXII error message
            content_type = b"application/taxii+json;version=2.1"
            error = {"title": title, "description": detail, "http_status": "413"}
        else:
            content_type = b"application/problem+json"
            error = {
                "type": "urn:puente:problem:too-large",
                "title": title,
                "status": 413,
                "detail": detail,
                "instance": path,
                "errors": [{"detail": detail, "pointer": ""}],
            }
        body = json.dumps(error).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
