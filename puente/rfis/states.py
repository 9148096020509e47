"""The states of a request for information and the moves between them (DESIGN.md, "Hit/no-hit
and follow-up requests"), one table for both nodes so that both copies move alike.

The asking node drafts, sends and withdraws; the asked node assigns, answers and declines.
A copy moves either by its own user's action or by the partner's signed message saying the
same action happened there ("mirrored"): a mirrored answer may arrive before this node heard
that its request was delivered, so it is accepted from "sent" too.
"""

from __future__ import annotations

from datetime import datetime

from puente.clock import as_utc
from puente.errors import N_, Label, Problem
from puente.rfis.models import Rfi

DRAFT, SENT, RECEIVED, IN_REVIEW = "draft", "sent", "received", "in_review"
ANSWERED, DECLINED, WITHDRAWN = "answered", "declined", "withdrawn"
STATES = (DRAFT, SENT, RECEIVED, IN_REVIEW, ANSWERED, DECLINED, WITHDRAWN)
OPEN = frozenset({SENT, RECEIVED, IN_REVIEW})
CLOSED = frozenset({ANSWERED, DECLINED, WITHDRAWN})
OUTGOING, INCOMING = "outgoing", "incoming"
PRIORITIES = ("routine", "priority", "urgent")

STATE_LABELS = {
    DRAFT: N_("Draft"),
    SENT: N_("Sent"),
    RECEIVED: N_("Received"),
    IN_REVIEW: N_("In review"),
    ANSWERED: N_("Answered"),
    DECLINED: N_("Declined"),
    WITHDRAWN: N_("Withdrawn"),
}
PRIORITY_LABELS = {"routine": N_("Routine"), "priority": N_("Priority"), "urgent": N_("Urgent")}
ACTION_LABELS = {
    "create": N_("Drafted"),
    "send": N_("Sent"),
    "deliver": N_("Delivered to the partner"),
    "receive": N_("Received from the partner"),
    "assign": N_("Assigned"),
    "answer": N_("Answered"),
    "decline": N_("Declined"),
    "withdraw": N_("Withdrawn"),
    "refused": N_("Refused by the partner"),
    "release-asked": N_("Answer held for the originating agencies' approval"),
    "release-approved": N_("Release approved"),
    "release-refused": N_("Release refused"),
    "release-cancelled": N_("Held answer dropped"),
}

# action -> (the side that acts, the states it may start from, the state it leads to)
MOVES: dict[str, tuple[str, frozenset[str], str]] = {
    "send": (OUTGOING, frozenset({DRAFT}), SENT),
    "deliver": (OUTGOING, frozenset({SENT}), RECEIVED),
    "withdraw": (OUTGOING, OPEN, WITHDRAWN),
    "assign": (INCOMING, frozenset({RECEIVED, IN_REVIEW}), IN_REVIEW),
    "answer": (INCOMING, frozenset({RECEIVED, IN_REVIEW}), ANSWERED),
    "decline": (INCOMING, frozenset({RECEIVED, IN_REVIEW}), DECLINED),
}


def next_state(action: str, state: str, direction: str, *, mirrored: bool = False) -> str | None:
    """The state ``action`` leads to from ``state`` on a copy held as ``direction``, or None if
    it may not happen. A mirrored action is the partner's, applied to this node's copy."""
    side, sources, target = MOVES[action]
    if (side == direction) == mirrored:
        return None
    if mirrored and direction == OUTGOING:
        sources = sources | {SENT}
    return target if state in sources else None


def refusal(rfi: Rfi, action: str) -> Problem:
    """Why ``action`` cannot happen to ``rfi`` now, as the user reads it."""
    if rfi.state == WITHDRAWN:
        message = N_("Request {id} was withdrawn by the requesting node; it cannot be {action}.")
    elif rfi.state in CLOSED:
        message = N_("Request {id} is closed ({state}); it cannot be {action}.")
    else:
        message = N_("Request {id} is {state}; it cannot be {action} now.")
    params = {
        "id": rfi.id,
        "state": Label(STATE_LABELS[rfi.state]),
        "action": Label(ACTION_PARTICIPLES[action]),
    }
    return Problem(message, "", params)


ACTION_PARTICIPLES = {
    "send": N_("sent"),
    "deliver": N_("delivered"),
    "withdraw": N_("withdrawn"),
    "assign": N_("assigned"),
    "answer": N_("answered"),
    "decline": N_("declined"),
}


def overdue(state: str, due_at: datetime | None, moment: datetime) -> bool:
    """Still waiting for the partner after its due time."""
    return state in OPEN and due_at is not None and as_utc(due_at) < moment
