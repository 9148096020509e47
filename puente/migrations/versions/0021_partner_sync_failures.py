"""partner sync failures: every failure and quarantine recorded on the partner, with its time

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-10 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_count', sa.Integer(), nullable=False,
                                      server_default=sa.text('0')))
        batch_op.add_column(sa.Column('last_error_kind', sa.String(length=16), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('last_error_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_column('last_error_at')
        batch_op.drop_column('last_error_kind')
        batch_op.drop_column('failure_count')
