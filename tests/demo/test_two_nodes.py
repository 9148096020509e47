"""`puente demo`: two partner nodes, seeded and synced, each holding what the other shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from puente.node import open_node
from puente.policy.agencies import agency_countries
from puente.policy.gate import PartnerNode, decide
from puente.records.models import Record
from puente.records.rows import facts_of
from puente.rfis.models import Rfi
from tests.support.servers import free_port, puente


def _own_and_received(folder: Path) -> tuple[list[Record], set[tuple[str, str]]]:
    node = open_node(folder)
    try:
        with node.db.session() as session:
            rows = list(session.execute(select(Record)).scalars())
    finally:
        node.close()
    own = [r for r in rows if not r.received]
    received = {(r.stix_id, r.modified_key) for r in rows if r.received}
    return own, received


@dataclass(frozen=True)
class Demo:
    folder: Path
    port: int
    mx_port: int
    output: str


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """`puente demo --no-serve`, run once for the tests of this module (they only read)."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    port, mx_port = free_port(), free_port()
    result = puente("demo", "--no-serve", "--port", str(port), "--mx-port", str(mx_port),
                    data_dir=folder)  # fmt: skip
    return Demo(folder, port, mx_port, result.stdout)


def test_the_demo_starts_two_partner_nodes_that_share_through_the_gate(demo_run: Demo) -> None:
    demo, port, mx_port = demo_run.folder, demo_run.port, demo_run.mx_port
    out = " ".join(demo_run.output.split())
    assert f"http://127.0.0.1:{port}/" in out
    assert f"http://127.0.0.1:{mx_port}/" in out
    assert "cbp.analyst" in out
    assert "fgr.analista" in out
    assert "5 requests for information exchanged." in out

    us_own, us_received = _own_and_received(demo / "us")
    mx_own, mx_received = _own_and_received(demo / "mx")
    everyone = agency_countries()
    assert mx_received == {
        (r.stix_id, r.modified_key)
        for r in us_own
        if decide(facts_of(r), PartnerNode("MEX", everyone))
    }
    assert us_received == {
        (r.stix_id, r.modified_key)
        for r in mx_own
        if decide(facts_of(r), PartnerNode("USA", everyone))
    }
    assert len(mx_received) > 100
    assert len(us_received) > 100
    # Some of each side's records stay home: national only, RED, or for its own agencies.
    assert len(mx_received) < len(us_own)
    assert len(us_received) < len(mx_own)


def _requests(folder: Path) -> dict[str, tuple[str, str]]:
    node = open_node(folder)
    try:
        with node.db.session() as session:
            return {r.id: (r.direction, r.state) for r in session.execute(select(Rfi)).scalars()}
    finally:
        node.close()


def test_the_demo_nodes_hold_the_same_requests_in_the_same_states(demo_run: Demo) -> None:
    demo = demo_run.folder
    us, mx = _requests(demo / "us"), _requests(demo / "mx")
    assert set(us) == set(mx)
    assert {rfi_id: state for rfi_id, (_, state) in us.items()} == {
        rfi_id: state for rfi_id, (_, state) in mx.items()
    }
    asked_by_mexico = sorted(state for direction, state in us.values() if direction == "incoming")
    assert asked_by_mexico == ["answered", "declined", "in_review"]
    asked_by_us = sorted(state for direction, state in mx.values() if direction == "incoming")
    assert asked_by_us == ["answered", "received"]


def test_the_demo_nodes_hold_one_plan_each_side_writing_its_part(demo_run: Demo) -> None:
    demo = demo_run.folder
    us = puente("plan", "export", data_dir=demo / "us").stdout
    mx = puente("plan", "export", data_dir=demo / "mx").stdout
    assert us == mx
    assert us.count("owner: us-demo") == 22 + 4 + 3  # elements, indicators, meetings
    assert us.count("owner: mx-demo") == 4
