"""drop the unused index on record_refs.source_id

Links are followed by target (who points at a record) and by record_pk (a record's own
references, and the cascade); nothing looks them up by source id, and the index cost every
import an extra B-tree insert per reference.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:50:00
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_refs_source_id"))


def downgrade() -> None:
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_refs_source_id"), ["source_id"], unique=False)
