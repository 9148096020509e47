"""Nodes and users for tests, made in-process with test-strength password hashing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from puente.accounts import service as accounts
from puente.accounts.bootstrap import initialize
from puente.node import Node, public_key_hex
from puente.policy.roles import Principal
from puente.sharing import partners

ADMIN_PASSWORD = "admin-password-1"
# What a United States test node and a Mexico test node issued to each other.
US_SECRET = "issued-by-us-to-mexico-0001"  # Mexico signs in to the US node with it
MX_SECRET = "issued-by-mexico-to-us-0001"
NOWHERE = "http://127.0.0.1:9"  # a partner's address where nothing listens
PASSWORD = "correct-horse-1"

# Argon2id at its lowest cost: a user is made in microseconds instead of ~0.1-0.4 s. Only
# tests use it; tests/test_config.py holds the production defaults unchanged.
FAST_HASHING: dict[str, Any] = {
    "security": {"password_hashing": {"time_cost": 1, "memory_kib": 8, "parallelism": 1}}
}


def make_node(
    data_dir: Path,
    url: str,
    country: str = "USA",
    node_id: str = "us-node",
    *,
    admin_agency: str | None = None,
    sections: dict[str, Any] | None = None,
) -> Node:
    """A node with its agencies and an admin (``admin`` / :data:`ADMIN_PASSWORD`)."""
    return initialize(
        data_dir, node_id, country, f"{country} test node", url, "admin", ADMIN_PASSWORD,
        admin_agency, settings_sections={**FAST_HASHING, **(sections or {})},
    )  # fmt: skip


def admin_of(node: Node) -> Principal:
    with node.db.session() as session:
        return accounts.principal_for(accounts.get_user(session, "admin"), node.settings)


def add_user(node: Node, username: str, agency: str, roles: list[str]) -> Principal:
    """A user of ``node``; one that exists already with this agency and these roles is
    returned as it is (a test may name a recipient before it signs that user in)."""
    from puente.accounts.models import User

    with node.db.session() as session:
        found = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if found is not None:
            if found.agency_code != agency or found.roles.split(",") != list(roles):
                raise ValueError(f"user {username} exists with another agency or roles")
            return accounts.principal_for(found, node.settings)
        admin = accounts.principal_for(accounts.get_user(session, "admin"), node.settings)
        user = accounts.create_user(
            session, admin, username, PASSWORD, agency, roles, username.title(), node.settings
        )
        return accounts.principal_for(user, node.settings)


def token_headers(node: Node, username: str, agency: str, role: str) -> dict[str, str]:
    """A new user's API token, as the Authorization header a client sends."""
    who = add_user(node, username, agency, [role])
    with node.db.session() as session:
        issued = accounts.create_token(session, who, username, "tests", 1)
    return {"Authorization": f"Bearer {issued.token}"}


def pair(us: Node, mx: Node, us_url: str, mx_url: str = NOWHERE) -> None:
    """Make the US node ``us`` and the Mexico node ``mx`` each other's partner, at these
    addresses (what `puente node key` and `puente partner add` do on each side)."""
    for node, other, (node_id, country, url, secret, issued, name) in (
        (us, mx, ("mx-node", "MEX", mx_url, MX_SECRET, US_SECRET, "Nodo México")),
        (mx, us, ("us-node", "USA", us_url, US_SECRET, MX_SECRET, "US node")),
    ):
        with node.db.session() as session:
            partners.add_partner(
                session, admin_of(node), node_id=node_id, country=country, display_name=name,
                base_url=url, public_key=public_key_hex(other.settings),
                outbound_secret=secret, inbound_secret=issued,
            )  # fmt: skip
