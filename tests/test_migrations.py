"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from puente.db import upgrade
from puente.models import Base


def test_migrations_match_the_models(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_twice_changes_nothing(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)


def test_schema_head_names_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    from puente.db import SCHEMA_HEAD, alembic_config

    assert (
        ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() == SCHEMA_HEAD
    )


def test_a_node_opened_on_an_old_schema_is_upgraded(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from puente.accounts.bootstrap import initialize
    from puente.db import alembic_config
    from puente.node import open_node

    node = initialize(tmp_path / "node", "us-x", "USA", "X", "", "admin", "long-enough-pass-1")
    url = node.settings.resolved_database_url
    node.close()
    command.downgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    assert "ix_record_refs_source_id" in {
        i["name"] for i in inspect(engine).get_indexes("record_refs")
    }
    engine.dispose()
    reopened = open_node(tmp_path / "node")
    indexes = {i["name"] for i in inspect(reopened.db.engine).get_indexes("record_refs")}
    reopened.close()
    assert "ix_record_refs_source_id" not in indexes
