"""HTML views of the node as a whole: the dashboard and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from puente.accounts import service as accounts
from puente.i18n import LOCALES
from puente.records import service as records
from puente.records.kinds import KINDS
from puente.web.deps import (
    FormDep,
    NodeDep,
    OptionalPrincipalDep,
    PrincipalDep,
    SessionDep,
)
from puente.web.pages import redirect, render, safe_next, set_lang_cookie

router = APIRouter(include_in_schema=False)

RECENT = 10


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    who: PrincipalDep,
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
        cap=records.STATS_CAP,
        capped=any(n > records.STATS_CAP for n in counts.values()),
        total=sum(min(n, records.STATS_CAP) for n in counts.values()),
        recent=recent,
        kinds=KINDS,
    )


@router.post("/language")
def switch_language(
    request: Request,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: OptionalPrincipalDep,
) -> Response:
    """Set the language cookie and, for a signed-in user, remember the choice."""
    locale = str(form.get("lang") or "")
    response = redirect(safe_next(str(form.get("next") or "/")))
    if locale in LOCALES:
        set_lang_cookie(response, node, locale)
        if who is not None and who.user_id is not None:
            accounts.set_locale(session, who.user_id, locale)
    return response
