"""approved version: an approval covers the version of the record its agency saw

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('release_approvals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_version', sa.String(length=40), nullable=False,
                                      server_default=sa.text("''")))


def downgrade() -> None:
    with op.batch_alter_table('release_approvals', schema=None) as batch_op:
        batch_op.drop_column('approved_version')
