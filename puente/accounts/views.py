"""HTML views for signing in and out and for a user's API tokens."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from puente.accounts import service as accounts
from puente.clock import now
from puente.errors import N_, InvalidInput, Locked, Unauthenticated
from puente.i18n import LOCALES, translate
from puente.node import Node
from puente.policy.roles import Principal
from puente.web.deps import (
    LANG_COOKIE,
    SESSION_COOKIE,
    FormDep,
    NodeDep,
    OptionalPrincipalDep,
    PrincipalDep,
    SessionDep,
)
from puente.web.forms import errors_by_field
from puente.web.pages import page_locale, redirect, render, safe_next, set_lang_cookie

router = APIRouter(include_in_schema=False)


LOGIN_CSRF_COOKIE = "puente_login_csrf"


def _login_page(request: Request, node: Node, status: int = 200, **context: Any) -> Response:
    """The sign-in form, with a token that its post must send back beside the cookie.

    Before sign-in there is no session to hold a CSRF token, so the form and a cookie scoped
    to /login carry the same random value (double submit): another site can make a browser
    post the form, but cannot read the cookie to fill the field, so it cannot sign a victim
    in to an account of its choosing.
    """
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", status=status, login_csrf=token, **context)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=node.settings.security.secure_cookies,
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    *,
    next: str = "/",
    who: OptionalPrincipalDep,
    node: NodeDep,
) -> Response:
    if who is not None:
        return redirect(safe_next(next))
    return _login_page(request, node, next=safe_next(next), username="", error="")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
) -> Response:
    """Check the password; on success open a session and carry the user's language over."""
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = str(form.get("login_csrf") or "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        message = translate(
            page_locale(request),
            N_("The sign-in form has expired or did not come from this site; please try again."),
        )
        return _login_page(request, node, 403, next=target, username=username, error=message)
    try:
        user = accounts.authenticate(session, node.settings, username, password)
    except (Unauthenticated, Locked) as exc:
        # Returned, not raised: the failure count and its audit entry must be committed.
        message = translate(page_locale(request), exc.message, **exc.params)
        status = 423 if isinstance(exc, Locked) else 401
        return _login_page(request, node, status, next=target, username=username, error=message)
    if old := request.cookies.get(SESSION_COOKIE):
        accounts.close_session(session, old)
    opened = accounts.open_session(session, node.settings, user)
    response = redirect(target)
    response.set_cookie(
        SESSION_COOKIE,
        opened.session_id,
        path="/",
        httponly=True,
        samesite="lax",
        secure=node.settings.security.secure_cookies,
        max_age=node.settings.security.session_hours * 3600,
    )
    chosen = request.cookies.get(LANG_COOKIE, "")
    if user.locale in LOCALES:
        set_lang_cookie(response, node, user.locale)
    elif chosen in LOCALES:
        accounts.set_locale(session, user.id, chosen)  # chosen on the sign-in page: keep it
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    if session_id := request.cookies.get(SESSION_COOKIE):
        accounts.close_session(session, session_id)
    response = redirect("/login")
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=node.settings.security.secure_cookies,
    )
    return response


def _tokens_page(
    request: Request,
    session: Session,
    who: Principal,
    node: Node,
    status: int = 200,
    **context: Any,
) -> Response:
    context.setdefault("errors", {})
    context.setdefault("name", "")
    context.setdefault("days", str(node.settings.security.token_days))
    moment = now()
    rows = [
        (t, _state(t.revoked_at, t.expires_at, moment)) for t in accounts.list_tokens(session, who)
    ]
    others = []
    if who.can("accounts.admin"):  # an admin lists and revokes everyone's, never mints them
        others = [
            (listed.token, listed.username, _state(listed.token.revoked_at,
                                                   listed.token.expires_at, moment))
            for listed in accounts.tokens_of(session, who)
            if listed.username != who.username
        ]  # fmt: skip
    return render(request, "tokens.html", status=status, tokens=rows, others=others, **context)


def _state(revoked_at: datetime | None, expires_at: datetime, moment: datetime) -> str:
    if revoked_at is not None:
        return "revoked"
    # SQLite hands back naive datetimes; every stored time is UTC.
    expires = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
    return "expired" if expires <= moment else "active"


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    return _tokens_page(request, session, who, node)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    form: FormDep,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> Response:
    """Issue a token and show it this once; only its hash is kept."""
    name = str(form.get("name") or "").strip()[:100]
    days_text = str(form.get("days") or "").strip()
    days = int(days_text) if days_text.isdigit() else 0
    try:
        issued = accounts.create_token(
            session, who, who.username, name or "token", days,
            max_days=node.settings.security.token_max_days,
        )  # fmt: skip
    except InvalidInput as exc:
        errors = errors_by_field(exc.problems, page_locale(request))
        return _tokens_page(
            request, session, who, node, status=422, errors=errors, name=name, days=days_text
        )
    return _tokens_page(request, session, who, node, status=201, issued=issued)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: int,
    session: SessionDep,
    who: PrincipalDep,
) -> Response:
    accounts.revoke_token(session, who, token_id)
    return redirect("/account/tokens")
