"""sync state, provenance, quarantine, receipts

Existing partners get empty sync state (server defaults), so the first sync starts at the
beginning of their collection.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:06:22.846134
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('object_id', sa.String(length=300), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('date_added', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_quarantine_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine'))
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_partner_id'), ['partner_id'], unique=False)

    op.create_table('receipts',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('object_count', sa.Integer(), nullable=False),
    sa.Column('first_date_added', sa.String(length=32), nullable=False),
    sa.Column('last_date_added', sa.String(length=32), nullable=False),
    sa.Column('versions_sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_receipts_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts'))
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipts_partner_id'), ['partner_id'], unique=False)

    op.create_table('received_versions',
    sa.Column('record_pk', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('date_added', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('receipt_id', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_received_versions_partner_id_partners')),
    sa.ForeignKeyConstraint(['record_pk'], ['records.pk'], name=op.f('fk_received_versions_record_pk_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_pk', name=op.f('pk_received_versions'))
    )
    with op.batch_alter_table('received_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_received_versions_partner_id'), ['partner_id'], unique=False)

    op.create_table('acknowledgements',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('record_pk', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.String(length=100), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_acknowledgements_partner_id_partners')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_acknowledgements_receipt_id_receipts')),
    sa.ForeignKeyConstraint(['record_pk'], ['records.pk'], name=op.f('fk_acknowledgements_record_pk_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'record_pk', name=op.f('pk_acknowledgements'))
    )
    with op.batch_alter_table('acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acknowledgements_receipt_id'), ['receipt_id'], unique=False)

    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pull_url', sa.String(length=500), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('push_url', sa.String(length=500), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('cursor', sa.String(length=32), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('received_count', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('failures', sa.Integer(), nullable=False, server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=100), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('lease_owner')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('failures')
        batch_op.drop_column('last_error')
        batch_op.drop_column('last_success_at')
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('received_count')
        batch_op.drop_column('cursor')
        batch_op.drop_column('push_url')
        batch_op.drop_column('pull_url')

    with op.batch_alter_table('acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acknowledgements_receipt_id'))

    op.drop_table('acknowledgements')
    with op.batch_alter_table('received_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_received_versions_partner_id'))

    op.drop_table('received_versions')
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipts_partner_id'))

    op.drop_table('receipts')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_partner_id'))

    op.drop_table('quarantine')
