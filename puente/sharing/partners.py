"""Partners: other governments' nodes, their credentials here and the key they sign with.

Each partner signs in to this node's TAXII server with HTTP Basic (its node id and a secret
this node issued, kept only as a hash), and this node signs in to the partner's with the
secret the partner issued. Receipts and recalls from the partner must verify against the
public key pinned here when the partner was added.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from puente.audit import service as audit
from puente.clock import now
from puente.errors import N_, Conflict, InvalidInput, NotFound, Problem, Unauthenticated
from puente.policy.agencies import agency_countries
from puente.policy.gate import PartnerNode
from puente.policy.roles import Principal, require
from puente.sharing.models import Partner

NODE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
COUNTRY = re.compile(r"[A-Z]{3}")
PUBLIC_KEY = re.compile(r"[0-9a-f]{64}")
SECRET_PREFIX = "pts_"  # noqa: S105 -- the prefix that marks a partner secret, not a secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class PartnerPrincipal:
    """A partner node signed in to this node's TAXII server."""

    partner_id: int
    node_id: str
    country: str

    @property
    def audience(self) -> PartnerNode:
        return PartnerNode(self.country, agency_countries())

    @property
    def name(self) -> str:
        return f"partner:{self.node_id}"


@dataclass(frozen=True)
class AddedPartner:
    partner: Partner
    inbound_secret: str  # shown once: the partner signs in here with it


def add_partner(
    session: Session,
    actor: Principal,
    *,
    node_id: str,
    country: str,
    display_name: str,
    base_url: str,
    public_key: str,
    outbound_secret: str,
    inbound_secret: str | None = None,
) -> AddedPartner:
    """Register a partner; returns the secret it must use here (generated unless given)."""
    require(actor, "accounts.admin")
    public_key = public_key.strip().lower()
    problems = []
    if not NODE_ID.fullmatch(node_id):
        problems.append(
            Problem(
                N_("A node id is 2 to 64 lowercase letters, digits, dots, dashes or underscores."),
                "/node_id",
            )
        )
    if not COUNTRY.fullmatch(country):
        problems.append(
            Problem(N_("The country must be an ISO 3166-1 alpha-3 code such as MEX."), "/country")
        )
    elif country == actor.country:
        # The actor's country is this node's (a user's agency is always of the node's country).
        # The gate releases to a partner what is REL TO its country, and every record is REL TO
        # its owner's: a partner of the same country would receive AMBER+STRICT records,
        # recipient-only records and every agency's own.
        problems.append(
            Problem(
                N_(
                    "A partner is another country's node: this node is in {country}, so its "
                    "collection would receive records meant for {country}'s agencies only."
                ),
                "/country",
                {"country": country},
            )
        )
    if not base_url.startswith(("http://", "https://")):
        problems.append(
            Problem(N_("The partner's URL must start with https:// (or http:// on loopback)."),
                    "/base_url")
        )  # fmt: skip
    if not PUBLIC_KEY.fullmatch(public_key):
        problems.append(
            Problem(
                N_("The partner's public key is 64 hexadecimal characters (puente node key)."),
                "/public_key",
            )
        )
    if not outbound_secret:
        problems.append(
            Problem(N_("Give the secret the partner issued to this node."), "/outbound_secret")
        )
    if inbound_secret is not None and len(inbound_secret) < 24:
        problems.append(
            Problem(N_("A partner secret must be at least 24 characters."), "/inbound_secret")
        )
    if problems:
        raise InvalidInput(problems)
    if session.execute(select(Partner.id).where(Partner.node_id == node_id)).first():
        raise Conflict(N_("A partner with node id {node} already exists."), node=node_id)
    secret = inbound_secret or SECRET_PREFIX + secrets.token_urlsafe(32)
    partner = Partner(
        node_id=node_id,
        country=country,
        display_name=display_name or node_id,
        base_url=base_url.rstrip("/"),
        public_key=public_key,
        inbound_secret_hash=_digest(secret),
        inbound_secret_prefix=secret[:8],
        outbound_secret=outbound_secret,
        enabled=True,
        created_at=now(),
    )
    session.add(partner)
    session.flush()
    audit.append(
        session,
        actor.username,
        "partner.add",
        node_id,
        details={"country": country, "base_url": partner.base_url, "public_key": public_key},
    )
    return AddedPartner(partner, secret)


def list_partners(session: Session, actor: Principal) -> list[Partner]:
    require(actor, "records.read")
    return list(session.execute(select(Partner).order_by(Partner.node_id)).scalars())


def get_partner(session: Session, node_id: str) -> Partner:
    partner = session.execute(
        select(Partner).where(Partner.node_id == node_id)
    ).scalar_one_or_none()
    if partner is None:
        raise NotFound(N_("No partner with node id {node}."), node=node_id)
    return partner


def set_enabled(session: Session, actor: Principal, node_id: str, enabled: bool) -> Partner:
    """Disable a partner (it can no longer sign in or be pulled from), or enable it again."""
    require(actor, "accounts.admin")
    partner = get_partner(session, node_id)
    partner.enabled = enabled
    partner.disabled_at = None if enabled else now()
    audit.append(session, actor.username, "partner.enable" if enabled else "partner.disable",
                 node_id)  # fmt: skip
    return partner


def is_partner(session: Session, node_id: str) -> bool:
    """Whether ``node_id`` names a partner node of this one (enabled or not)."""
    return session.execute(select(Partner.id).where(Partner.node_id == node_id)).first() is not None


def node_countries(session: Session) -> list[tuple[str, str]]:
    """Every partner's (node id, country), enabled or not: how a record's named recipients
    may name its users (registered with records by :func:`puente.domains.install`)."""
    rows = session.execute(select(Partner.node_id, Partner.country)).all()
    return [(node_id, country) for node_id, country in rows]


def authenticate(session: Session, node_id: str, secret: str) -> PartnerPrincipal:
    """The partner signing in with HTTP Basic; one refusal for every way of being wrong."""
    partner = session.execute(
        select(Partner).where(Partner.node_id == node_id)
    ).scalar_one_or_none()
    expected = partner.inbound_secret_hash if partner is not None else _digest("no partner")
    if partner is None or not partner.enabled or not hmac.compare_digest(_digest(secret), expected):
        raise Unauthenticated(N_("Unknown partner, wrong secret, or the partner is disabled."))
    return PartnerPrincipal(partner.id, partner.node_id, partner.country)
