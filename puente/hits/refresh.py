"""Refreshing the hit/no-hit index of every partner (a job: a unit of work per partner), from
`puente hits index` and on the scheduler's tick in `puente serve`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from sqlalchemy import select

from puente.hits.index import RefreshReport, compact, refresh
from puente.node import Node
from puente.sharing.models import Partner
from puente.sharing.partners import get_partner


def refresh_partners(
    node: Node,
    only: str | None = None,
    *,
    pool: Executor | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> list[RefreshReport]:
    """Refresh the indexes of every partner (or of ``only``), one for each spec version of
    ``hits.spec_versions``, each in its own transaction. A version dropped from the setting
    is no longer refreshed (nor served: puente.hits.answering).

    Disabled partners too: a partner enabled again may download its index at once, before
    the next refresh, and it must hold nothing recalled or withdrawn meanwhile."""
    with node.db.session() as session:
        if only is not None:
            names = [get_partner(session, only).node_id]
        else:
            names = list(
                session.execute(select(Partner.node_id).order_by(Partner.node_id)).scalars()
            )
    reports = []
    for name in names:
        for version in node.settings.hits.spec_versions:
            with node.db.session() as session:
                partner = get_partner(session, name)
                tick = None if progress is None else (lambda done, n=name: progress(n, done))
                reports.append(refresh(session, partner, version, pool=pool, progress=tick))
                compact(session, partner, version)
    return reports
