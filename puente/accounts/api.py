"""REST routes for users, API tokens and agencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from puente.accounts import service
from puente.accounts.models import ApiToken
from puente.accounts.schemas import (
    AgencyPublic,
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UserCreate,
    UserPublic,
    WhoAmI,
)
from puente.db import MAX_KEY
from puente.web.deps import NodeDep, PrincipalDep, SessionDep
from puente.web.problems import answers
from puente.web.routing import api_router

router = api_router("/api/v1", ["accounts"])


@router.get("/me", response_model=WhoAmI, summary="Who the token or session belongs to")
def me(who: PrincipalDep) -> WhoAmI:
    return WhoAmI(
        username=who.username, agency=who.agency, country=who.country, roles=sorted(who.roles)
    )


@router.get("/agencies", response_model=list[AgencyPublic], summary="Agencies known to this node")
def agencies(session: SessionDep, who: PrincipalDep) -> list[AgencyPublic]:
    return [
        AgencyPublic(code=a.code, country=a.country, name_en=a.name_en, name_es=a.name_es)
        for a in service.list_agencies(session)
    ]


@router.get("/users", response_model=list[UserPublic], summary="Users (admin)")
def users(session: SessionDep, who: PrincipalDep) -> list[UserPublic]:
    return [
        UserPublic(
            username=u.username,
            display_name=u.display_name,
            agency=u.agency_code,
            roles=u.roles.split(","),
            active=u.active,
        )
        for u in service.list_users(session, who)
    ]


@router.post("/users", status_code=201, response_model=UserPublic, summary="Add a user (admin)",
             responses=answers(409))  # fmt: skip
def add_user(
    body: UserCreate,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> UserPublic:
    user = service.create_user(
        session,
        who,
        body.username,
        body.password,
        body.agency,
        body.roles,
        body.display_name,
        node.settings,
    )
    return UserPublic(
        username=user.username,
        display_name=user.display_name,
        agency=user.agency_code,
        roles=user.roles.split(","),
        active=user.active,
    )


def _token(row: ApiToken, username: str) -> TokenPublic:
    return TokenPublic(
        id=row.id,
        username=username,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
    )


@router.get("/tokens", response_model=list[TokenPublic], summary="Your API tokens")
def tokens(session: SessionDep, who: PrincipalDep) -> list[TokenPublic]:
    return [_token(t, who.username) for t in service.list_tokens(session, who)]


@router.get(
    "/users/{username}/tokens",
    response_model=list[TokenPublic],
    summary="A user's API tokens (admin)",
)
def user_tokens(username: str, session: SessionDep, who: PrincipalDep) -> list[TokenPublic]:
    return [_token(t.token, t.username) for t in service.tokens_of(session, who, username)]


@router.post(
    "/tokens", status_code=201, response_model=TokenIssued, summary="Issue yourself an API token"
)
def create_token(
    body: TokenCreate,
    session: SessionDep,
    who: PrincipalDep,
    node: NodeDep,
) -> TokenIssued:
    security = node.settings.security
    issued = service.create_token(
        session, who, body.username or who.username, body.name,
        body.days or security.token_days, max_days=security.token_max_days,
    )  # fmt: skip
    return TokenIssued(id=issued.id, token=issued.token, expires_at=issued.expires_at)


@router.delete(
    "/tokens/{token_id}", status_code=204, summary="Revoke an API token (yours; any, for an admin)"
)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_KEY)],
    session: SessionDep,
    who: PrincipalDep,
) -> None:
    service.revoke_token(session, who, token_id)
