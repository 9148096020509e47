"""The state machine both nodes share: who may move a request, from where, to where."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from puente.rfis import states
from puente.rfis.states import (
    ANSWERED,
    DECLINED,
    DRAFT,
    IN_REVIEW,
    INCOMING,
    OUTGOING,
    RECEIVED,
    SENT,
    WITHDRAWN,
    next_state,
    overdue,
)


@pytest.mark.parametrize(
    ("action", "state", "direction", "mirrored", "expected"),
    [
        ("send", DRAFT, OUTGOING, False, SENT),
        ("deliver", SENT, OUTGOING, False, RECEIVED),
        ("withdraw", IN_REVIEW, OUTGOING, False, WITHDRAWN),
        ("withdraw", IN_REVIEW, INCOMING, True, WITHDRAWN),
        ("assign", RECEIVED, INCOMING, False, IN_REVIEW),
        ("answer", IN_REVIEW, INCOMING, False, ANSWERED),
        ("decline", RECEIVED, INCOMING, False, DECLINED),
        # The partner's answer may come before this node heard its request was delivered.
        ("answer", SENT, OUTGOING, True, ANSWERED),
        ("assign", SENT, OUTGOING, True, IN_REVIEW),
    ],
)
def test_allowed_moves(
    action: str, state: str, direction: str, mirrored: bool, expected: str
) -> None:
    assert next_state(action, state, direction, mirrored=mirrored) == expected


@pytest.mark.parametrize(
    ("action", "state", "direction", "mirrored"),
    [
        ("answer", WITHDRAWN, INCOMING, False),  # an answer to a withdrawn request
        ("answer", ANSWERED, INCOMING, False),  # answered twice
        ("withdraw", ANSWERED, OUTGOING, False),  # too late to withdraw
        ("withdraw", DRAFT, OUTGOING, False),  # a draft was never sent
        ("answer", RECEIVED, OUTGOING, False),  # the asking side never answers its own
        ("send", DRAFT, INCOMING, False),  # nor does the asked side send
        ("withdraw", IN_REVIEW, OUTGOING, True),  # a partner cannot withdraw our request
        ("decline", DECLINED, OUTGOING, True),
    ],
)
def test_refused_moves(action: str, state: str, direction: str, mirrored: bool) -> None:
    assert next_state(action, state, direction, mirrored=mirrored) is None


def test_only_open_requests_past_their_due_time_are_overdue() -> None:
    moment = datetime(2026, 11, 27, 12, tzinfo=UTC)
    past, future = moment - timedelta(hours=1), moment + timedelta(hours=1)
    assert overdue(IN_REVIEW, past, moment)
    assert not overdue(IN_REVIEW, future, moment)
    assert not overdue(ANSWERED, past, moment)
    assert not overdue(DRAFT, None, moment)
    assert past.replace(tzinfo=None) < moment.replace(tzinfo=None)
    assert overdue(SENT, past.replace(tzinfo=None), moment)  # SQLite hands back naive times


def test_every_state_and_action_has_a_label() -> None:
    assert set(states.STATE_LABELS) == set(states.STATES)
    assert set(states.MOVES) <= set(states.ACTION_LABELS)
    assert set(states.MOVES) == set(states.ACTION_PARTICIPLES)
