"""recall notices

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:21:55.723377
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recall_notices',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('record_id', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recalled_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ack_body', sa.Text(), nullable=False),
    sa.Column('ack_posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('purged_versions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_recall_notices_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', 'partner_id', name=op.f('pk_recall_notices'))
    )
    with op.batch_alter_table('recall_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recall_notices_record_id'), ['record_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recall_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recall_notices_record_id'))

    op.drop_table('recall_notices')
