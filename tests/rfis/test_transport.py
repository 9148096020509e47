"""Posting the messages to the partner after the change commits, and what the partner says."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from puente.rfis import service, transport
from puente.rfis.models import RfiEvent, RfiMessage
from tests.support.linked import Linked, route_both_ways
from tests.support.nodes import add_user


def test_a_withdrawal_that_comes_after_the_answer_is_refused_back_to_its_sender(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    route_both_ways(linked, monkeypatch)
    fer = add_user(linked.mx, "fer", "FGR", ["analyst"])
    lia = add_user(linked.us, "lia", "HSI", ["liaison"])
    rfi_id = transport.create(linked.mx, fer, service.NewRequest(
        partner="us-node", title="T", question="Q", case_reference="C", legal_basis="L"))  # fmt: skip
    # Mexico's node is down when the answer is made: it stays queued there.
    monkeypatch.setattr(transport, "deliver", lambda node, partner_id: 0)
    transport.answer(linked.us, lia, rfi_id, service.AnswerInput("Here."))
    transport.withdraw(linked.mx, fer, rfi_id, "No longer needed.")
    monkeypatch.undo()
    route_both_ways(linked, monkeypatch)
    assert transport.deliver(linked.mx, 1) == 0  # the withdrawal reaches a closed request
    with linked.mx.db.session() as session:
        message = session.execute(
            select(RfiMessage).where(RfiMessage.action == "withdraw")
        ).scalar_one()  # fmt: skip
        assert "closed" in message.refused
        history = session.execute(
            select(RfiEvent.action).where(RfiEvent.rfi_id == rfi_id).order_by(RfiEvent.id)
        ).scalars().all()  # fmt: skip
    assert history[-2:] == ["withdraw", "refused"]
