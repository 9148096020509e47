"""Request dependencies: the node, a unit of work, the submitted form, and who is calling.

Database work never runs on the event loop: dependencies and routes that touch the database
are plain functions, which FastAPI runs in its thread pool; only reading the request body is
async, in dependencies that touch nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from puente.accounts import service as accounts
from puente.audit import denials
from puente.errors import N_, Forbidden, InvalidInput, Problem, Unauthenticated
from puente.node import Node
from puente.policy.roles import Principal
from puente.shapes import NUL, read_json
from puente.sharing import partners
from puente.sharing.collections import Requester
from puente.sharing.partners import PartnerPrincipal
from puente.web.priority import yield_to_people

SESSION_COOKIE = "puente_session"
LANG_COOKIE = "puente_lang"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def reader_key(who: Requester | None) -> str | None:
    """Whose writes a read must see (puente.db.Replica's fences): a user or a partner node."""
    if isinstance(who, PartnerPrincipal):
        return f"partner:{who.node_id}"
    if who is not None and who.user_id is not None:
        return f"user:{who.user_id}"
    return None


def _route_reads(request: Request, session: Session, who: Requester | None) -> None:
    """Once the caller is known: where the rest of a reading request's unit of work reads (the
    replica, unless it has not replayed the caller's last write; puente.db.Database)."""
    request.state.reader = reader_key(who)
    request.app.state.node.db.route_reads(session, request.state.reader)


def _unit_of_work(request: Request, node: Node = Depends(get_node)) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    A request that only reads (GET, HEAD) may read from the node's replica once the caller is
    authenticated (on the primary); anything it writes, and all it reads after, is on the
    primary. After any other request commits, the caller's next reads wait for the replica
    to replay it (puente.db.Replica).

    Reads the gate refused are noted in it (puente.audit.denials) and recorded after it, in
    a transaction of their own: the refusal itself rolls the request's back."""
    refused: list[denials.Denial] = []
    reading = request.method in SAFE_METHODS
    try:
        with node.db.session(replica_reads=reading) as session:
            denials.collect_into(session, refused)
            yield session
        if not reading:
            node.db.remember_write(getattr(request.state, "reader", None))
    finally:
        if refused:
            with node.db.session() as session:
                denials.record(session, refused)


# "function" scope: the transaction commits before the response is sent, so nothing is
# disclosed unless its audit entry is durable, and no lock is held while a client reads.
db_session = Depends(_unit_of_work, scope="function")

# What routes and dependencies take, named once (FastAPI's Annotated dependencies).
NodeDep = Annotated[Node, Depends(get_node)]
SessionDep = Annotated[Session, db_session]


async def form_data(request: Request) -> FormData:
    """The submitted form (empty for other bodies), read once without touching the database."""
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        refused = [Problem(NUL, f"/{key}") for key, value in form.multi_items()
                   if "\x00" in key or (isinstance(value, str) and "\x00" in value)]  # fmt: skip
        if refused:
            raise InvalidInput(refused)
        return form
    return FormData()


async def text_only(request: Request) -> None:
    """Refuse a NUL in the address, the query or a cookie: no text column of PostgreSQL holds
    one, and SQLite would store it (a dependency of every route, before it reads anything)."""
    refused = [Problem(NUL, f"/{key}") for key, value in request.query_params.multi_items()
               if "\x00" in key or "\x00" in value]  # fmt: skip
    if "\x00" in request.url.path:
        refused.append(Problem(NUL, ""))
    refused += [Problem(NUL, "") for value in request.cookies.values() if "\x00" in value]
    if refused:
        raise InvalidInput(refused)


FormDep = Annotated[FormData, Depends(form_data)]


async def submitted_csrf(request: Request, form: FormDep) -> str:
    return request.headers.get(CSRF_HEADER) or str(form.get("csrf_token") or "")


CsrfDep = Annotated[str, Depends(submitted_csrf)]


def optional_principal(
    request: Request, session: SessionDep, node: NodeDep, csrf: CsrfDep
) -> Principal | None:
    who = _authenticate(request, session, node, csrf)
    _route_reads(request, session, who)
    return who


def _authenticate(request: Request, session: Session, node: Node, csrf: str) -> Principal | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.user_for_token(session, header[7:].strip())
        who = accounts.principal_for(user, node.settings)
        request.state.principal = who
        return who
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    found = accounts.resolve_session(session, node.settings, session_id)
    if found is None:
        return None
    user, web_session = found
    request.state.csrf_token = web_session.csrf_token
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        csrf.encode(), web_session.csrf_token.encode()
    ):
        raise Forbidden(
            N_(
                "The form has expired or did not come from this site; reload the page and try again."
            )
        )
    who = accounts.principal_for(user, node.settings)
    request.state.principal = who
    return who


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


def principal(request: Request, p: OptionalPrincipalDep) -> Principal:
    if p is None:
        raise Unauthenticated(N_("Sign in, or send an API token as Authorization: Bearer <token>."))
    request.state.principal = p
    return p


PrincipalDep = Annotated[Principal, Depends(principal)]


def principal_outside_unit_of_work(
    request: Request, node: NodeDep, csrf: CsrfDep
) -> Iterator[Principal]:
    """Who is calling (CSRF checked), in a unit of work that ends before the route runs.

    For routes that call a partner node and open their own units of work (a sync, a hit/no-hit
    query): one held open by the request would keep SQLite's only write lock (and
    PostgreSQL's audit head row) from them until the request ended. What they wrote is the
    caller's to read back: their next reads wait for the replica to replay it.
    """
    with node.db.session() as session:
        found = _authenticate(request, session, node, csrf)
    who = principal(request, found)
    yield who
    if request.method not in SAFE_METHODS:
        node.db.remember_write(reader_key(who))


PrincipalOutsideDep = Annotated[
    Principal, Depends(principal_outside_unit_of_work, scope="function")
]


async def json_body(request: Request) -> Any:
    """The request's JSON body, read on the event loop; malformed JSON says where."""
    return read_json(await request.body())


# -- TAXII 2.1 §1.6.9 (authentication): who is asking, a partner node or a user --------------


# A partner's pulls (TAXII: its pages, its receipts) and its downloads of the hit/no-hit index
# are bulk work, which waits for people's requests (puente.activity). Its hit/no-hit query is
# not: an analyst on the other side is waiting for the answer.
PARTNER_BULK = ("/taxii2/", "/api/v1/hits/index")


def requester(request: Request, session: SessionDep) -> Requester:
    """A partner node (HTTP Basic: its node id and the secret issued to it) or a user (a
    Bearer API token, or HTTP Basic: username and API token)."""
    who = _taxii_requester(request, session)
    if isinstance(who, PartnerPrincipal) and request.url.path.startswith(PARTNER_BULK):
        yield_to_people(request.scope, request.app.state.node)
    _route_reads(request, session, who)
    return who


def _taxii_requester(request: Request, session: Session) -> Requester:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        user = accounts.user_for_token(session, value.strip())
        return accounts.principal_for(user, request.app.state.node.settings)
    if scheme.lower() == "basic":
        try:
            username, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            username, secret = "", ""
        if partners.is_partner(session, username):
            return partners.authenticate(session, username, secret)
        if username and secret:
            user = accounts.user_for_token(session, secret)
            if user.username == username:
                return accounts.principal_for(user, request.app.state.node.settings)
    raise Unauthenticated(
        N_(
            "Sign in with HTTP Basic: a partner's node id and secret, or your username and API token."
        )
    )


RequesterDep = Annotated[Requester, Depends(requester)]
