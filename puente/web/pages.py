"""Server-rendered pages: Jinja2 templates with the request's translator and markings banner."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from puente import templating
from puente.errors import PuenteError
from puente.i18n import DEFAULT_LOCALE, LOCALES, Translator, translate
from puente.node import Node
from puente.policy.agencies import agency_namer
from puente.policy.markings import Markings, most_restrictive
from puente.records.relationships import meaning
from puente.web.deps import LANG_COOKIE
from puente.web.problems import STATUS, TITLES

_env: Environment | None = None


def short_id(stix_id: str) -> str:
    """``identity--00134460-4b52-…`` → ``identity--00134460…``: enough to tell records apart."""
    kind, _, uuid = stix_id.partition("--")
    return f"{kind}--{uuid[:8]}…" if uuid else stix_id


def record_label(item: Any, names: Mapping[str, str] | None = None) -> str:
    """How a record is named in lists and headings; a relationship by the records it links."""
    content = getattr(item, "content", {}) or {}
    if getattr(item, "type", "") == "relationship":
        known = names or {}

        def end(ref: str) -> str:
            return known.get(ref) or short_id(ref)

        return (
            f"{end(str(content.get('source_ref', '')))} → "
            f"{meaning(content)} → {end(str(content.get('target_ref', '')))}"
        )
    return str(getattr(item, "name", "") or getattr(item, "stix_id", ""))


def environment() -> Environment:
    """The web's templates, with what the pages share: how records, choices and markings read."""
    global _env
    if _env is None:
        _env = templating.environment("web")
        from puente.web import forms  # imported here: forms itself uses this module

        _env.globals.update(
            record_label=record_label,
            choice_label=forms.choice_label,
            element_id=forms.element_id,
            COUNTRY_NAMES=forms.COUNTRY_NAMES,
            TLP_LABELS=forms.TLP_LABELS,
            HANDLING_LABELS=forms.HANDLING_LABELS,
            RELIABILITY_LABELS=forms.RELIABILITY_LABELS,
            CREDIBILITY_LABELS=forms.CREDIBILITY_LABELS,
        )
    return _env


def page_locale(request: Request) -> str:
    """The page's language: ``?lang=`` or the cookie, else the signed-in user's saved choice,
    else what the middleware negotiated from Accept-Language."""
    explicit = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if explicit not in LOCALES:
        user = getattr(request.state, "principal", None)
        saved = getattr(user, "locale", "")
        if saved in LOCALES:
            request.state.locale = saved
    locale = str(getattr(request.state, "locale", DEFAULT_LOCALE))
    return locale if locale in LOCALES else DEFAULT_LOCALE


def here_without_lang(request: Request) -> str:
    """The current path and query, minus ``lang``, for the language switch to come back to."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


LANG_COOKIE_SECONDS = 365 * 24 * 3600


def set_lang_cookie(response: Response, node: Node, locale: str) -> None:
    response.set_cookie(
        LANG_COOKIE,
        locale,
        max_age=LANG_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=node.settings.security.secure_cookies,
    )


def render(
    request: Request,
    template: str,
    status: int = 200,
    markings: Iterable[Markings] = (),
    **context: Any,
) -> HTMLResponse:
    """Render ``template``; pages showing records pass their markings for the banner."""
    locale = page_locale(request)
    translator = Translator(locale)
    worst = most_restrictive(markings)
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            _=translator,
            ngettext=translator.plural,
            locale=locale,
            banner=worst.banner() if worst else "",
            banner_tlp=worst.tlp if worst else "",
            csrf_token=getattr(request.state, "csrf_token", ""),
            user=getattr(request.state, "principal", None),
            node=request.app.state.node.settings,
            here=here_without_lang(request),
            agency_name=agency_namer(locale),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = locale
    # Pages may carry marked record content: keep them out of shared and browser caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(url: str) -> RedirectResponse:
    """See Other: the browser follows with GET (after a form POST)."""
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: ``//host`` and absolute URLs would make an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def error_page(request: Request, exc: PuenteError) -> Response:
    if exc.kind == "unauthenticated":
        target = "/login?" + urlencode({"next": here_without_lang(request)})
        if request.headers.get("hx-request"):
            # An htmx request would swap the login page into a fragment: send the browser.
            return Response(status_code=204, headers={"HX-Redirect": target})
        return redirect(target)
    locale = page_locale(request)
    details = [translate(locale, p.message, **p.params) for p in exc.problems]
    return render(
        request,
        "error.html",
        status=STATUS.get(exc.kind, 400),
        title=translate(locale, TITLES.get(exc.kind, TITLES["error"])),
        details=details,
        status_code=STATUS.get(exc.kind, 400),
    )
