"""audit checkpoints

Signed checkpoints of the audit chain: this node's (a copy of the file outside the
database), the partners' it holds as evidence, and how far this node posted its own.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    op.create_index(op.f('ix_audit_checkpoints_seq'), 'audit_checkpoints', ['seq'], unique=False)
    op.create_table('partner_checkpoints',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_checkpoints_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_checkpoints'))
    )
    op.create_index(op.f('ix_partner_checkpoints_partner_id'), 'partner_checkpoints', ['partner_id'], unique=False)
    with op.batch_alter_table('partners') as batch:
        batch.add_column(sa.Column('checkpoint_posted', sa.Integer(), nullable=False,
                                   server_default=sa.text('0')))


def downgrade() -> None:
    with op.batch_alter_table('partners') as batch:
        batch.drop_column('checkpoint_posted')
    op.drop_index(op.f('ix_partner_checkpoints_partner_id'), table_name='partner_checkpoints')
    op.drop_table('partner_checkpoints')
    op.drop_index(op.f('ix_audit_checkpoints_seq'), table_name='audit_checkpoints')
    op.drop_table('audit_checkpoints')
