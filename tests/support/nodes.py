"""Nodes and users for tests, made in-process with test-strength password hashing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from puente.accounts import service as accounts
from puente.accounts.bootstrap import initialize
from puente.node import Node
from puente.policy.roles import Principal

ADMIN_PASSWORD = "admin-password-1"
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
    with node.db.session() as session:
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
