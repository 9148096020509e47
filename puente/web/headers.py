"""Every response's language and security headers, as pure ASGI middleware.

Pure ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware copies each
response body through a memory stream, which on a TAXII page of 1,000 objects costs more than
building the page's envelope.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from puente.i18n import LOCALES, negotiate

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
NO_STORE_PREFIXES = ("/api/", "/taxii2/")


def _locale(scope: Scope, lang_cookie: str) -> str:
    """The language asked for with ?lang=, else the cookie, else Accept-Language."""
    headers = Headers(scope=scope)
    chosen = QueryParams(scope.get("query_string", b"")).get("lang") or ""
    if not chosen:
        for header in headers.getlist("cookie"):
            chosen = cookie_parser(header).get(lang_cookie, chosen)
    if chosen in LOCALES:
        return chosen
    return negotiate(headers.get("accept-language"))


class ResponseHeaders:
    def __init__(self, app: ASGIApp, lang_cookie: str, secure_cookies: bool) -> None:
        self.app = app
        self.lang_cookie = lang_cookie
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        locale = _locale(scope, self.lang_cookie)
        scope.setdefault("state", {})["locale"] = locale
        no_store = str(scope.get("path", "")).startswith(NO_STORE_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Language", locale)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")
                if self.secure_cookies:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, with_headers)
