"""taxii collection ids: random version-4 UUIDs, made once and stored (TAXII 2.1 §2)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 10:00:00.000000

The collections had UUIDv5 ids derived from the node id; identifiers must be version-4
UUIDs. Each collection this node has gets one now ("records", and each partner's released
and inbox collections); a collection made later (a new partner's) gets its own on first use.
The old ids are still answered (puente.sharing.collections.legacy_id): a partner that found
its collection before keeps pulling from the address it stored.
"""
import uuid

from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    collections = op.create_table(
        'taxii_collections',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint('name'),
        sa.UniqueConstraint('id'),
    )
    partners = op.get_bind().execute(sa.text('SELECT node_id FROM partners ORDER BY id'))
    names = ['records']
    for (node_id,) in partners:
        names += [f'released/{node_id}', f'inbox/{node_id}']
    op.bulk_insert(collections, [{'name': name, 'id': str(uuid.uuid4())} for name in names])


def downgrade() -> None:
    op.drop_table('taxii_collections')
