"""Sharing carries the other domains' objects only with their rules registered."""

from __future__ import annotations

from pathlib import Path

import pytest

from puente.node import Node
from puente.policy.roles import Principal
from puente.sharing import registry, sync
from tests.support.partners import add_keyed_partner


def test_the_domains_register_their_checks_projections_and_jobs() -> None:
    installed = registry.installed()
    bad_plan_element = {"type": "x-puente-plan-element", "id": "x-puente-plan-element--1"}
    refused = registry.refusal(bad_plan_element)
    assert refused is not None
    assert "does not follow its schema" in refused.message
    assert registry.refusal({"type": "incident", "name": "Not the plan's"}) is None
    assert "x-puente-rfi-message" in installed.inbox
    assert {name for name, _ in installed.after_pull} == {
        "request messages", "hit/no-hit index copy"
    }  # fmt: skip
    assert [name for name, _ in installed.ticks] == ["hit/no-hit indexes", "audit checkpoints"]


def test_a_sync_without_the_domains_registered_refuses_to_run(
    node: Node, admin: Principal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else a partner's plan objects would be stored unchecked and never projected."""
    add_keyed_partner(node, admin, tmp_path)
    monkeypatch.setattr(registry, "_registry", registry.Registry())
    with pytest.raises(RuntimeError, match="domains have not registered"):
        sync.sync(node, "mx-node")
