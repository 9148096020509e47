"""A new node: its settings, signing key, schema, agencies and first administrator."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from puente.accounts import service as accounts
from puente.config import (
    CONFIG_FILE,
    MarkingDefaults,
    validate_settings,
    write_settings,
)
from puente.db import Database, schema_is_current, upgrade
from puente.errors import N_, ConfigError
from puente.node import Node, generate_key
from puente.policy.agencies import for_country

DEFAULT_MARKINGS = {
    "*": MarkingDefaults(tlp="AMBER", handling="H0"),
    "location": MarkingDefaults(tlp="CLEAR", handling="H0"),
    "person": MarkingDefaults(tlp="AMBER", handling="H2"),
}


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
