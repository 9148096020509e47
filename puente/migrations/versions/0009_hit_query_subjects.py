"""the subjects a sent hit/no-hit query asked about, and what hit for each

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hit_queries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subjects', sa.Text(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('hit_queries', schema=None) as batch_op:
        batch_op.drop_column('subjects')
