"""Shared fixtures: a fresh node per test, on SQLite by default or on PostgreSQL.

Each test's database is a copy of one template migrated once per session (see
tests/support/databases.py); set PUENTE_TEST_DATABASE_URL to run the suite on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from puente import domains
from puente.node import Node
from puente.policy.roles import Principal
from tests.support import databases
from tests.support.nodes import add_user, admin_of, make_node

if TYPE_CHECKING:
    from tests.support.linked import Linked

# pytest-xdist's workers start with COLUMNS=80, which Rich reads once, as the CLI's consoles
# are made (on importing puente.cli, perhaps by a conftest below this one), and keeps: the
# suite runs as a plain `pytest` does, without it.
os.environ.pop("COLUMNS", None)
# The domains register with the layers below them, as the app and the command line do.
domains.install()

# What a test's database is made of: a test that asks for none of these runs on SQLite files of
# its own whatever PUENTE_TEST_DATABASE_URL says.
DATABASE_FIXTURES = {"new_database", "empty_database_url"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only the tests whose database comes from the fixtures below (or that
    are marked ``postgresql``: they reach a server themselves). The others never touch
    PostgreSQL: they ran already, the same way, in the SQLite run of the suite."""
    if not databases.on_postgresql():
        return
    selected, deselected = [], []
    for item in items:
        uses_postgresql = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses_postgresql or item.get_closest_marker("postgresql"):
            selected.append(item)
        else:
            deselected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_sessionfinish(session: pytest.Session) -> None:
    # pytest-xdist's workers may end without running atexit: drop the last databases here.
    databases.drop_pending()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database at the newest schema, made once per session (and xdist worker)."""
    return databases.sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def new_database(sqlite_template: Path) -> Iterator[Callable[[Path], str]]:
    """Makes a database at the newest schema, for a test or a module's shared state: on
    PostgreSQL when PUENTE_TEST_DATABASE_URL is set (its maker drops it with
    :func:`databases.drop`), else a SQLite file in the given folder."""
    if not databases.on_postgresql():
        yield lambda folder: databases.sqlite_copy(sqlite_template, folder)
        return
    template = databases.postgresql_template()
    yield lambda _folder: databases.postgresql_copy(template)
    databases.drop(template)


@pytest.fixture
def database_url(tmp_path: Path, new_database: Callable[[Path], str]) -> Iterator[str]:
    """The database of one test, already at the newest schema."""
    url = new_database(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def partner_database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """The database of a second node in a test, in a SQLite file of its own (the test's own
    database holds the first node)."""
    return databases.sqlite_copy(sqlite_template, tmp_path, "partner.db")


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database of one test with no tables at all, for the migrations' own tests."""
    if not databases.on_postgresql():
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = databases.postgresql_empty()
    yield url
    databases.drop(url)


@pytest.fixture
def node(tmp_path: Path, database_url: str) -> Iterator[Node]:
    """A United States node with its agencies and an admin."""
    the_node = make_node(tmp_path / "node", database_url)
    yield the_node
    the_node.close()


@pytest.fixture
def admin(node: Node) -> Principal:
    return admin_of(node)


@pytest.fixture
def analyst(node: Node) -> Principal:
    """An analyst at CBP."""
    return add_user(node, "ana", "CBP", ["analyst"])


@pytest.fixture
def auditor(node: Node) -> Principal:
    return add_user(node, "otto", "INL", ["auditor"])


@pytest.fixture
def linked(
    node: Node,
    tmp_path: Path,
    partner_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Linked]:
    """Two nodes in one process: Mexico's calls to the partner reach the US node's app."""
    from tests.support.linked import link

    yield from link(node, tmp_path, partner_database_url, monkeypatch)
