"""hit/no-hit queries (sent and received) and the copy of each partner's published index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 13:19:50.791189
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hit_partner_prints',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.LargeBinary(length=8), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_hit_partner_prints_partner_id_partners')),
    sa.PrimaryKeyConstraint('partner_id', 'fingerprint', name=op.f('pk_hit_partner_prints'))
    )
    op.create_table('hit_partner_states',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('key_count', sa.Integer(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_hit_partner_states_partner_id_partners')),
    sa.PrimaryKeyConstraint('partner_id', name=op.f('pk_hit_partner_states'))
    )
    op.create_table('hit_queries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('agency', sa.String(length=16), nullable=False),
    sa.Column('case_reference', sa.String(length=200), nullable=False),
    sa.Column('legal_basis', sa.String(length=500), nullable=False),
    sa.Column('key_count', sa.Integer(), nullable=False),
    sa.Column('categories', sa.String(length=100), nullable=False),
    sa.Column('hits', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_hit_queries_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', 'direction', name=op.f('pk_hit_queries'))
    )
    with op.batch_alter_table('hit_queries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hit_queries_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hit_queries_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hit_queries_username'), ['username'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hit_queries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hit_queries_username'))
        batch_op.drop_index(batch_op.f('ix_hit_queries_partner_id'))
        batch_op.drop_index(batch_op.f('ix_hit_queries_created_at'))

    op.drop_table('hit_queries')
    op.drop_table('hit_partner_states')
    op.drop_table('hit_partner_prints')
