"""Settings are validated once, with messages that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from puente.config import load_settings, validate_settings
from puente.errors import ConfigError


def test_a_missing_node_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert "puente init" in str(caught.value)


def test_invalid_settings_name_each_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_settings(
            {
                "node_id": "US NODE",
                "country": "CAN",
                "display_name": "",
                "data_dir": str(tmp_path),
                "limits": {"max_object_bytes": 3},
            }
        )
    message = str(caught.value)
    for field in ("node_id", "country", "display_name", "limits.max_object_bytes"):
        assert field in message


def test_a_broken_settings_file_is_reported_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "puente.toml").write_text("node_id = [", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert "puente.toml is not valid TOML" in str(caught.value)


def test_unknown_country_in_default_markings_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_settings(
            {
                "node_id": "us-1",
                "country": "USA",
                "display_name": "n",
                "data_dir": str(tmp_path),
                "default_markings": {"person": {"rel_to": ["XXX"]}},
            }
        )
    assert "default_markings.person: unknown country XXX" in str(caught.value)


def test_the_owner_country_is_always_in_default_rel_to(tmp_path: Path) -> None:
    settings = validate_settings(
        {"node_id": "mx-1", "country": "MEX", "display_name": "n", "data_dir": str(tmp_path)}
    )
    assert settings.markings_for("person").rel_to == ["MEX"]


def test_password_hashing_keeps_production_strength_unless_a_test_lowers_it(
    tmp_path: Path,
) -> None:
    """Only the test suite lowers Argon2id's cost; a node made without it (as `puente init`
    makes one) hashes at argon2-cffi's memory and passes (64 MiB, 3 passes), on one lane."""
    from puente.accounts.bootstrap import initialize
    from puente.accounts.models import User
    from puente.config import PasswordHashing

    assert PasswordHashing() == PasswordHashing(time_cost=3, memory_kib=65_536, parallelism=1)
    node = initialize(tmp_path / "node", "us-x", "USA", "X", "", "admin", "long-enough-pass-1")
    try:
        assert node.settings.security.password_hashing == PasswordHashing()
        with node.db.session() as session:
            stored = session.query(User).filter_by(username="admin").one().password_hash
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
        written = (tmp_path / "node" / "puente.toml").read_text(encoding="utf-8")
        assert "memory_kib = 65536" in written
    finally:
        node.close()


def test_a_read_replica_is_a_postgresql_server_and_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = {"node_id": "us-node", "country": "USA", "display_name": "US",
            "data_dir": str(tmp_path), "database_url": "postgresql+psycopg://p/db"}  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        validate_settings({**base, "database_replica_url": "sqlite:///replica.db"})
    assert "database_replica_url" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        validate_settings({**base, "replica": {"max_lag_seconds": 0}})
    assert "replica.max_lag_seconds" in str(caught.value)
    assert validate_settings(base).resolved_replica_url == ""

    (tmp_path / "puente.toml").write_text(
        'node_id = "us-node"\ncountry = "USA"\ndisplay_name = "US"\n'
        'database_url = "postgresql+psycopg://p/db"\n[replica]\nmax_lag_seconds = 2.5\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PUENTE_DATABASE_REPLICA_URL", "postgresql+psycopg://r/db")
    settings = load_settings(tmp_path)
    assert settings.resolved_replica_url == "postgresql+psycopg://r/db"
    assert settings.replica.max_lag_seconds == 2.5


@pytest.mark.parametrize(
    ("versions", "reason"),
    [
        ([], "at least one"),
        ([1, 3], "unknown match-key spec version 3"),
        ([2, 1], "increasing order"),
        ([1, 1], "increasing order"),
    ],
)
def test_hit_spec_versions_are_known_ones_in_order(
    tmp_path: Path, versions: list[int], reason: str
) -> None:
    base = {"node_id": "us-node", "country": "USA", "display_name": "US",
            "data_dir": str(tmp_path)}  # fmt: skip
    assert validate_settings(base).hits.spec_versions == [1, 2]
    assert validate_settings(base | {"hits": {"spec_versions": [2]}}).hits.spec_versions == [2]
    with pytest.raises(ConfigError) as caught:
        validate_settings(base | {"hits": {"spec_versions": versions}})
    assert "hits.spec_versions" in str(caught.value)
    assert reason in str(caught.value)


def test_the_settings_know_the_spec_versions_the_keys_are_made_in() -> None:
    from puente import config
    from puente.hits import keys

    assert config.SPEC_VERSIONS == keys.SPEC_VERSIONS
