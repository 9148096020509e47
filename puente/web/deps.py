"""Request dependencies: the node, a unit of work, and who is calling."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from puente.accounts import service as accounts
from puente.accounts.service import Principal
from puente.errors import N_, Forbidden, Unauthenticated
from puente.node import Node

SESSION_COOKIE = "puente_session"
LANG_COOKIE = "puente_lang"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def db_session(node: Node = Depends(get_node)) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with node.db.session() as session:
        yield session


async def optional_principal(
    request: Request, session: Session = Depends(db_session), node: Node = Depends(get_node)
) -> Principal | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.user_for_token(session, header[7:].strip())
        request.state.principal = accounts.principal_for(user, node.settings)
        return request.state.principal  # type: ignore[no-any-return]
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    found = accounts.resolve_session(session, session_id)
    if found is None:
        return None
    user, web_session = found
    request.state.csrf_token = web_session.csrf_token
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            sent = str((await request.form()).get("csrf_token", ""))
        if sent != web_session.csrf_token:
            raise Forbidden(
                N_(
                    "The form has expired or did not come from this site; reload the page and try again."
                )
            )
    request.state.principal = accounts.principal_for(user, node.settings)
    return request.state.principal  # type: ignore[no-any-return]


def principal(request: Request, p: Principal | None = Depends(optional_principal)) -> Principal:
    if p is None:
        raise Unauthenticated(N_("Sign in, or send an API token as Authorization: Bearer <token>."))
    request.state.principal = p
    return p
