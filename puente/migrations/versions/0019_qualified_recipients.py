"""qualified recipients

Named recipients are stored ``username@CCC`` (puente.policy.recipients): the gate matches a
user of this node only as ``username@<this node's country>``, so a name stored bare would
match nobody, and one qualified by a node id or a lower-case country neither. This rewrites
the ``recipients`` column of every stored version: a bare name is a user of the row's owner
(``owner_country``, for this node's rows and received ones alike), a name qualified by a
country in any case or by a known node id (a partner's, or a row's owner node) takes that
node's country, and anything else stays as it is (it never matched anyone, nor will it).

The object inside ``content`` is left as it is, for this node's rows too. ``content_hash`` is
the SHA-256 of ``content``, and it is evidence: partners' signed receipts list it for every
version they stored (``puente receipts verify`` reports a version whose hash changed), and
the audit log's export and TAXII entries carry digests over it. Rewriting the object would
make this node's own proof of what crossed the border fail. Nothing is lost by leaving it: a
bare name in an object means a user of the node that wrote it, which is how a receiving node
reads it, and the gate reads the column. A new version of such a record is written with
qualified names, and importing the old version again is recognised as unchanged.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

_records = sa.table(
    'records',
    sa.column('pk', sa.Integer),
    sa.column('owner_node', sa.String),
    sa.column('owner_country', sa.String),
    sa.column('recipients', sa.Text),
)
_partners = sa.table('partners', sa.column('node_id', sa.String), sa.column('country', sa.String))
BATCH = 1000


def _qualified(name: str, owner: str, known: dict[str, str]) -> str:
    user, at, where = name.partition('@')
    if not at:
        return f'{user}@{owner}' if user else name
    country = known.get(where.lower())
    return f'{user}@{country}' if country and user else name


def upgrade() -> None:
    bind = op.get_bind()
    known = {'usa': 'USA', 'mex': 'MEX'}
    pairs = [
        *bind.execute(sa.select(_partners.c.node_id, _partners.c.country)).all(),
        *bind.execute(
            sa.select(_records.c.owner_node, _records.c.owner_country).distinct()
        ).all(),
    ]
    for node_id, country in pairs:
        known[node_id.lower()] = country
        known[country.lower()] = country
    rows = bind.execute(
        sa.select(_records.c.pk, _records.c.owner_country, _records.c.recipients)
        .where(_records.c.recipients != '')
        .order_by(_records.c.pk)
    ).all()
    changes = []
    for pk, owner, text in rows:
        names = sorted({_qualified(n, owner, known) for n in text.split(',') if n})
        column = ',' + ','.join(names) + ',' if names else ''
        if column != text:
            changes.append({'row_pk': pk, 'row_recipients': column})
    update = (
        sa.update(_records)
        .where(_records.c.pk == sa.bindparam('row_pk'))
        .values(recipients=sa.bindparam('row_recipients'))
    )
    for start in range(0, len(changes), BATCH):
        bind.execute(update, changes[start : start + BATCH])


def downgrade() -> None:
    # Nothing to undo: the code before this revision matched user@COUNTRY too, and turning
    # the names bare again would let any user of the same name on this node read them.
    pass
