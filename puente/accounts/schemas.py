"""REST shapes for accounts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from puente.shapes import Moment


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    password: str
    agency: str
    roles: list[str]
    display_name: str = ""


class UserPublic(BaseModel):
    username: str
    display_name: str
    agency: str
    roles: list[str]
    active: bool


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="token", max_length=100)
    # Omitted: the node's security.token_days; at most security.token_max_days.
    days: int | None = Field(default=None, ge=1)
    username: str | None = Field(
        default=None,
        description="your own username, or leave it out: users make their own tokens (403 "
        "for anyone else's); an admin lists and revokes other users' tokens",
    )


class TokenIssued(BaseModel):
    id: int
    token: str = Field(description="shown once; only its hash is kept")
    expires_at: Moment


class TokenPublic(BaseModel):
    id: int
    username: str
    name: str
    prefix: str
    created_at: Moment
    expires_at: Moment
    revoked: bool


class AgencyPublic(BaseModel):
    code: str
    country: str
    name_en: str
    name_es: str


class WhoAmI(BaseModel):
    username: str
    agency: str
    country: str
    roles: list[str]
