"""search index: a text index over current records' search text; kind and TLP index by pk

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-09 09:00:00.000000

records.finder asks a text index for the records with rare words below its newest-first
walk. On PostgreSQL that is a GIN index with pg_trgm's operator class over the search text of
current versions: it serves the finder's LIKE '%word%' conditions as they are. Creating the
extension needs a role that may (the database owner, from PostgreSQL 13, for this trusted
extension); if this node's role may not, the migration says so and goes on without the index:
search still answers, correctly, but reads every candidate for a rare word. An administrator
can then run, in the node's database:

    CREATE EXTENSION pg_trgm;
    CREATE INDEX CONCURRENTLY ix_records_search_trgm ON records
        USING gin (search_text gin_trgm_ops) WHERE is_current IS true;

On SQLite, the text index is an FTS5 table with the trigram tokenizer over the same text,
records_text, holding current versions only (external content: the text stays in records),
kept by triggers on records; the finder asks it with MATCH for the trigrams of each word
(three characters or more) and checks its answers with the same LIKE conditions. It keeps no
positions and no sizes (detail=none, columnsize=0): smaller, and cheaper to keep on import.

The index by kind and TLP takes the pk as its last column, so that the filtered rows come
newest first from the index (the finder's walk; PostgreSQL has no rowid there).
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

log = logging.getLogger("puente.migrations")
INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_records_search_trgm ON records "
    "USING gin (search_text gin_trgm_ops) WHERE is_current IS true"
)


SQLITE = (
    "CREATE VIRTUAL TABLE records_text USING fts5(search_text, content='records', "
    "content_rowid='pk', tokenize='trigram', detail='none', columnsize=0)",
    "INSERT INTO records_text (rowid, search_text) "
    "SELECT pk, search_text FROM records WHERE is_current",
    # A version enters when it is current, leaves when it no longer is or is deleted (a purge).
    "CREATE TRIGGER records_text_insert AFTER INSERT ON records WHEN new.is_current BEGIN "
    "INSERT INTO records_text (rowid, search_text) VALUES (new.pk, new.search_text); END",
    "CREATE TRIGGER records_text_delete AFTER DELETE ON records WHEN old.is_current BEGIN "
    "INSERT INTO records_text (records_text, rowid, search_text) "
    "VALUES ('delete', old.pk, old.search_text); END",
    "CREATE TRIGGER records_text_update AFTER UPDATE OF is_current, search_text ON records "
    "WHEN old.is_current OR new.is_current BEGIN "
    "INSERT INTO records_text (records_text, rowid, search_text) "
    "SELECT 'delete', old.pk, old.search_text WHERE old.is_current; "
    "INSERT INTO records_text (rowid, search_text) "
    "SELECT new.pk, new.search_text WHERE new.is_current; END",
)


def upgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_current_kind_tlp')
        batch_op.create_index(
            'ix_records_current_kind_tlp', ['is_current', 'kind', 'tlp', 'pk'], unique=False
        )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
        return
    if bind.dialect.name != "postgresql":
        return
    present = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
    if present.scalar() is None:
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except sa.exc.DBAPIError as exc:
            message = (
                "Puente: this database role may not create the pg_trgm extension "
                f"({exc.orig}). Search works without it but reads every candidate for a "
                "rare word. Ask an administrator to run CREATE EXTENSION pg_trgm; then "
                + INDEX.replace("IF NOT EXISTS", "CONCURRENTLY") + "; in this database."
            )
            log.warning(message)
            return
    op.execute(INDEX)


def downgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_current_kind_tlp')
        batch_op.create_index(
            'ix_records_current_kind_tlp', ['is_current', 'kind', 'tlp'], unique=False
        )
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS records_text_{trigger}")
        op.execute("DROP TABLE IF EXISTS records_text")
        return
    op.execute("DROP INDEX IF EXISTS ix_records_search_trgm")
