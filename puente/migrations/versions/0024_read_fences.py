"""read fences: the primary's WAL position after each reader's last write

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-20 10:00:00.000000

A node with a read replica reads for a user or partner from the replica only once it has
replayed their last write (puente.db.Replica). UNLOGGED on PostgreSQL: a fence is written
after every write request, and needs no WAL, no fsync and no copy on the replica.
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    unlogged = ['UNLOGGED'] if op.get_bind().dialect.name == 'postgresql' else []
    op.create_table(
        'read_fences',
        sa.Column('reader', sa.String(length=100), nullable=False),
        sa.Column('lsn', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('reader', name=op.f('pk_read_fences')),
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table('read_fences')
