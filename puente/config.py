"""Node settings: read from ``<data dir>/puente.toml``, validated once by the app factory.

Nothing here runs at import time; :func:`load_settings` is called by the app factory and by
the CLI, and reports every problem with the field it concerns.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from puente.errors import N_, ConfigError

COUNTRIES = ("USA", "MEX")
CONFIG_FILE = "puente.toml"
KEY_FILE = "node_signing_key.pem"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"
# The match-key spec versions this code makes keys for: puente.hits.keys.SPEC_VERSIONS (the
# settings sit below hits, so they name them again; a test holds the two equal).
SPEC_VERSIONS = (1, 2)

Tlp = Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
Handling = Literal["H0", "H1", "H2", "H3"]


class MarkingDefaults(BaseModel):
    """What a new record of one kind is marked with unless its author says otherwise."""

    model_config = ConfigDict(extra="forbid")

    tlp: Tlp = "AMBER"
    rel_to: list[str] = Field(default_factory=list)
    handling: Handling = "H0"
    searchable_by: list[str] = Field(default_factory=list)


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_object_bytes: int = Field(default=1_048_576, ge=1024)
    max_bundle_objects: int = Field(default=250_000, ge=1)
    max_request_bytes: int = Field(default=64 * 1_048_576, ge=1024)
    page_size_max: int = Field(default=500, ge=1)
    # How long a step of bulk work (a partner's TAXII request, a chunk of a command-line
    # import) waits for people's requests in flight to be answered before it goes on anyway
    # (puente.activity); 0 serves bulk work and people alike.
    bulk_wait_ms: int = Field(default=500, ge=0, le=60_000)


class PasswordHashing(BaseModel):
    """Argon2id's cost for new password hashes (RFC 9106). The memory and passes are
    argon2-cffi's defaults (64 MiB, 3 passes); one lane, not its four: four lanes run a hash on
    four threads, and on a server the cores a hash takes are taken from everyone else (fifty
    sign-ins at once stalled a 2-core node for seconds), while one lane costs an attacker the
    same memory and passes a guess. Only the test suite lowers them, so a test node's users are
    made in microseconds. A stored hash carries its own parameters: changing these rehashes
    each password at its owner's next sign-in."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # frozen: a cache key

    time_cost: int = Field(default=3, ge=1, le=100)
    memory_kib: int = Field(default=65_536, ge=8, le=4_194_304)
    parallelism: int = Field(default=1, ge=1, le=64)


