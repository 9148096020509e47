"""Users, passwords, API tokens and web sessions (roles and what they permit:
:mod:`puente.policy.roles`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from puente.accounts.models import Agency, ApiToken, User, WebSession
from puente.audit import service as audit
from puente.clock import as_utc, now
from puente.config import PasswordHashing, Settings
from puente.errors import (
    N_,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    Unauthenticated,
)
from puente.policy.agencies import BY_CODE, for_country
from puente.policy.roles import ROLES, Principal, require


@cache
def _hasher(cost: PasswordHashing) -> PasswordHasher:
    return PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
    )


# Argon2id takes 64 MiB a hash, on purpose: fifty users signing in at once made a server
# process hold 1.9 GB. More hashes at once than there are cores finish no sooner, and a node
# runs a server process per core or two: half the cores per process leaves the other requests
# of a sign-in rush a share of the machine. A process never holds more than this many hashes'
# memory.
_hashing = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))


@cache
def _dummy_hash(cost: PasswordHashing) -> str:
    # Made on first use, not at import: every CLI command would otherwise pay for it.
    with _hashing:
        return _hasher(cost).hash("not-a-real-password")


def _hash(cost: PasswordHashing, password: str) -> str:
    with _hashing:
        return _hasher(cost).hash(password)


USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")


def seed_agencies(session: Session, country: str) -> int:
    """Create this country's agencies (and the partner's, so markings can name them)."""
    added = 0
    for info in (*for_country("USA"), *for_country("MEX")):
        if session.get(Agency, info.code) is None:
            session.add(
                Agency(
                    code=info.code, country=info.country, name_en=info.name_en, name_es=info.name_es
                )
            )
            added += 1
    session.flush()
    return added


def list_agencies(session: Session, country: str | None = None) -> list[Agency]:
    query = select(Agency).order_by(Agency.country, Agency.code)
    if country:
        query = query.where(Agency.country == country)
    return list(session.execute(query).scalars())


def principal_for(user: User, settings: Settings) -> Principal:
    agency = BY_CODE.get(user.agency_code)
    country = agency.country if agency else settings.country
    return Principal(
        user.username,
        user.agency_code,
        country,
        frozenset(r for r in user.roles.split(",") if r),
        user.id,
        user.locale,
    )


def system_principal(settings: Settings) -> Principal:
    agencies = for_country(settings.country)
    return Principal("system", agencies[0].code, settings.country, frozenset(ROLES))


def create_user(
    session: Session,
    actor: Principal,
    username: str,
    password: str,
    agency: str,
    roles: list[str],
    display_name: str,
    settings: Settings,
) -> User:
    require(actor, "accounts.admin")
    problems: list[Problem] = []
    if not USERNAME.fullmatch(username):
        problems.append(
            Problem(
                N_(
                    "A username is 2 to 64 lowercase letters, digits, dots, hyphens or underscores, starting with a letter."
                ),
                "/username",
            )
        )
    if len(password) < 10:
        problems.append(Problem(N_("A password needs at least 10 characters."), "/password"))
    agency_row = session.get(Agency, agency)
    if agency_row is None:
        problems.append(Problem(N_("Unknown agency {agency}."), "/agency", {"agency": agency}))
    elif agency_row.country != settings.country:
        problems.append(
            Problem(
                N_("Agency {agency} belongs to another country's node."),
                "/agency",
                {"agency": agency},
            )
        )
    for index, role in enumerate(roles):
        if role not in ROLES:
            problems.append(
                Problem(
                    N_("Unknown role {role}; use one of: {roles}."),
                    f"/roles/{index}",
                    {"role": role, "roles": ", ".join(ROLES)},
                )
            )
    if not roles:
        problems.append(Problem(N_("Give the user at least one role."), "/roles"))
    if problems:
        raise InvalidInput(problems)
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(
            N_("The username {username} is taken."), pointer="/username", username=username
        )
    user = User(
        username=username,
        display_name=display_name or username,
        agency_code=agency,
        roles=",".join(sorted(set(roles))),
        password_hash=_hash(settings.security.password_hashing, password),
        locale="",
        active=True,
        failed_logins=0,
        created_at=now(),
    )
    session.add(user)
    session.flush()
    audit.append(
        session,
        actor.username,
        "user.create",
        username,
        details={"agency": agency, "roles": sorted(set(roles))},
    )
    return user


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(N_("No user named {username}."), username=username)
    return user


def list_users(session: Session, actor: Principal) -> list[User]:
    require(actor, "accounts.admin")
    return list(session.execute(select(User).order_by(User.username)).scalars())


def authenticate(session: Session, settings: Settings, username: str, password: str) -> User:
    """Check a password, counting failures and locking the account after too many.

    Every refusal says the same thing, whether the user is unknown, the password wrong or the
    account locked, so sign-in reveals nothing about which accounts exist.
    """
    refusal = Unauthenticated(
        N_(
            "Wrong username or password. After {threshold} failed attempts an account is locked for {minutes} minutes."
        ),
        threshold=settings.security.lockout_threshold,
        minutes=settings.security.lockout_minutes,
    )
    # FOR UPDATE: concurrent failures must each count (PostgreSQL; SQLite writes serially).
    user = session.execute(
        select(User).where(User.username == username).with_for_update()
    ).scalar_one_or_none()
    moment = now()
    cost = settings.security.password_hashing
    hasher = _hasher(cost)
    if user is None or not user.active:
        dummy = _dummy_hash(cost)
        with contextlib.suppress(VerificationError), _hashing:
            hasher.verify(dummy, password)  # same cost either way: no username oracle
        audit.append(session, username[:64] or "-", "login.failure", details={"reason": "unknown"})
        raise refusal
    if user.locked_until and as_utc(user.locked_until) > moment:
        audit.append(session, user.username, "login.failure", details={"reason": "locked"})
        raise refusal
    try:
        with _hashing:
            hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        details: dict[str, object] = {"reason": "password", "failures": user.failed_logins}
        if user.failed_logins >= settings.security.lockout_threshold:
            user.locked_until = moment + timedelta(minutes=settings.security.lockout_minutes)
            user.failed_logins = 0
            details["locked"] = True
        audit.append(session, user.username, "login.failure", details=details)
        raise refusal from None
    user.failed_logins = 0
    user.locked_until = None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hash(cost, password)
    audit.append(session, user.username, "login.success")
    return user


def set_locale(session: Session, user_id: int, locale: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.locale = locale


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    id: int
    expires_at: datetime


def create_token(
    session: Session, actor: Principal, username: str, name: str, days: int, max_days: int = 365
) -> IssuedToken:
    """Issue ``actor`` an API token valid ``days`` (1 to ``max_days``); only its hash is kept.

    Users make their own tokens: one issued for someone else would let its holder read what
    that user may (records naming them as recipient too). An admin lists and revokes other
    users' tokens; only the node's operator, on its machine, issues one for a user
    (:func:`issue_on_host`)."""
    if actor.username != username:
        raise Forbidden(
            N_(
                "You may issue API tokens only for yourself: {user} signs in and makes their "
                "own. An admin may list and revoke other users' tokens."
            ),
            pointer="/username",
            user=username,
        )
    return _issue(session, actor, username, name, days, max_days, on_host=False)


def issue_on_host(
    session: Session, actor: Principal, username: str, name: str, days: int, max_days: int = 365
) -> IssuedToken:
    """A token for ``username``, issued by the node's operator on the node's machine
    (`puente token create`), to start a user or a script off. Whoever runs `puente` there
    reads the database and holds the signing key already, so this gives them nothing new;
    no network path reaches it. Audited as issued on the host."""
    if actor.username != username:
        require(actor, "accounts.admin")
    return _issue(session, actor, username, name, days, max_days, on_host=True)


def _issue(
    session: Session,
    actor: Principal,
    username: str,
    name: str,
    days: int,
    max_days: int,
    on_host: bool,
) -> IssuedToken:
    if not 1 <= days <= max_days:
        raise InvalidInput(
            [
                Problem(
                    N_("The validity must be a whole number of days from 1 to {max}."),
                    "/days",
                    {"max": max_days},
                )
            ]
        )
    user = get_user(session, username)
    secret = "pte_" + secrets.token_urlsafe(32)
    expires = now() + timedelta(days=days)
    row = ApiToken(
        user_id=user.id,
        name=name or "token",
        prefix=secret[:10],
        token_hash=_digest(secret),
        created_at=now(),
        expires_at=expires,
    )
    session.add(row)
    session.flush()
    details: dict[str, object] = {
        "token_id": row.id, "name": row.name, "expires": expires.isoformat()
    }  # fmt: skip
    if on_host:
        details["on_host"] = True
    audit.append(session, actor.username, "token.create", username, details=details)
    return IssuedToken(secret, row.id, expires)


def revoke_token(session: Session, actor: Principal, token_id: int) -> str:
    """Revoke a token (its owner, or an admin: how an admin disables a user's token at once);
    the username it belonged to."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(N_("No API token with id {id}."), id=token_id)
    owner = session.get(User, row.user_id)
    if owner is None or owner.username != actor.username:
        require(actor, "accounts.admin")
    if row.revoked_at is None:
        row.revoked_at = now()
    audit.append(
        session,
        actor.username,
        "token.revoke",
        owner.username if owner else "",
        details={"token_id": token_id},
    )
    return owner.username if owner else ""


@dataclass(frozen=True)
class TokenListing:
    """A token, without its secret, and the user it belongs to."""

    token: ApiToken
    username: str


def list_tokens(session: Session, actor: Principal) -> list[ApiToken]:
    """The actor's own tokens."""
    if actor.user_id is None:
        return []
    return list(
        session.execute(
            select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id)
        ).scalars()
    )


