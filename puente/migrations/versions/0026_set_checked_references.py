"""set-checked references: on PostgreSQL, record_refs and received_versions are checked once a
statement, not once a row

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 18:00:00.000000

A foreign key is checked row by row: for each row written to record_refs or received_versions
PostgreSQL looks the record (and the partner) up again and locks it, which cost the bulk paths
(an import writes a row of record_refs for most objects, a pull a row of received_versions for
each) about a sixth of the database's time an object (bench/ingest_pg.py). Here the same rules
hold, checked once a statement over all its rows (triggers with transition tables):

- a row of either table must name an existing record (and a received version an existing
  partner), on INSERT and on UPDATE;
- deleting records deletes their rows in both tables (what ON DELETE CASCADE did);
- a partner whose received versions are kept cannot be deleted, and no record's or partner's
  key can change under the rows that name it (what the keys' default NO ACTION did).

What the row locks added and this does not: a record deleted by another transaction after a
row naming it was checked, before that row's transaction commits. Puente never deletes a record
a writer may be naming (records are versions, kept; a recall purges content, not rows), so
that race has no writer. SQLite keeps its foreign keys: it checks them row by row cheaply.
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# (table, constraint, column, referred table, referred column, on delete): the keys replaced.
KEYS = (
    ("record_refs", "fk_record_refs_record_pk_records", "record_pk", "records", "pk", "CASCADE"),
    ("received_versions", "fk_received_versions_record_pk_records", "record_pk", "records",
     "pk", "CASCADE"),
    ("received_versions", "fk_received_versions_partner_id_partners", "partner_id", "partners",
     "id", None),
)  # fmt: skip
CHECKED = ("record_refs", "received_versions")  # the tables whose rows name others


def _checks(table: str) -> str:
    """The function checking, once a statement, the rows written to ``table``: one test a key,
    each raising SQLSTATE 23503 (foreign_key_violation), as the key it replaces did."""
    tests = "".join(  # constant names of this module only, never input
        f"""
        IF EXISTS (SELECT 1 FROM written w WHERE NOT EXISTS (
                SELECT 1 FROM {referred} r WHERE r.{key} = w.{column})) THEN
            RAISE foreign_key_violation
                USING MESSAGE = '{table}.{column} names no row of {referred}';
        END IF;"""  # noqa: S608
        for owner, _, column, referred, key, _ in KEYS
        if owner == table
    )
    return f"""
    CREATE FUNCTION puente_{table}_checked() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN{tests}
        RETURN NULL;
    END $$
    """


FUNCTIONS = (
    *(_checks(table) for table in CHECKED),
    """
    CREATE FUNCTION puente_records_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM record_refs WHERE record_pk IN (SELECT pk FROM removed);
        DELETE FROM received_versions WHERE record_pk IN (SELECT pk FROM removed);
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION puente_partners_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM received_versions v WHERE v.partner_id IN (
                SELECT id FROM removed)) THEN
            RAISE foreign_key_violation
                USING MESSAGE = 'the partner''s received versions are kept: it cannot be deleted';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION puente_key_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE foreign_key_violation
            USING MESSAGE = format('the key of %I is named elsewhere: it cannot change',
                                   TG_TABLE_NAME);
    END $$
    """,
)
FUNCTION_NAMES = (*(f"puente_{table}_checked" for table in CHECKED), "puente_records_deleted",
                  "puente_partners_deleted", "puente_key_kept")  # fmt: skip

# (name, table, when it fires, function). A trigger with transition tables serves one event:
# INSERT and UPDATE each have theirs.
TRIGGERS = (
    *(
        (f"{table}_{done}", table,
         f"AFTER {event} ON {table} REFERENCING NEW TABLE AS written FOR EACH STATEMENT",
         f"puente_{table}_checked")
        for table in CHECKED
        for event, done in (("INSERT", "inserted"), ("UPDATE", "updated"))
    ),
    ("records_deleted", "records",
     "AFTER DELETE ON records REFERENCING OLD TABLE AS removed FOR EACH STATEMENT",
     "puente_records_deleted"),
    ("partners_deleted", "partners",
     "AFTER DELETE ON partners REFERENCING OLD TABLE AS removed FOR EACH STATEMENT",
     "puente_partners_deleted"),
    ("records_key_kept", "records",
     "BEFORE UPDATE OF pk ON records FOR EACH ROW WHEN (old.pk IS DISTINCT FROM new.pk)",
     "puente_key_kept"),
    ("partners_key_kept", "partners",
     "BEFORE UPDATE OF id ON partners FOR EACH ROW WHEN (old.id IS DISTINCT FROM new.id)",
     "puente_key_kept"),
)  # fmt: skip


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, name, *_ in KEYS:
        op.drop_constraint(name, table, type_="foreignkey")
    for function in FUNCTIONS:
        op.execute(function)
    for name, _, when, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {function}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for function in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    for table, name, column, referred, referred_column, on_delete in KEYS:
        op.create_foreign_key(name, table, referred, [column], [referred_column],
                              ondelete=on_delete)  # fmt: skip
