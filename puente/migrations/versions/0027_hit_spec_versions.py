"""hit spec versions: an index per partner and match-key spec version; the version of a copy,
of what a partner serves, and of each query

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 21:00:00.000000

Two nodes may run different match-key spec versions for a while (docs/match-keys.md,
"Versions"): the asked node keeps an index a partner and a version, each with its own secret,
sequence and watermark; the asking node notes which version its copy of the partner's index
follows and which versions the partner serves; a query notes the version its keys followed.
Everything that was there follows version 1, the only one there was.
"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

ONE = sa.text('1')
# (old name, new name, columns after partner_id): the entries' indexes, one index a version.
INDEXES = (
    ('ix_hit_index_entries_partner_seq', 'ix_hit_index_entries_index_seq', 'seq'),
    ('ix_hit_index_entries_partner_removed', 'ix_hit_index_entries_index_removed', 'removed_seq'),
    ('ix_hit_index_entries_partner_record', 'ix_hit_index_entries_index_record', 'record_pk'),
    ('ix_hit_index_entries_partner_fingerprint', 'ix_hit_index_entries_index_fingerprint',
     'fingerprint'),
)


def upgrade() -> None:
    with op.batch_alter_table('hit_index_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spec_version', sa.Integer(), nullable=False,
                                      server_default=ONE))
        batch_op.drop_constraint('pk_hit_index_states', type_='primary')
        batch_op.create_primary_key('pk_hit_index_states', ['partner_id', 'spec_version'])
    with op.batch_alter_table('hit_index_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spec_version', sa.Integer(), nullable=False,
                                      server_default=ONE))
        for old, new, column in INDEXES:
            batch_op.drop_index(old)
            batch_op.create_index(new, ['partner_id', 'spec_version', column], unique=False)
    with op.batch_alter_table('hit_partner_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spec_version', sa.Integer(), nullable=False,
                                      server_default=ONE))
        batch_op.add_column(sa.Column('partner_versions', sa.String(length=40), nullable=False,
                                      server_default='1'))
    with op.batch_alter_table('hit_queries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spec_version', sa.Integer(), nullable=False,
                                      server_default=ONE))


def downgrade() -> None:
    # The indexes of other versions than 1 go: version 1's is what the schema before knew.
    op.execute("DELETE FROM hit_index_entries WHERE spec_version <> 1")
    op.execute("DELETE FROM hit_index_states WHERE spec_version <> 1")
    # A copy of a partner's index in another version would be read as version 1's: dropped,
    # the next download brings version 1's whole.
    op.execute("DELETE FROM hit_partner_prints WHERE partner_id IN ("
               "SELECT partner_id FROM hit_partner_states WHERE spec_version <> 1)")
    op.execute("DELETE FROM hit_partner_states WHERE spec_version <> 1")
    with op.batch_alter_table('hit_queries', schema=None) as batch_op:
        batch_op.drop_column('spec_version')
    with op.batch_alter_table('hit_partner_states', schema=None) as batch_op:
        batch_op.drop_column('partner_versions')
        batch_op.drop_column('spec_version')
    with op.batch_alter_table('hit_index_entries', schema=None) as batch_op:
        for old, new, column in INDEXES:
            batch_op.drop_index(new)
            batch_op.create_index(old, ['partner_id', column], unique=False)
        batch_op.drop_column('spec_version')
    with op.batch_alter_table('hit_index_states', schema=None) as batch_op:
        batch_op.drop_constraint('pk_hit_index_states', type_='primary')
        batch_op.create_primary_key('pk_hit_index_states', ['partner_id'])
        batch_op.drop_column('spec_version')
