"""The scheduler inside `puente serve`: one partner or one job failing stops nothing else, and
the same failure tick after tick logs one line each time, its traceback at most once."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from puente.errors import N_, Unavailable
from puente.node import Node
from puente.policy.roles import Principal
from puente.sharing import registry, sync
from puente.sharing.scheduler import SyncScheduler
from tests.support.partners import add_keyed_partner


@pytest.fixture
def jobs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ticks' jobs, replaced by two that say when they ran; the first fails."""
    ran: list[str] = []

    def broken(node: Node) -> None:
        ran.append("broken")
        raise KeyError("a bug in a job")

    def index(node: Node) -> None:
        ran.append("hit index")

    installed = registry.installed()
    fake = registry.Registry(**{**installed.__dict__, "ticks": [("broken", broken),
                                                                 ("hit index", index)]})  # fmt: skip
    monkeypatch.setattr(registry, "installed", lambda: fake)
    return ran


@pytest.fixture
def pulls(
    node: Node, admin: Principal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Three partners: the first's pull fails with a bug, the second's with the network."""
    for node_id in ("mx-a", "mx-b", "mx-c"):
        add_keyed_partner(node, admin, tmp_path, node_id)
    pulled: list[str] = []

    def pull(node: Node, node_id: str, **kwargs: Any) -> sync.SyncReport:
        pulled.append(node_id)
        if node_id == "mx-a":
            raise TypeError("unhashable type: 'dict'")
        if node_id == "mx-b":
            raise Unavailable(N_("Could not sync with {node}: {reason}"), node=node_id,
                              reason="All connection attempts failed")  # fmt: skip
        return sync.SyncReport(node_id)

    monkeypatch.setattr(sync, "sync", pull)
    return pulled


def test_a_failing_partner_or_job_skips_nothing_else(
    node: Node, pulls: list[str], jobs: list[str]
) -> None:
    scheduler = SyncScheduler(node, interval_seconds=60)
    scheduler.run_once()
    assert pulls == ["mx-a", "mx-b", "mx-c"]
    assert jobs == ["broken", "hit index"]


def test_the_same_failure_logs_one_line_a_tick_and_its_traceback_once(
    node: Node, pulls: list[str], jobs: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    scheduler = SyncScheduler(node, interval_seconds=60)
    caplog.set_level(logging.INFO, logger="puente.sharing")
    for _ in range(3):
        scheduler._ticks_due = scheduler._ticks_due.min.replace(tzinfo=scheduler._ticks_due.tzinfo)
        scheduler.run_once()
    assert pulls == ["mx-a", "mx-b", "mx-c"] * 3
    assert jobs == ["broken", "hit index"] * 3
    for subject in ("mx-a", "mx-b", "broken"):
        lines = [r for r in caplog.records if subject in r.getMessage()]
        assert len(lines) == 3, [r.getMessage() for r in lines]  # one line a tick
        assert all("\n" not in r.getMessage() for r in lines)
        traced = [r for r in lines if r.exc_info]
        assert len(traced) == (0 if subject == "mx-b" else 1)  # the network's needs none
