"""The rules an element keeps on its own, whatever edge it came from."""

from __future__ import annotations

from datetime import date

from puente.i18n import Text
from puente.plan.elements import Element, Evidence, Milestone, check


def _action(**changes: object) -> Element:
    base = Element(level="action", code="1.1.1.1", title=Text("Cell", "Célula"),
                   start_date=date(2026, 1, 15), leads={"USA": ["DEA"]})  # fmt: skip
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def _problems(element: Element) -> list[tuple[str, str]]:
    return [(p.pointer, p.message) for p in check(element, "/elements/0")]


def test_a_milestone_is_not_done_before_its_action_starts() -> None:
    early = Milestone(Text("Staffed", ""), due_date=date(2026, 3, 1), done_date=date(2026, 1, 2))
    assert _problems(_action(milestones=[early])) == [
        ("/elements/0/milestones/0/done_date",
         "A milestone cannot be done before the action starts ({start}).")]  # fmt: skip
    on_time = Milestone(Text("", "Integrada"), done_date=date(2026, 1, 15))
    assert _problems(_action(milestones=[on_time])) == []
    assert _problems(_action(milestones=[early], start_date=None)) == []


def test_a_milestone_needs_a_title_in_one_language() -> None:
    untitled = Milestone(Text(" ", ""), due_date=date(2026, 3, 1))
    assert _problems(_action(milestones=[untitled])) == [
        ("/elements/0/milestones/0/title", "A milestone needs a title.")]  # fmt: skip


def test_evidence_needs_a_kind_and_a_reference() -> None:
    items = [Evidence("record", " "), Evidence("", "doc-1"), Evidence("url", "ftp://x"),
             Evidence("document", "Note 12/2026", "Minutes")]  # fmt: skip
    assert [pointer for pointer, _ in _problems(_action(evidence=items))] == [
        "/elements/0/evidence/0/ref", "/elements/0/evidence/1/kind",
        "/elements/0/evidence/2/ref"]  # fmt: skip


def test_a_milestone_is_overdue_once_its_due_date_passed_undone() -> None:
    due = Milestone(Text("Staffed", ""), due_date=date(2026, 3, 1))
    assert due.overdue(date(2026, 3, 2))
    assert not due.overdue(date(2026, 3, 1))
    assert not Milestone(due.title, due.due_date, date(2026, 3, 5)).overdue(date(2026, 4, 1))
    assert not Milestone(due.title).overdue(date(2030, 1, 1))
