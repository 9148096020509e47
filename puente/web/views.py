"""HTML views of the node as a whole: the dashboard and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from puente.accounts import service as accounts
from puente.accounts.service import Principal
from puente.i18n import LOCALES
from puente.node import Node
from puente.records import service as records
from puente.records.kinds import KINDS
from puente.web.deps import (
    LANG_COOKIE,
    db_session,
    form_data,
    get_node,
    optional_principal,
    principal,
)
from puente.web.pages import redirect, render, safe_next

router = APIRouter(include_in_schema=False)

RECENT = 10
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


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: Session = db_session,
    who: Principal = Depends(principal),
) -> Response:
    counts = records.stats(session, who)
    # Relationships read poorly out of context; they show on the records they link.
    substantive = tuple(kind for kind in KINDS if kind != "relationship")
    recent = records.search(
        session, who, records.SearchQuery(kinds=substantive, limit=RECENT)
    ).items
    return render(
        request,
        "dashboard.html",
        markings=[v.markings for v in recent],
        counts=counts,
        total=sum(counts.values()),
        recent=recent,
        kinds=KINDS,
    )


@router.post("/language")
def switch_language(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = db_session,
    node: Node = Depends(get_node),
    who: Principal | None = Depends(optional_principal),
) -> Response:
    """Set the language cookie and, for a signed-in user, remember the choice."""
    locale = str(form.get("lang") or "")
    response = redirect(safe_next(str(form.get("next") or "/")))
    if locale in LOCALES:
        set_lang_cookie(response, node, locale)
        if who is not None and who.user_id is not None:
            accounts.set_locale(session, who.user_id, locale)
    return response
