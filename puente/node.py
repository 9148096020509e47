"""A node: its validated settings and its database, opened once by the app factory or CLI
(a new node is made by :func:`puente.accounts.bootstrap.initialize`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from puente import signing
from puente.config import Settings, load_settings
from puente.db import Database, ReplicaOptions, schema_is_current, upgrade
from puente.statistics import optimize_on_close


@dataclass
class Node:
    settings: Settings
    db: Database

    def __post_init__(self) -> None:
        optimize_on_close(self.db.engine)  # SQLite's statistics, as each connection closes

    def close(self) -> None:
        self.db.dispose()


def open_node(data_dir: Path | None = None, migrate: bool = True) -> Node:
    settings = load_settings(data_dir)
    database = open_database(settings)
    if migrate and not schema_is_current(database.engine):
        upgrade(settings.resolved_database_url)
    return Node(settings, database)


def open_database(settings: Settings) -> Database:
    """The node's database, with its read replica when one is configured (PostgreSQL only)."""
    options = settings.replica
    return Database(
        settings.resolved_database_url,
        replica_url=settings.resolved_replica_url,
        replica_options=ReplicaOptions(
            max_lag_seconds=options.max_lag_seconds,
            check_seconds=options.check_seconds,
            connect_timeout_seconds=options.connect_timeout_seconds,
        ),
    )


def generate_key(path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pem)
    path.chmod(0o600)


def public_key_hex(settings: Settings) -> str:
    return signing.public_key_hex(settings.key_path)
