"""Record tables: one row per object version, plus the references between records."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from puente.db import Base

# SQLite: the FTS5 table (trigram tokenizer) over current versions' search_text that
# records.finder asks for rare words; made and kept by migration 0025's triggers, not a model.
TEXT_TABLE = "records_text"


class Record(Base):
    """One version of a STIX object, stored verbatim with the columns the node queries."""

    __tablename__ = "records"
    __table_args__ = (
        # Also the index for lookups by stix_id alone (its leading column): a second index on
        # stix_id would only slow every insert down.
        Index("uq_records_version", "stix_id", "modified_key", unique=True),
        Index("ix_records_current_type", "is_current", "type"),
        # Search filters by kind and TLP together (and by kind alone, the leading columns),
        # newest first: pk last, so that the filtered rows come in pk order (SQLite has the
        # rowid there anyway; PostgreSQL walks it without the table, see records.finder).
        Index("ix_records_current_kind_tlp", "is_current", "kind", "tlp", "pk"),
        # PostgreSQL: the text index records.finder asks for rare words (migration 0025, which
        # goes on without it where the role may not create pg_trgm).
        Index(
            "ix_records_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            postgresql_where=text("is_current IS true"),
        ).ddl_if(dialect="postgresql"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(250))
    kind: Mapped[str] = mapped_column(String(32))
    modified_key: Mapped[str] = mapped_column(String(32))
    created_key: Mapped[str] = mapped_column(String(32))
    date_added: Mapped[str] = mapped_column(String(32), index=True)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    recalled: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_node: Mapped[str] = mapped_column(String(64))
    owner_country: Mapped[str] = mapped_column(String(3))
    received: Mapped[bool] = mapped_column(Boolean, default=False)
    originating_agency: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    tlp: Mapped[str] = mapped_column(String(16))
    # Sets are stored as ",A,B," so one LIKE '%,X,%' tests membership on every backend.
    rel_to: Mapped[str] = mapped_column(String(200))
    agencies: Mapped[str] = mapped_column(String(400), default="")
    handling: Mapped[str] = mapped_column(String(2))
    handling_text: Mapped[str] = mapped_column(String(500), default="")
    searchable_by: Mapped[str] = mapped_column(String(200), default="")
    reliability: Mapped[str] = mapped_column(String(1), default="")
    credibility: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str] = mapped_column(String(300))
    search_text: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))


class RecordRef(Base):
    """A reference from one record version to another object (relationships, notes, reports)."""

    __tablename__ = "record_refs"
    # On PostgreSQL the same rule is checked once a statement, not once a row (migration 0026).
    __table_args__ = (
        ForeignKeyConstraint(["record_pk"], ["records.pk"], ondelete="CASCADE").ddl_if(
            dialect="sqlite"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_pk: Mapped[int] = mapped_column(Integer, index=True)
    source_id: Mapped[str] = mapped_column(String(300))
    prop: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(300), index=True)


class RecordCopy(Base):
    """A record this node made as a copy of another of its own records (a release answering a
    request for information): recalling the original recalls the copy too. Kept here, not in
    the copy's content, so the partner never learns the original's id."""

    __tablename__ = "record_copies"

    copy_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    original_id: Mapped[str] = mapped_column(String(300), index=True)


class Definition(Base):
    """An object every node publishes beside its records: Puente's extension definitions and
    their publisher, the TLP 2.0 marking definitions and the agencies' identities (see
    :mod:`puente.records.definitions`). Not record content, and carries no markings: the
    objects in every TAXII collection point at these, so each collection serves them too.
    Kept with the date it was added, as a record is, so a reader paging by date_added gets a
    definition a later release adds."""

    __tablename__ = "definitions"
    __table_args__ = (Index("uq_definitions_version", "stix_id", "modified_key", unique=True),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(300))
    modified_key: Mapped[str] = mapped_column(String(32))
    date_added: Mapped[str] = mapped_column(String(32), index=True)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
