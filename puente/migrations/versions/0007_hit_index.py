"""hit/no-hit index: per-partner fingerprints of match keys, and each index's state

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 13:13:47.436398
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hit_index_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('record_pk', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.LargeBinary(length=8), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('removed_seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_hit_index_entries_partner_id_partners')),
    sa.ForeignKeyConstraint(['record_pk'], ['records.pk'], name=op.f('fk_hit_index_entries_record_pk_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hit_index_entries'))
    )
    with op.batch_alter_table('hit_index_entries', schema=None) as batch_op:
        batch_op.create_index('ix_hit_index_entries_partner_fingerprint', ['partner_id', 'fingerprint'], unique=False)
        batch_op.create_index('ix_hit_index_entries_partner_record', ['partner_id', 'record_pk'], unique=False)
        batch_op.create_index('ix_hit_index_entries_partner_removed', ['partner_id', 'removed_seq'], unique=False)
        batch_op.create_index('ix_hit_index_entries_partner_seq', ['partner_id', 'seq'], unique=False)

    op.create_table('hit_index_states',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.LargeBinary(length=32), nullable=False),
    sa.Column('watermark', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('key_count', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_hit_index_states_partner_id_partners')),
    sa.PrimaryKeyConstraint('partner_id', name=op.f('pk_hit_index_states'))
    )


def downgrade() -> None:
    op.drop_table('hit_index_states')
    with op.batch_alter_table('hit_index_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_hit_index_entries_partner_seq')
        batch_op.drop_index('ix_hit_index_entries_partner_removed')
        batch_op.drop_index('ix_hit_index_entries_partner_record')
        batch_op.drop_index('ix_hit_index_entries_partner_fingerprint')

    op.drop_table('hit_index_entries')
