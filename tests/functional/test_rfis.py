"""Requests for information between two real nodes: Mexico asks, the United States answers by
releasing a record to the named analyst, and both nodes show the same state throughout."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from puente.audit.models import AuditEntry
from puente.errors import Conflict, InvalidInput, NotFound
from puente.node import Node, open_node
from puente.policy.markings import Markings, apply_markings
from puente.records import builder
from puente.records import service as records
from puente.records.models import Record
from puente.rfis import reports, service, states, transport
from puente.rfis.models import Rfi
from tests.support.nodes import add_user
from tests.support.rfis import approve_all
from tests.support.servers import Pair, import_objects, sync_now

HELD = Markings(tlp="AMBER", rel_to=frozenset({"USA"}), searchable_by=frozenset({"MEX"}))


def _state(node: Node, rfi_id: str) -> str:
    with node.db.session() as session:
        rfi = session.get(Rfi, rfi_id)
        assert rfi is not None
        return rfi.state


def _request(**overrides: object) -> service.NewRequest:
    values: dict[str, object] = {
        "partner": "us-node", "title": "José Luis Hernández Peña, born 1984-03-12",
        "question": "What do you hold on this person? Our hit matched name and date of birth.",
        "case_reference": "FGR/UEIDCS/0042/2026", "legal_basis": "TAJM art. 1",
    }  # fmt: skip
    return service.NewRequest(**(values | overrides))  # type: ignore[arg-type]


def test_a_request_is_answered_by_releasing_a_record_to_the_named_analyst(
    served_pair: Pair, tmp_path: Path
) -> None:
    person = builder.build("person", {"given_names": "José Luis", "paternal_surname": "Hernández",
                                      "maternal_surname": "Peña", "date_of_birth": "1984-03-12"},
                           "CBP")  # fmt: skip
    apply_markings(person, HELD)
    import_objects(served_pair.us, [person], tmp_path)
    us, mx = open_node(served_pair.us), open_node(served_pair.mx)
    try:
        fer = add_user(mx, "fer", "FGR", ["analyst"])
        other = add_user(mx, "otro", "FGR", ["analyst"])
        liaison = add_user(us, "lia", "CBP", ["liaison"])
        rfi_id = transport.create(mx, fer, _request())
        # Delivered at once: both copies say "received".
        assert _state(mx, rfi_id) == _state(us, rfi_id) == states.RECEIVED
        transport.assign(us, liaison, rfi_id, "")
        assert _state(mx, rfi_id) == _state(us, rfi_id) == states.IN_REVIEW
        transport.answer(us, liaison, rfi_id, service.AnswerInput(
            "We hold one record; released to you.", [person["id"]], "AMBER", "H2",
            "The partner's case concerns him."))  # fmt: skip
        # The record is USA-only: it waits for CBP's approval (the node's admin gives it).
        assert _state(mx, rfi_id) == _state(us, rfi_id) == states.IN_REVIEW
        assert approve_all(us, rfi_id) == ["admin"]
        assert _state(mx, rfi_id) == _state(us, rfi_id) == states.ANSWERED
        with mx.db.session() as session:
            before = reports.detail(session, fer, rfi_id)
        assert before.rfi.answer == "We hold one record; released to you."
        assert [r.label for r in before.released] == [""]  # not synced yet
        sync_now(served_pair.mx, "us-node")
        with mx.db.session() as session:
            after = reports.detail(session, fer, rfi_id)
            assert [r.label for r in after.released] == ["José Luis Hernández Peña"]
            copy = records.get(session, fer, after.released[0].stix_id)
            # For the requesting analyst; and for CBP's approver, who may recall it.
            assert copy.markings.recipients == frozenset({"fer@MEX", "admin@USA"})
            # Another analyst of the same agency neither opens the request nor sees the record.
            with pytest.raises(NotFound):
                reports.detail(session, other, rfi_id)
            with pytest.raises(NotFound):
                records.get(session, other, after.released[0].stix_id)
        with us.db.session() as session:
            original = records.get(session, liaison, person["id"])
            assert original.markings == HELD  # the original's markings are untouched
            figures = reports.timeliness(session, liaison, states.INCOMING)
        assert (figures.answered, figures.answered_on_time, figures.overdue) == (1, 1, 0)
        assert figures.share_answered_on_time == 1.0
    finally:
        us.db.dispose()
        mx.db.dispose()


def test_bad_requests_are_refused_clearly_and_audited(served_pair: Pair) -> None:
    us, mx = open_node(served_pair.us), open_node(served_pair.mx)
    try:
        fer = add_user(mx, "fer", "FGR", ["analyst"])
        liaison = add_user(us, "lia", "CBP", ["liaison"])
        with pytest.raises(NotFound, match="No partner with node id ca-node"):
            transport.create(mx, fer, _request(partner="ca-node"))
        with pytest.raises(InvalidInput) as missing:
            transport.create(mx, fer, _request(case_reference=" ", legal_basis=""))
        assert [p.pointer for p in missing.value.problems] == ["/case_reference", "/legal_basis"]
        rfi_id = transport.create(mx, fer, _request())
        transport.withdraw(mx, fer, rfi_id, "Solved locally.")
        assert _state(mx, rfi_id) == _state(us, rfi_id) == states.WITHDRAWN
        with pytest.raises(Conflict, match="withdrawn by the requesting node"):
            transport.answer(us, liaison, rfi_id, service.AnswerInput("Too late."))
        assert _state(us, rfi_id) == states.WITHDRAWN
        with mx.db.session() as session:
            refused = session.execute(
                select(AuditEntry.details).where(AuditEntry.action == "rfi.refused")
            ).scalars().all()  # fmt: skip
        assert len(refused) == 2
        with us.db.session() as session:
            refused = session.execute(
                select(AuditEntry.details).where(AuditEntry.action == "rfi.refused")
            ).scalars().all()  # fmt: skip
        assert len(refused) == 1
    finally:
        us.db.dispose()
        mx.db.dispose()


def test_a_node_that_cannot_be_reached_gets_the_answer_with_its_next_sync(
    pair: Pair, tmp_path: Path
) -> None:
    """Mexico's node is not served: the United States cannot post its answer, so Mexico
    fetches it when it syncs, and its fetch acknowledges it."""
    from puente.rfis.models import RfiMessage

    person = builder.build("person", {"given_names": "Ana", "paternal_surname": "Ruiz",
                                      "date_of_birth": "1990-05-01"}, "CBP")  # fmt: skip
    apply_markings(person, HELD)
    import_objects(pair.us, [person], tmp_path)
    us, mx = open_node(pair.us), open_node(pair.mx)
    try:
        fer = add_user(mx, "fer", "FGR", ["analyst"])
        liaison = add_user(us, "lia", "CBP", ["liaison"])
        rfi_id = transport.create(mx, fer, _request(title="Ana Ruiz, born 1990-05-01"))
        transport.answer(
            us,
            liaison,
            rfi_id,
            service.AnswerInput(
                "One record.", [person["id"]], release_reason="The partner asks about her."
            ),
        )
        approve_all(us, rfi_id)  # the record is USA-only: CBP approves its release
        assert _state(us, rfi_id) == states.ANSWERED
        assert _state(mx, rfi_id) == states.RECEIVED  # the answer could not be posted
        sync_now(pair.mx, "us-node")
        assert _state(mx, rfi_id) == states.ANSWERED
        with mx.db.session() as session:
            found = reports.detail(session, fer, rfi_id)
        assert [r.label for r in found.released] == ["Ana Ruiz"]
        sync_now(pair.mx, "us-node")  # its cursor now acknowledges the answer
        with us.db.session() as session:
            pending = session.execute(
                select(RfiMessage).where(RfiMessage.delivered_at.is_(None))
            ).scalars().all()  # fmt: skip
        assert pending == []
    finally:
        us.db.dispose()
        mx.db.dispose()


def test_a_record_mexico_may_not_have_crosses_only_once_its_originator_approves(
    served_pair: Pair,
) -> None:
    """Issue 13, leak 4, between two real nodes: CBP's TLP:RED record REL TO USA answered as
    TLP:GREEN stays home until CBP approves; then it goes, under the markings CBP approved."""
    from puente.rfis import approvals

    us, mx = open_node(served_pair.us), open_node(served_pair.mx)
    try:
        fer = add_user(mx, "fer", "FGR", ["analyst"])
        liaison = add_user(us, "lia", "HSI", ["liaison"])
        cbp = add_user(us, "cbp.red", "CBP", ["analyst"])
        red = Markings(tlp="RED", rel_to=frozenset({"USA"}), recipients=frozenset({"lia@USA"}),
                       reliability="A", credibility=2)  # fmt: skip
        with us.db.session() as session:
            original = records.create(session, us.settings, cbp, "incident",
                                      {"name": "Rubí rojo"}, red).stix_id  # fmt: skip
        rfi_id = transport.create(mx, fer, _request())
        laundered = service.AnswerInput("One record.", [original], "GREEN", "H0")
        with pytest.raises(InvalidInput, match="needs the approval of CBP"):
            transport.answer(us, liaison, rfi_id, laundered)
        laundered.release_reason = "The partner investigates this shipment."
        transport.answer(us, liaison, rfi_id, laundered)
        sync_now(served_pair.mx, "us-node")
        assert _state(mx, rfi_id) == _state(us, rfi_id) == states.RECEIVED
        with mx.db.session() as session:
            assert "Rubí rojo" not in session.execute(select(Record.name)).scalars().all()
        with us.db.session() as session:
            (waiting,) = approvals.inbox(session, cbp)
        assert waiting.reason == "The partner investigates this shipment."
        transport.decide(us, cbp, waiting.id, approvals.Decision(True, "AMBER", "H2"))
        assert _state(mx, rfi_id) == _state(us, rfi_id) == states.ANSWERED
        sync_now(served_pair.mx, "us-node")
        with mx.db.session() as session:
            (released,) = reports.detail(session, fer, rfi_id).released
            copy = records.get(session, fer, released.stix_id)
        assert (copy.markings.tlp, copy.markings.handling) == ("AMBER", "H2")
        assert copy.markings.grading() == "A2"
        assert copy.originating_agency == "CBP"
        assert copy.name == "Rubí rojo"
    finally:
        us.db.dispose()
        mx.db.dispose()
