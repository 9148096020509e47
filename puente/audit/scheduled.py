"""Signing checkpoints of the audit chain when they are due: on the scheduler's tick in
`puente serve`, and before each sync posts this node's checkpoints to a partner. A job: it
opens its own unit of work."""

from __future__ import annotations

import logging

from puente.audit import service
from puente.errors import PuenteError
from puente.node import Node

log = logging.getLogger(__name__)


def checkpoint(node: Node) -> None:
    """Sign a checkpoint if one is due (``audit`` in the settings). A refusal (the chain does
    not hold since the last checkpoint) is logged as an error, and nothing is signed."""
    try:
        with node.db.session() as session:
            service.checkpoint_if_due(session, node.settings)
    except PuenteError as exc:
        log.error("audit checkpoint: %s", exc)