TOKENS_LISTED = 500  # the newest, when an admin lists every user's


def tokens_of(
    session: Session, actor: Principal, username: str | None = None
) -> list[TokenListing]:
    """Any user's tokens (``None``: every user's, newest first), for an admin."""
    require(actor, "accounts.admin")
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if username is not None:
        query = query.where(User.id == get_user(session, username).id).order_by(ApiToken.id)
    else:
        query = query.order_by(ApiToken.id.desc()).limit(TOKENS_LISTED)
    return [TokenListing(row, name) for row, name in session.execute(query).all()]


def user_for_token(session: Session, token: str) -> User:
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= now():
        raise Unauthenticated(N_("The API token is unknown, expired or revoked."))
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthenticated(N_("The API token is unknown, expired or revoked."))
    row.last_used_at = now()
    return user


@dataclass(frozen=True)
class OpenedSession:
    session_id: str
    csrf_token: str


def open_session(session: Session, settings: Settings, user: User) -> OpenedSession:
    moment = now()
    # Sessions that ended (expired or left idle) go when a new one opens: none pile up.
    idle = timedelta(minutes=settings.security.session_idle_minutes)
    session.execute(
        delete(WebSession).where(
            or_(WebSession.expires_at <= moment, WebSession.last_seen_at <= moment - idle)
        )
    )
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id_hash=_digest(session_id),
            user_id=user.id,
            csrf_token=csrf,
            created_at=moment,
            expires_at=moment + timedelta(hours=settings.security.session_hours),
            last_seen_at=moment,
        )
    )
    return OpenedSession(session_id, csrf)


SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session


def resolve_session(
    session: Session, settings: Settings, session_id: str
) -> tuple[User, WebSession] | None:
    """The live session's user, or None when it is unknown, expired or was left idle."""
    row = session.get(WebSession, _digest(session_id))
    if row is None:
        return None
    moment = now()
    idle = timedelta(minutes=settings.security.session_idle_minutes)
    if as_utc(row.expires_at) <= moment or as_utc(row.last_seen_at) <= moment - idle:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if moment - as_utc(row.last_seen_at) >= SEEN_EVERY:
        row.last_seen_at = moment
    return user, row


def close_session(session: Session, session_id: str) -> None:
    row = session.get(WebSession, _digest(session_id))
    if row is not None:
        session.delete(row)
