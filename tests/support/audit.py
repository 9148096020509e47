"""An intruder who can write the database, and knows how the audit chain is hashed: they
recompute every hash after what they change, and rewind the head after what they delete, so
the chain's own links hold (tests/audit/test_checkpoints.py)."""

from __future__ import annotations

from sqlalchemy import select, text

from puente.audit import service as audit
from puente.audit.models import AuditEntry
from puente.node import Node


def sql(node: Node, statement: str, **params: object) -> None:
    with node.db.engine.begin() as connection:
        connection.execute(text(statement), params)


def last_seq(node: Node) -> int:
    with node.db.session() as session:
        return int(session.execute(text("SELECT max(seq) FROM audit_entries")).scalar_one())


def rewind(node: Node, count: int) -> None:
    """Delete the newest ``count`` entries and point the head at the entry left last."""
    last = last_seq(node)
    sql(node, "DELETE FROM audit_entries WHERE seq > :keep", keep=last - count)
    with node.db.session() as session:
        kept = session.get(AuditEntry, last - count)
        assert kept is not None
        seq, digest = kept.seq, kept.hash
    sql(node, "UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1", seq=seq, hash=digest)


def rewrite(node: Node, seq: int, actor: str = "mallory") -> None:
    """Change entry ``seq``'s actor, then recompute its hash, every later one and the head."""
    with node.db.session() as session:
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
        prev = audit.GENESIS
        for entry in entries:
            if entry.seq == seq:
                entry.actor = actor
            entry.prev_hash = prev
            entry.hash = audit.entry_hash(prev, entry.seq, entry.at, entry.actor, entry.action,
                                          entry.target, entry.marking, entry.details)  # fmt: skip
            prev = entry.hash
        session.flush()
        last = entries[-1]
        final = (last.seq, last.hash)
    sql(node, "UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1",
        seq=final[0], hash=final[1])  # fmt: skip


def erase_checkpoints(node: Node) -> None:
    """The intruder also controls the node's files: the checkpoint file goes with the rows."""
    sql(node, "DELETE FROM audit_checkpoints")
    node.settings.checkpoint_path.unlink(missing_ok=True)
