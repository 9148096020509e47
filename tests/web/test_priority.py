"""People first: a partner's pull waits while people's requests are answered, on every worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from puente.activity import Board, board_path
from puente.node import Node
from puente.policy.roles import Principal
from tests.support.activity import person_in_flight
from tests.support.partners import TAXII, add_partner, basic

COLLECTIONS = "/taxii2/api/collections/"


@pytest.fixture
def board(tmp_path: Path) -> Board:
    return Board(board_path(tmp_path))


def test_a_person_in_flight_in_another_worker_process_is_counted(tmp_path: Path) -> None:
    path = board_path(tmp_path)
    board = Board(path)
    with person_in_flight(path):
        assert board.people_in_flight() == 1
        board.enter()
        assert board.people_in_flight() == 2
        board.leave()
    assert board.people_in_flight() == 0


def test_a_worker_that_died_mid_request_does_not_hold_partners_back(tmp_path: Path) -> None:
    path = board_path(tmp_path)
    with person_in_flight(path, leave=False):
        pass  # the other process exits with its request still counted
    board = Board(path)
    assert board.people_in_flight() == 0
    assert board.wait_for_people(5.0) < 1.0


def test_a_partner_waits_until_the_person_is_answered(board: Board) -> None:
    board.enter()
    threading.Timer(0.2, board.leave).start()
    waited = board.wait_for_people(5.0)
    assert 0.15 < waited < 2.0  # went on once the person was answered, not at the limit


def test_a_partner_waits_no_longer_than_the_limit(board: Board) -> None:
    board.enter()
    try:
        assert board.wait_for_people(0.1) < 1.0
    finally:
        board.leave()


def test_with_nobody_in_flight_a_partner_does_not_wait(board: Board) -> None:
    assert board.wait_for_people(5.0) < 0.05


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    from puente.web.app import create_app

    with TestClient(create_app(node), follow_redirects=False) as test_client:
        yield test_client


def _timed(client: TestClient, headers: dict[str, str]) -> tuple[int, float]:
    started = time.monotonic()
    status = client.get(COLLECTIONS, headers=headers).status_code
    return status, time.monotonic() - started


def test_a_partners_request_waits_for_people_and_a_users_does_not(
    node: Node, admin: Principal, analyst: Principal, client: TestClient
) -> None:
    from puente.accounts import service as accounts

    secret = add_partner(node, admin)
    with node.db.session() as session:
        token = accounts.create_token(session, analyst, "ana", "desk", days=1).token
    node.settings.limits.bulk_wait_ms = 400
    board: Board = client.app.state.board  # type: ignore[attr-defined]
    board.enter()  # a person's request in flight on another worker
    try:
        partner_status, partner_waited = _timed(client, basic("mx-node", secret))
        user_status, user_waited = _timed(client, {"Authorization": f"Bearer {token}",
                                                   "Accept": TAXII})  # fmt: skip
    finally:
        board.leave()
    assert (partner_status, user_status) == (200, 200)
    assert partner_waited >= 0.4
    assert user_waited < 0.4
    node.settings.limits.bulk_wait_ms = 0  # the operator turned it off: nobody waits
    board.enter()
    try:
        assert _timed(client, basic("mx-node", secret))[1] < 0.4
    finally:
        board.leave()


def test_every_answer_leaves_the_board_as_it_found_it(
    node: Node, admin: Principal, client: TestClient
) -> None:
    """A request that fails (refused, unknown, too large, malformed) must not stay counted:
    a count that leaked would hold every partner back for good."""
    secret = add_partner(node, admin)
    board: Board = client.app.state.board  # type: ignore[attr-defined]
    client.get("/healthz")
    client.get(COLLECTIONS, headers=basic("mx-node", secret))
    client.get(COLLECTIONS, headers=basic("mx-node", "wrong"))
    client.get("/no/such/page")
    client.get("/api/v1/records?limit=nope")
    big = "x" * (node.settings.limits.max_request_bytes + 1)
    client.post("/api/v1/records", content=big, headers={"Content-Type": "application/json"})
    assert board.people_in_flight() == 0


def test_a_partners_hit_query_is_a_persons_question_and_does_not_wait(
    node: Node, admin: Principal, client: TestClient
) -> None:
    """An analyst on the other side waits for a hit/no-hit answer: only the partner's pulls
    (TAXII, its index downloads) give way to people."""
    secret = add_partner(node, admin)
    node.settings.limits.bulk_wait_ms = 400
    board: Board = client.app.state.board  # type: ignore[attr-defined]
    headers = basic("mx-node", secret)
    board.enter()
    try:
        started = time.monotonic()
        pulled = client.get("/api/v1/hits/index", headers={**headers, "Accept": "application/json"})
        pull_s = time.monotonic() - started
        started = time.monotonic()
        asked = client.post("/api/v1/hits/query", json={"type": "not-a-query"},
                            headers={**headers, "Accept": "application/json"})  # fmt: skip
        ask_s = time.monotonic() - started
    finally:
        board.leave()
    assert pulled.status_code == 200, pulled.text
    assert pull_s >= 0.4
    assert 400 <= asked.status_code < 500, asked.text  # refused: it is no signed query
    assert ask_s < 0.4
