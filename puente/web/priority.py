"""People first: a partner's bulk pull waits while people's requests are being answered.

A partner catching up pulls page after page of 1,000 objects as fast as the node answers; two
of them can keep every core busy, and an analyst's search then queues behind their pages
(issue 15's load test: p99 390 ms with partners pulling back to back, against 150 ms without).
Partner pulls are not interactive: a page served half a second later costs a partner nothing
a person would notice. So every request a person makes is counted as in flight on a board all
of the node's worker processes share, and a partner's request, once it is known to be a
partner's, waits (up to ``limits.bulk_wait_ms``) until no person's request is in flight on
any worker before it goes on. Nothing is refused, and a node no person is using serves its
partners at full speed.

The board itself is puente.activity's.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from puente.activity import Board, give_way
from puente.node import Node

SCOPE_KEY = "puente.priority"


class Ticket:
    """One request's place on the board: a person's until it is known to be a partner's."""

    def __init__(self, board: Board) -> None:
        self._board: Board | None = board
        board.enter()

    def leave(self) -> None:
        if self._board is not None:
            self._board.leave()
            self._board = None


class PeopleFirst:
    """Pure ASGI middleware: every HTTP request counts as a person's while it is answered."""

    def __init__(self, app: ASGIApp, board: Board) -> None:
        self.app = app
        self.board = board

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ticket = Ticket(self.board)
        scope[SCOPE_KEY] = ticket
        try:
            await self.app(scope, receive, send)
        finally:
            ticket.leave()


def yield_to_people(scope: Scope, node: Node) -> None:
    """Called once a request is known to be a partner's bulk work (in its worker thread): it
    stops counting as a person's and gives way to people's requests."""
    ticket = scope.get(SCOPE_KEY)
    if isinstance(ticket, Ticket):
        ticket.leave()
    give_way(node)