class Security(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password_hashing: PasswordHashing = Field(default_factory=PasswordHashing)

    session_hours: int = Field(default=12, ge=1, le=24 * 7)
    # A session left untouched this long ends, whatever session_hours allows.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    token_days: int = Field(default=90, ge=1, le=3650)  # validity when none is asked for
    token_max_days: int = Field(default=365, ge=1, le=3650)  # the longest anyone may ask for
    secure_cookies: bool = False


class Sync(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True  # `puente serve` pulls from every enabled partner on a schedule
    interval_seconds: int = Field(default=60, ge=5, le=86_400)
    page_size: int = Field(default=1000, ge=10, le=5000)


class Hits(BaseModel):
    """Hit/no-hit queries: how much may be asked, and how fresh a query must be."""

    model_config = ConfigDict(extra="forbid")

    queries_per_user_per_day: int = Field(default=200, ge=1, le=100_000)
    # What this node answers each partner node in a day (queries, not keys).
    queries_per_partner_per_day: int = Field(default=5000, ge=1, le=1_000_000)
    max_keys_per_query: int = Field(default=2000, ge=1, le=100_000)
    # A signed query older than this (or as far in the future) is refused as a replay.
    query_max_age_seconds: int = Field(default=300, ge=30, le=3600)
    # The match-key spec versions this node indexes for its partners and asks in: an index a
    # partner and a version, and a query in the highest version both nodes list. While the
    # nodes move to a new version both list the old one too; each drops it once both moved.
    spec_versions: list[int] = Field(default_factory=lambda: list(SPEC_VERSIONS))

    @field_validator("spec_versions")
    @classmethod
    def _known_versions(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("list at least one match-key spec version")
        unknown = sorted(set(value) - set(SPEC_VERSIONS))
        if unknown:
            known = ", ".join(map(str, SPEC_VERSIONS))
            raise ValueError(f"unknown match-key spec version {unknown[0]}; use {known}")
        if value != sorted(set(value)):
            raise ValueError("list each match-key spec version once, in increasing order")
        return value


class Rfis(BaseModel):
    """Requests for information: how long the partner has to answer, per priority."""

    model_config = ConfigDict(extra="forbid")

    due_hours: dict[str, int] = Field(
        default_factory=lambda: {"routine": 48, "priority": 24, "urgent": 8}
    )

    @field_validator("due_hours")
    @classmethod
    def _every_priority_has_hours(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - {"routine", "priority", "urgent"})
        if unknown:
            raise ValueError(f"unknown priority {unknown[0]}; use routine, priority or urgent")
        merged = {"routine": 48, "priority": 24, "urgent": 8} | value
        if any(not 1 <= hours <= 24 * 90 for hours in merged.values()):
            raise ValueError("each priority needs between 1 and 2160 hours")
        return merged


class Plan(BaseModel):
    """The thresholds of the plan's gap rules (docs/plan-gaps.md)."""

    model_config = ConfigDict(extra="forbid")

    # A partner whose last successful sync is older than this is a gap in information sharing.
    sync_lag_hours: int = Field(default=24, ge=1, le=24 * 90)
    # An indicator with no observation in this many months has no data to judge it by.
    indicator_stale_months: int = Field(default=3, ge=1, le=36)


class Audit(BaseModel):
    """Signed checkpoints of the audit chain (docs/auditor.md): how often the node signs its
    chain's head, and where it keeps the copy outside the database."""

    model_config = ConfigDict(extra="forbid")

    # A checkpoint is signed once this many entries were added since the last one ...
    checkpoint_every_entries: int = Field(default=1000, ge=1, le=10_000_000)
    # ... or once this long has passed with any entry added (checked on the scheduler's tick).
    checkpoint_every_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # The append-only file of signed checkpoints; relative to the data directory. Put it on
    # storage the database's administrators cannot write (docs/operator.md).
    checkpoint_file: str = CHECKPOINT_FILE


class Replica(BaseModel):
    """How a PostgreSQL node uses its read replica (``database_replica_url``; docs/operator.md,
    "Replicas"). A replica that is down, or further behind the primary than
    ``max_lag_seconds``, is not read from: the primary serves until it is back."""

    model_config = ConfigDict(extra="forbid")

    max_lag_seconds: float = Field(default=10.0, gt=0, le=3600)
    # How often the replica's replay position and lag are checked (at most; when idle, never).
    check_seconds: float = Field(default=1.0, ge=0, le=60)
    connect_timeout_seconds: int = Field(default=2, ge=1, le=60)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node_id: str
    country: Literal["USA", "MEX"]
    display_name: str = Field(min_length=1)
    data_dir: Path
    database_url: str = ""
    # A PostgreSQL streaming replica of database_url: searches, pages and TAXII reads go to it.
    database_replica_url: str = ""
    replica: Replica = Field(default_factory=Replica)
    default_markings: dict[str, MarkingDefaults] = Field(default_factory=dict)
    limits: Limits = Field(default_factory=Limits)
    security: Security = Field(default_factory=Security)
    sync: Sync = Field(default_factory=Sync)
    hits: Hits = Field(default_factory=Hits)
    rfis: Rfis = Field(default_factory=Rfis)
    plan: Plan = Field(default_factory=Plan)
    audit: Audit = Field(default_factory=Audit)

    @field_validator("node_id")
    @classmethod
    def _node_id_is_a_slug(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", value):
            raise ValueError("use 2 to 63 lowercase letters, digits or hyphens, e.g. us-cbp-1")
        return value

    @field_validator("database_replica_url")
    @classmethod
    def _replica_is_postgresql(cls, value: str) -> str:
        if value and not value.startswith("postgresql"):
            raise ValueError("a read replica is a PostgreSQL server: postgresql+psycopg://…")
        return value

    @property
    def resolved_replica_url(self) -> str:
        """The replica's URL, or "" when reads have nowhere else to go: none is configured, or
        the node runs on SQLite (which ignores the setting)."""
        if not self.resolved_database_url.startswith("postgresql"):
            return ""
        return self.database_replica_url

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'puente.db').resolve()}"

    @property
    def key_path(self) -> Path:
        return self.data_dir / KEY_FILE

    @property
    def checkpoint_path(self) -> Path:
        """The node's checkpoint file (an absolute ``audit.checkpoint_file`` stays as it is)."""
        return self.data_dir / self.audit.checkpoint_file

    def markings_for(self, kind: str) -> MarkingDefaults:
        defaults = self.default_markings.get(kind) or self.default_markings.get("*")
        base = defaults or MarkingDefaults()
        rel_to = sorted({*base.rel_to, self.country})
        return base.model_copy(update={"rel_to": rel_to})


def default_data_dir() -> Path:
    return Path(os.environ.get("PUENTE_HOME", "puente-data"))


def load_settings(data_dir: Path | None = None) -> Settings:
    """Read and validate a node's settings; raise :class:`ConfigError` naming each bad field."""
    directory = data_dir or default_data_dir()
    path = directory / CONFIG_FILE
    if not path.exists():
        raise ConfigError(
            N_("No node is configured in {path}: run `puente init` first."), path=str(path)
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            N_("{path} is not valid TOML: {reason}"), path=str(path), reason=str(exc)
        ) from None
    raw["data_dir"] = str(directory)
    if url := os.environ.get("PUENTE_DATABASE_URL"):
        raw["database_url"] = url
    if url := os.environ.get("PUENTE_DATABASE_REPLICA_URL"):
        raw["database_replica_url"] = url
    return validate_settings(raw, source=str(path))


def validate_settings(raw: dict[str, object], source: str = "settings") -> Settings:
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError(
            N_("Invalid settings in {source}: {details}"), source=source, details="; ".join(lines)
        ) from None
    for kind, marking in settings.default_markings.items():
        for country in (*marking.rel_to, *marking.searchable_by):
            if country not in COUNTRIES:
                raise ConfigError(
                    N_(
                        "Invalid settings in {source}: default_markings.{kind}: unknown country {country}"
                    ),
                    source=source,
                    kind=kind,
                    country=country,
                )
    return settings


def write_settings(settings: Settings) -> Path:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    data = settings.model_dump(mode="json", exclude={"data_dir"})
    path = settings.data_dir / CONFIG_FILE
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path
