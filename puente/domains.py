"""Each domain's registrations with the layers below it, installed once by the app factory,
the command line and anything else that runs a node (tests, benchmarks).

Lower layers offer registries instead of importing the domains above them: records publishes
the plan's extension definitions with its own and reads the partners' node ids (by which a
record's named recipients may be written) from sharing; sharing checks and projects the plan's objects
as they arrive, takes messages about requests for information at its inbox, exchanges them and
refreshes the copy of the partner's hit/no-hit index after each pull, and refreshes this node's
own indexes and signs its audit checkpoints on the scheduler's tick; records and sharing tell
sharing and hits of new versions and recalls of this node's records (a tightened record is
withdrawn from partners, and from their hit/no-hit indexes with the write itself).
"""

from __future__ import annotations

import threading

_installed = False
_lock = threading.Lock()


def install() -> None:
    """Register every domain; idempotent, and safe from several threads (registering twice
    changes nothing, so an install that failed halfway may be run again)."""
    global _installed
    with _lock:
        if not _installed:
            _install()
            _installed = True


def _install() -> None:
    from puente.audit import scheduled as audit_scheduled
    from puente.hits import refresh as hit_refresh
    from puente.hits import transport as hit_transport
    from puente.hits import withdrawals as hit_withdrawals
    from puente.plan import contract as plan_contract
    from puente.plan import projection as plan_projection
    from puente.records import events, extensions, marking
    from puente.rfis import messages as rfi_messages
    from puente.rfis import transport as rfi_transport
    from puente.sharing import partners, registry, withdrawals

    events.on_superseded(withdrawals.withdraw_tightened)  # a tightened record is withdrawn
    # A record the partner may no longer search leaves its hit/no-hit index with the write.
    events.on_superseded(hit_withdrawals.withdraw_keys)
    events.on_recalled(hit_withdrawals.withdraw_keys)
    extensions.register(plan_contract.SCHEMAS)  # the plan's objects travel in the same feeds
    marking.partner_nodes(partners.node_countries)  # recipients may be named by partner node
    registry.receive(plan_contract.refusal, plan_projection.apply)
    registry.inbox(rfi_messages.MESSAGE_TYPE, rfi_messages.accept)
    registry.after_pull("request messages", rfi_transport.exchange)
    registry.after_pull("hit/no-hit index copy", hit_transport.refresh_copy)
    registry.every_tick("hit/no-hit indexes", hit_refresh.refresh_partners)
    registry.every_tick("audit checkpoints", audit_scheduled.checkpoint)
    registry.mark_installed()
