"""definitions: the objects every collection serves beside the records

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 11:00:00.000000

Puente's extension definitions, the TLP 2.0 marking definitions and the agencies' identities,
each with the date it was added; puente.records.definitions fills the table when a collection
is first read, and adds what a later release publishes.
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'definitions',
        sa.Column('pk', sa.Integer(), nullable=False),
        sa.Column('stix_id', sa.String(length=300), nullable=False),
        sa.Column('modified_key', sa.String(length=32), nullable=False),
        sa.Column('date_added', sa.String(length=32), nullable=False),
        sa.Column('is_current', sa.Boolean(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('pk'),
    )
    with op.batch_alter_table('definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_definitions_date_added'), ['date_added'], unique=False)
        batch_op.create_index('uq_definitions_version', ['stix_id', 'modified_key'], unique=True)


def downgrade() -> None:
    op.drop_table('definitions')
