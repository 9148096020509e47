"""`puente demo`'s own pulls wait for the served node's scheduler instead of losing to it."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from puente.cli import demo
from puente.clock import now
from puente.errors import Conflict, Unavailable
from puente.node import Node
from puente.policy.roles import Principal
from puente.sharing.models import Partner
from tests.support.partners import add_keyed_partner


def _hold_lease(node: Node, seconds: float) -> None:
    with node.db.session() as session:
        partner = session.execute(select(Partner)).scalar_one()
        partner.lease_owner = "serve:1:abc"
        partner.lease_until = now() + timedelta(seconds=seconds)


def _release_after(node: Node, seconds: float) -> threading.Thread:
    def release() -> None:
        time.sleep(seconds)
        with node.db.session() as session:
            session.execute(update(Partner).values(lease_owner="", lease_until=None))

    thread = threading.Thread(target=release)
    thread.start()
    return thread


def test_the_demo_pulls_once_the_scheduler_lets_the_partner_go(
    node: Node, admin: Principal, tmp_path: Path
) -> None:
    add_keyed_partner(node, admin, tmp_path)
    _hold_lease(node, 300)
    releaser = _release_after(node, 1.0)
    started = time.monotonic()
    # The partner here is down: reaching it at all shows the pull went ahead after the wait.
    with pytest.raises(Unavailable):
        demo._sync_when_free(node, "mx-node")
    releaser.join()
    assert time.monotonic() - started >= 1.0


def test_the_demo_gives_up_on_a_lease_that_is_never_let_go(
    node: Node, admin: Principal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_keyed_partner(node, admin, tmp_path)
    _hold_lease(node, 300)
    monkeypatch.setattr(demo, "LEASE_WAIT_SECONDS", 1)
    with pytest.raises(Conflict):
        demo._sync_when_free(node, "mx-node")
