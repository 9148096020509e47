"""Server-rendered pages: Jinja2 templates with the request's translator and markings banner."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from puente.errors import PuenteError
from puente.i18n import Translator, translate
from puente.policy.markings import Markings, most_restrictive
from puente.web.problems import STATUS, TITLES

_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        folder = resources.files("puente") / "web" / "templates"
        _env = Environment(loader=FileSystemLoader(str(folder)),
                           autoescape=select_autoescape(["html"]), trim_blocks=True,
                           lstrip_blocks=True)
    return _env


def render(
    request: Request, template: str, status: int = 200,
    markings: Iterable[Markings] = (), **context: Any,
) -> HTMLResponse:
    """Render ``template``; pages showing records pass their markings for the banner."""
    locale = str(getattr(request.state, "locale", "en"))
    worst = most_restrictive(markings)
    html = environment().get_template(template).render(
        request=request, _=Translator(locale), locale=locale,
        banner=worst.banner() if worst else "", banner_tlp=worst.tlp if worst else "",
        csrf_token=getattr(request.state, "csrf_token", ""),
        user=getattr(request.state, "principal", None),
        node=request.app.state.node.settings, **context,
    )
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, exc: PuenteError) -> HTMLResponse:
    locale = str(getattr(request.state, "locale", "en"))
    if exc.kind == "unauthenticated":
        from fastapi.responses import RedirectResponse

        target = request.url.path
        return RedirectResponse(f"/login?next={target}", status_code=303)  # type: ignore[return-value]
    details = [translate(locale, p.message, **p.params) for p in exc.problems]
    return render(request, "error.html", status=STATUS.get(exc.kind, 400),
                  title=translate(locale, TITLES.get(exc.kind, TITLES["error"])), details=details)
