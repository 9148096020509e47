"""Shared fixtures: a fresh node per test, on SQLite by default or on PostgreSQL.

Set PUENTE_TEST_DATABASE_URL (e.g. postgresql+psycopg://root@127.0.0.1:5432/test) to run the
suite on PostgreSQL: each test then gets a schema of its own in that database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from puente.accounts import service as accounts
from puente.accounts.service import Principal
from puente.node import Node, initialize

if TYPE_CHECKING:
    from tests.linked import Linked

PG_URL = os.environ.get("PUENTE_TEST_DATABASE_URL", "")
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "correct-horse-1"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database for one test."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'puente.db'}"
        return
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def make_node(data_dir: Path, url: str, country: str = "USA", node_id: str = "us-node") -> Node:
    return initialize(
        data_dir, node_id, country, f"{country} test node", url, "admin", ADMIN_PASSWORD
    )


@pytest.fixture
def node(tmp_path: Path, database_url: str) -> Iterator[Node]:
    """A United States node with its agencies and an admin."""
    the_node = make_node(tmp_path / "node", database_url)
    yield the_node
    the_node.close()


def add_user(node: Node, username: str, agency: str, roles: list[str]) -> Principal:
    with node.db.session() as session:
        admin = accounts.principal_for(accounts.get_user(session, "admin"), node.settings)
        user = accounts.create_user(
            session, admin, username, PASSWORD, agency, roles, username.title(), node.settings
        )
        return accounts.principal_for(user, node.settings)


@pytest.fixture
def admin(node: Node) -> Principal:
    with node.db.session() as session:
        return accounts.principal_for(accounts.get_user(session, "admin"), node.settings)


@pytest.fixture
def analyst(node: Node) -> Principal:
    """An analyst at CBP."""
    return add_user(node, "ana", "CBP", ["analyst"])


@pytest.fixture
def auditor(node: Node) -> Principal:
    return add_user(node, "otto", "INL", ["auditor"])


@pytest.fixture
def linked(
    node: Node, admin: Principal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Linked]:
    """Two nodes in one process: Mexico's calls to the partner reach the US node's app."""
    from tests.linked import link

    yield from link(node, admin, tmp_path, monkeypatch)


def _pango() -> bool:
    try:
        import weasyprint  # noqa: F401 - loads the system's Pango, or fails
    except OSError:
        return False
    return True


# The PDF briefing needs WeasyPrint, and WeasyPrint the system's Pango (Debian's
# libpango-1.0-0); .ci/run installs it, a machine without it skips these tests and says why.
needs_pango = pytest.mark.skipif(
    not _pango(), reason="WeasyPrint needs the system's Pango (apt-get install libpango-1.0-0)"
)
