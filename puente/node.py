"""A node: its validated settings and its database, opened once by the app factory or CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from puente.accounts import service as accounts
from puente.config import (
    MarkingDefaults,
    Settings,
    load_settings,
    validate_settings,
    write_settings,
)
from puente.db import Database, schema_is_current, upgrade
from puente.errors import N_, ConfigError


@dataclass
class Node:
    settings: Settings
    db: Database

    def close(self) -> None:
        self.db.dispose()


def open_node(data_dir: Path | None = None, migrate: bool = True) -> Node:
    settings = load_settings(data_dir)
    database = Database(settings.resolved_database_url)
    if migrate and not schema_is_current(database.engine):
        upgrade(settings.resolved_database_url)
    return Node(settings, database)


DEFAULT_MARKINGS = {
    "*": MarkingDefaults(tlp="AMBER", handling="H0"),
    "location": MarkingDefaults(tlp="CLEAR", handling="H0"),
    "person": MarkingDefaults(tlp="AMBER", handling="H2"),
}


def generate_key(path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pem)
    path.chmod(0o600)


def public_key_hex(settings: Settings) -> str:
    key = serialization.load_pem_private_key(settings.key_path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(N_("{path} does not hold an Ed25519 key."), path=str(settings.key_path))
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex()
    )


def initialize(
    data_dir: Path,
    node_id: str,
    country: str,
    display_name: str,
    database_url: str,
    admin_username: str,
    admin_password: str,
    admin_agency: str | None = None,
    partner_country: str | None = None,
    settings_sections: Mapping[str, Any] | None = None,
) -> Node:
    """Create a node: settings, signing key, schema, agencies and the first admin.

    ``settings_sections`` gives whole sections of the settings file (``{"sync": {...}}``)
    instead of their defaults."""
    from puente.config import CONFIG_FILE

    if (data_dir / CONFIG_FILE).exists():
        raise ConfigError(N_("A node already exists in {path}."), path=str(data_dir))
    partner = partner_country or ("MEX" if country == "USA" else "USA")
    defaults = {
        kind: m.model_copy(
            update={
                "rel_to": sorted({country, partner}) if kind == "location" else [country],
                "searchable_by": [partner] if kind == "person" else [],
            }
        )
        for kind, m in DEFAULT_MARKINGS.items()
    }
    settings = validate_settings(
        {
            "node_id": node_id,
            "country": country,
            "display_name": display_name,
            "data_dir": str(data_dir),
            "database_url": database_url,
            "default_markings": {k: v.model_dump() for k, v in defaults.items()},
            **(settings_sections or {}),
        }
    )
    from puente.accounts.agencies import for_country

    agency = admin_agency or for_country(country)[0].code
    data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    if not schema_is_current(database.engine):
        upgrade(settings.resolved_database_url)
    node = Node(settings, database)
    try:
        with node.db.session() as session:
            accounts.seed_agencies(session, country)
            accounts.create_user(
                session,
                accounts.system_principal(settings),
                admin_username,
                admin_password,
                agency,
                ["admin"],
                "Administrator",
                settings,
            )
    except Exception:
        node.close()
        raise
    generate_key(settings.key_path)
    write_settings(settings)
    return node
